using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;

namespace Compliance.Imaging.Embedding;

/// <summary>
/// ResNet18 with int8 convolutions, built in process from the published float model (ADR-045): batch norms folded into
/// the convolutions, then every convolution but the first three (the stem and the first residual block, where the
/// near-flat pictures lose the most) gets per-channel symmetric int8 weights, an int32 bias and uint8 activations in
/// QuantizeLinear/DequantizeLinear pairs, which ONNX Runtime fuses into <c>QLinearConv</c>. The residual additions stay
/// in float. Activation ranges come from <c>resnet18-int8-ranges.tsv</c> (an embedded table: the 99.999th percentiles
/// of each tensor over calibration pictures that are not the image evaluation's held-out set; ADR-045 says which), so
/// the graph is the same on every machine; the table's hash is part of the embedder's model version.
/// </summary>
internal static class ResNet18Int8
{
    /// <summary>How many convolutions, in graph order, stay in float: the stem and the first residual block.</summary>
    internal const int FloatConvolutions = 3;

    private const string RangesResource = "Compliance.Imaging.Embedding.resnet18-int8-ranges.tsv";

    private static readonly Lazy<(IReadOnlyDictionary<string, (float Low, float High)> Ranges, string Hash)> Table = new(ReadTable);

    /// <summary>The first 12 hex digits of the range table's SHA-256: names the quantisation in the model version.</summary>
    internal static string RangesHash => Table.Value.Hash;

    /// <summary>The int8 model's bytes, derived from the float model at <paramref name="floatModelPath"/>.</summary>
    /// <exception cref="InvalidOperationException">The model is not the ResNet18 the range table was calibrated on.</exception>
    internal static byte[] Build(string floatModelPath)
    {
        var ranges = Table.Value.Ranges;
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(floatModelPath));
        var graph = model.Graph;
        if (!graph.Input.Any(i => i.Name == VisualEmbedder.ModelInputName))
        {
            throw new InvalidOperationException($"'{floatModelPath}' has no float input '{VisualEmbedder.ModelInputName}': it is not the ResNet18 the int8 ranges were calibrated on.");
        }

        FoldBatchNorms(graph);
        model.IrVersion = Math.Max(model.IrVersion, 7);
        foreach (var opset in model.OpsetImport.Where(o => o.Domain.Length == 0))
        {
            opset.Version = Math.Max(opset.Version, 13); // per-axis DequantizeLinear
        }

        var weights = graph.Initializer.ToDictionary(i => i.Name);
        var producers = graph.Node.ToDictionary(n => n.Output[0]);
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
            .GroupBy(x => x.Input).ToDictionary(g => g.Key, g => g.Select(x => x.Node).ToList());
        var quantised = graph.Node.Where(n => n.OpType == "Conv").Skip(FloatConvolutions).Select(n => n.Name).ToHashSet();

        // A tensor is carried as uint8 when a quantised convolution reads it, or when a quantised convolution writes it
        // (directly, or through the Relu that is its only reader), so that ONNX Runtime fuses the convolution with its
        // output's quantisation. Readers of a quantised convolution's output read the dequantised copy.
        bool WrittenQuantised(string tensor) =>
            producers.TryGetValue(tensor, out var p)
            && (quantised.Contains(p.Name)
                ? !consumers[tensor].All(c => c.OpType == "Relu")
                : p.OpType == "Relu" && producers.TryGetValue(p.Input[0], out var conv) && quantised.Contains(conv.Name) && consumers[p.Input[0]].Count == 1);
        var carried = graph.Node.Where(n => quantised.Contains(n.Name)).Select(n => n.Input[0])
            .Concat(graph.Node.Select(n => n.Output[0]).Where(WrittenQuantised))
            .Where(t => t != graph.Output[0].Name)
            .ToHashSet();

        var scales = new Dictionary<string, float>();
        var nodes = new List<NodeProto>();
        void QuantiseActivation(string tensor)
        {
            if (!ranges.TryGetValue(tensor, out var range))
            {
                throw new InvalidOperationException($"The int8 range table has no entry for '{tensor}': the model is not the one it was calibrated on.");
            }

            var (scale, zeroPoint) = ActivationScale(range.Low, range.High);
            scales[tensor] = scale;
            graph.Initializer.Add(Tensor($"{tensor}_s", TensorProto.Types.DataType.Float, [], [scale]));
            graph.Initializer.Add(Tensor($"{tensor}_zp", TensorProto.Types.DataType.Uint8, [], [zeroPoint]));
            nodes.Add(Node("QuantizeLinear", $"{tensor}_Q", [tensor, $"{tensor}_s", $"{tensor}_zp"], $"{tensor}_q"));
            nodes.Add(Node("DequantizeLinear", $"{tensor}_DQ", [$"{tensor}_q", $"{tensor}_s", $"{tensor}_zp"], $"{tensor}_dq"));
        }

        if (carried.Contains(graph.Input[0].Name))
        {
            QuantiseActivation(graph.Input[0].Name);
        }

        foreach (var node in graph.Node)
        {
            var isQuantised = quantised.Contains(node.Name);
            for (var i = 0; i < node.Input.Count; i++)
            {
                var input = node.Input[i];
                if (carried.Contains(input) && (isQuantised || WrittenQuantised(input)))
                {
                    node.Input[i] = $"{input}_dq";
                }
            }

            if (isQuantised)
            {
                QuantiseWeights(graph, weights, node, scales[node.Input[0][..^"_dq".Length]], nodes);
            }

            nodes.Add(node);
            if (carried.Contains(node.Output[0]))
            {
                QuantiseActivation(node.Output[0]);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet();
        foreach (var unused in graph.Initializer.Where(i => !used.Contains(i.Name)).ToList())
        {
            graph.Initializer.Remove(unused);
        }

        return model.ToByteArray();
    }

    /// <summary>uint8 asymmetric: the range widened to include 0, split in 255 steps.</summary>
    internal static (float Scale, byte ZeroPoint) ActivationScale(float low, float high)
    {
        low = Math.Min(0, low);
        high = Math.Max(0, high);
        var scale = (high - low) / 255f;
        if (scale == 0)
        {
            scale = 1;
        }

        return (scale, (byte)Math.Clamp(MathF.Round(-low / scale), 0, 255));
    }

    private static void QuantiseWeights(GraphProto graph, Dictionary<string, TensorProto> weights, NodeProto conv, float inputScale, List<NodeProto> nodes)
    {
        var weight = weights[conv.Input[1]];
        var values = Floats(weight);
        var channels = (int)weight.Dims[0];
        var perChannel = values.Length / channels;
        var quantisedWeights = new sbyte[values.Length];
        var weightScales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var row = values.AsSpan(c * perChannel, perChannel);
            var largest = 0f;
            foreach (var v in row)
            {
                largest = MathF.Max(largest, MathF.Abs(v));
            }

            var scale = largest == 0 ? 1 : largest / 127;
            weightScales[c] = scale;
            for (var i = 0; i < perChannel; i++)
            {
                quantisedWeights[(c * perChannel) + i] = (sbyte)Math.Clamp(MathF.Round(row[i] / scale), -127, 127);
            }
        }

        var bias = Floats(weights[conv.Input[2]]);
        var biasScales = new float[channels];
        var quantisedBias = new int[channels];
        for (var c = 0; c < channels; c++)
        {
            biasScales[c] = inputScale * weightScales[c];
            quantisedBias[c] = (int)MathF.Round(bias[c] / biasScales[c]);
        }

        var name = conv.Name;
        graph.Initializer.Add(Tensor($"{name}_Wq", TensorProto.Types.DataType.Int8, [.. weight.Dims], quantisedWeights));
        graph.Initializer.Add(Tensor($"{name}_Ws", TensorProto.Types.DataType.Float, [channels], weightScales));
        graph.Initializer.Add(Tensor($"{name}_Wzp", TensorProto.Types.DataType.Int8, [channels], new sbyte[channels]));
        graph.Initializer.Add(Tensor($"{name}_Bq", TensorProto.Types.DataType.Int32, [channels], quantisedBias));
        graph.Initializer.Add(Tensor($"{name}_Bs", TensorProto.Types.DataType.Float, [channels], biasScales));
        graph.Initializer.Add(Tensor($"{name}_Bzp", TensorProto.Types.DataType.Int32, [channels], new int[channels]));
        nodes.Add(PerChannel(Node("DequantizeLinear", $"{name}_DQW", [$"{name}_Wq", $"{name}_Ws", $"{name}_Wzp"], $"{name}_Wdq")));
        nodes.Add(PerChannel(Node("DequantizeLinear", $"{name}_DQB", [$"{name}_Bq", $"{name}_Bs", $"{name}_Bzp"], $"{name}_Bdq")));
        conv.Input[1] = $"{name}_Wdq";
        conv.Input[2] = $"{name}_Bdq";
    }

    /// <summary>Folds every BatchNormalization into the convolution before it (weights scaled, a bias added).</summary>
    private static void FoldBatchNorms(GraphProto graph)
    {
        var weights = graph.Initializer.ToDictionary(i => i.Name);
        var producers = graph.Node.ToDictionary(n => n.Output[0]);
        var folded = new HashSet<NodeProto>();
        foreach (var norm in graph.Node.Where(n => n.OpType == "BatchNormalization"))
        {
            var conv = producers[norm.Input[0]];
            if (conv.OpType != "Conv")
            {
                throw new InvalidOperationException($"'{norm.Name}' follows a {conv.OpType}, not a convolution.");
            }

            var weight = weights[conv.Input[1]];
            var w = Floats(weight);
            var channels = (int)weight.Dims[0];
            var perChannel = w.Length / channels;
            var (gamma, beta, mean, variance) = (Floats(weights[norm.Input[1]]), Floats(weights[norm.Input[2]]), Floats(weights[norm.Input[3]]), Floats(weights[norm.Input[4]]));
            var epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var bias = conv.Input.Count > 2 ? Floats(weights[conv.Input[2]]) : new float[channels];
            for (var c = 0; c < channels; c++)
            {
                var s = gamma[c] / MathF.Sqrt(variance[c] + epsilon);
                for (var i = 0; i < perChannel; i++)
                {
                    w[(c * perChannel) + i] *= s;
                }

                bias[c] = ((bias[c] - mean[c]) * s) + beta[c];
            }

            graph.Initializer.Add(Tensor($"{conv.Name}_Wf", TensorProto.Types.DataType.Float, [.. weight.Dims], w));
            graph.Initializer.Add(Tensor($"{conv.Name}_Bf", TensorProto.Types.DataType.Float, [channels], bias));
            conv.Input[1] = $"{conv.Name}_Wf";
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = $"{conv.Name}_Bf";
            }
            else
            {
                conv.Input.Add($"{conv.Name}_Bf");
            }

            conv.Output[0] = norm.Output[0];
            folded.Add(norm);
        }

        var kept = graph.Node.Where(n => !folded.Contains(n)).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var initializerNames = graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToList(); // old models list weights as inputs
        graph.Input.Clear();
        graph.Input.AddRange(inputs);
    }

    private static float[] Floats(TensorProto tensor) =>
        tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : [.. tensor.FloatData];

    private static TensorProto Tensor<T>(string name, TensorProto.Types.DataType type, long[] dims, T[] values)
        where T : struct
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static NodeProto PerChannel(NodeProto node)
    {
        node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return node;
    }

    private static (IReadOnlyDictionary<string, (float, float)>, string) ReadTable()
    {
        using var stream = typeof(ResNet18Int8).Assembly.GetManifestResourceStream(RangesResource)
            ?? throw new InvalidOperationException($"The embedded resource '{RangesResource}' is missing.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        var ranges = new Dictionary<string, (float, float)>(StringComparer.Ordinal);
        using var reader = new StringReader(System.Text.Encoding.UTF8.GetString(bytes));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split('\t');
            ranges[fields[0]] = (float.Parse(fields[1], CultureInfo.InvariantCulture), float.Parse(fields[2], CultureInfo.InvariantCulture));
        }

        return (ranges, Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]);
    }
}

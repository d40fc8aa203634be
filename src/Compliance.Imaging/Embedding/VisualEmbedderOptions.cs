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
}

using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Compliance.Classifiers.Text;

/// <summary>Where a fusion model came from and how it did on its held-out split (written beside the model by the trainer).</summary>
public sealed record TextFusionMetadata(
    string Version,
    string Trainer,
    string DataSha256,
    DateTimeOffset TrainedAt,
    IReadOnlyList<string> Features,
    IReadOnlyDictionary<string, double> Metrics,
    string? SentenceModel = null,
    string? Windows = null);

/// <summary>One training or scoring row: the <see cref="FusionFeatures"/> vector and, for training, whether the candidate is the character.</summary>
public sealed class FusionRow
{
    public const int FeatureCount = 21;

    [VectorType(FeatureCount)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

/// <summary>The calibrated output of the binary trainer.</summary>
public sealed class FusionScore
{
    public float Probability { get; set; }
}

/// <summary>
/// The trained, calibrated fusion model (ML.NET FastTree with Platt calibration): P(the prompt depicts the character)
/// from one candidate's <see cref="FusionFeatures"/>. Loaded once; <see cref="Predict"/> is thread-safe (prediction
/// engines are not, so each call borrows one from a small pool). Trained by <c>tools/Compliance.TextFusion</c>
/// (docs/evaluation.md).
/// </summary>
public sealed class TextFusionModel
{
    private const string ModelResource = "Compliance.Classifiers.Text.text-fusion.zip";
    private const string MetadataResource = "Compliance.Classifiers.Text.text-fusion.json";

    private readonly MLContext _ml = new(seed: 1);
    private readonly ITransformer _model;
    private readonly ConcurrentBag<PredictionEngine<FusionRow, FusionScore>> _engines = [];

    public TextFusionModel(Stream model, TextFusionMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.Features.SequenceEqual(FusionFeatures.Names))
        {
            throw new InvalidOperationException($"Fusion model {metadata.Version} was trained on other features than this build computes; retrain it.");
        }

        _model = _ml.Model.Load(model, out _);
        Metadata = metadata;
        // Build the first prediction engine and run it once now, so the first prompt does not pay for it inside
        // its time budget.
        _ = Predict(new FusionFeatures());
    }

    public TextFusionMetadata Metadata { get; }

    public string Version => Metadata.Version;

    /// <summary>The model shipped inside this assembly (Text/Resources/text-fusion.zip and .json).</summary>
    public static TextFusionModel LoadShipped()
    {
        var assembly = typeof(TextFusionModel).Assembly;
        using var model = assembly.GetManifestResourceStream(ModelResource)
            ?? throw new InvalidOperationException("The shipped text fusion model is missing; run tools/Compliance.TextFusion.");
        using var metadata = assembly.GetManifestResourceStream(MetadataResource)
            ?? throw new InvalidOperationException("The shipped text fusion model's metadata is missing; run tools/Compliance.TextFusion.");
        return new TextFusionModel(model, ReadMetadata(metadata));
    }

    public static TextFusionMetadata ReadMetadata(Stream json) =>
        JsonSerializer.Deserialize<TextFusionMetadata>(json, JsonOptions) ?? throw new InvalidOperationException("Empty fusion model metadata.");

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,  // "+" stays "+" in the version
    };

    /// <summary>Calibrated probability that the candidate is the character.</summary>
    public double Predict(FusionFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (!_engines.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<FusionRow, FusionScore>(_model);
        }

        try
        {
            var p = engine.Predict(new FusionRow { Features = features.ToVector() }).Probability;
            return float.IsNaN(p) ? 0 : Math.Clamp(p, 0, 1);
        }
        finally
        {
            _engines.Add(engine);
        }
    }
}

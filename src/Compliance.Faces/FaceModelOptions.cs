namespace Compliance.Faces;

/// <summary>
/// Where the four face models live and how the pipeline runs them. Paths are configuration so an operator can swap
/// in other ONNX models with the same input/output contract (docs/models.md).
/// </summary>
public sealed record FaceModelOptions
{
    /// <summary>Face detector: input [1,3,240,320], outputs <c>scores</c> [1,N,2] and <c>boxes</c> [1,N,4].</summary>
    public required string DetectorPath { get; init; }

    /// <summary>68-point landmark regressor: input [1,1,64,64], output [1,136].</summary>
    public required string LandmarkPath { get; init; }

    /// <summary>Face embedder: input [1,3,112,112] aligned face, output [1,D].</summary>
    public required string EmbedderPath { get; init; }

    /// <summary>Liveness (anti-spoof) classifier: input [1,3,128,128], output [1,3] logits, class 0 = live.</summary>
    public required string LivenessPath { get; init; }

    /// <summary>
    /// Optional operator-supplied deepfake (synthetic-face) classifier. Contract: one input [1,3,H,W] (H and W read from
    /// the model) taking the face box scaled 2.7× about its centre, planar RGB, values 0–255; first output holds
    /// logits whose class 0 means "real". When null, no deepfake score is computed and decisions say so.
    /// </summary>
    public string? DeepfakePath { get; init; }

    /// <summary>Detections scoring below this are dropped (the package's <c>confidence_threshold</c>).</summary>
    public float DetectionThreshold { get; init; } = 0.65f;

    /// <summary>Boxes overlapping a better one by more than this IoU are suppressed.</summary>
    public float NmsIouThreshold { get; init; } = 0.4f;

    /// <summary>
    /// Zero the models' subnormal weights when loading them (ADR-026): the same outputs at about half the CPU. False
    /// loads the files exactly as published; benchmarks use it as the baseline.
    /// </summary>
    public bool ZeroSubnormalWeights { get; init; } = true;

    /// <summary>Threads ONNX Runtime may use inside one model run; 1–2 keeps a shared machine responsive.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>The default file names (<c>fr_detect.onnx</c>, …) inside <paramref name="directory"/>, e.g. <c>&lt;repo&gt;/.data/models/face</c>.</summary>
    public static FaceModelOptions FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return new FaceModelOptions
        {
            DetectorPath = Path.Combine(directory, "fr_detect.onnx"),
            LandmarkPath = Path.Combine(directory, "fr_landmark.onnx"),
            EmbedderPath = Path.Combine(directory, "fr_feature.onnx"),
            LivenessPath = Path.Combine(directory, "fr_liveness.onnx"),
        };
    }
}

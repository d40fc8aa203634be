using Compliance.Classifiers.Text;
using Compliance.Faces;
using Compliance.Imaging.Decoding;
using Compliance.Policies.Model;

namespace Compliance.Classifiers.Images;

/// <summary>One enrolled face: whose it is.</summary>
public sealed record EnrolledFace(long Id, Guid PublicId, Guid ProfileId, string DisplayName);

/// <summary>The enrolled faces as the face classifier sees them.</summary>
public interface IFaceBank
{
    long Version { get; }

    /// <summary>One embedding per enrolled face: exact below a few tens of thousands of faces, an inverted file above (ADR-026).</summary>
    FaceSearchIndex Index { get; }

    bool TryGet(long id, out EnrolledFace face);
}

/// <summary>
/// Finds people's faces: detection → landmarks → alignment → embedding, matched against every
/// enrolled face. A face from <see cref="FaceMatchThresholds.ReviewFrom"/> up becomes a
/// <see cref="SignalKinds.Likeness"/> signal for that person (consent decides); any other face is a
/// <see cref="SignalKinds.FaceDetected"/> signal, so every face in the input is accounted for. Every
/// signal carries the face box, the spoof score, the similarity and the model versions — and says
/// when no deepfake model is configured rather than hiding it.
/// </summary>
public sealed class FaceMatchClassifier(IFaceBank bank, FacePipeline pipeline) : IImageClassifier
{
    public const string ClassifierName = "face-match";

    public string Name => ClassifierName;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken cancellationToken)
    {
        var faces = pipeline.Analyze(image);
        if (faces.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Signal>>([]);
        }

        var version = pipeline.Version
            + (pipeline.HasDeepfakeModel ? "" : " deepfake:not-configured") + $" bank:{bank.Version}";
        var signals = new List<Signal>(faces.Count);
        foreach (var face in faces)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var box = new[] { (int)face.Box.X, (int)face.Box.Y, (int)face.Box.Width, (int)face.Box.Height };
            var deepfake = face.DeepfakeScore is { } d ? $"deepfake score {d:0.###}" : "no deepfake model configured";
            var best = bank.Index.TopK(face.Embedding, 1, FaceMatchThresholds.ReviewFrom);
            if (best.Count > 0 && bank.TryGet(best[0].Id, out var enrolled))
            {
                signals.Add(new Signal(
                    ClassifierName,
                    version,
                    SignalKinds.Likeness,
                    new EntityRef(EntityTypes.Likeness, enrolled.ProfileId, enrolled.DisplayName, enrolled.ProfileId),
                    Math.Round(best[0].Cosine, 4),
                    new Evidence(
                        ReferenceId: enrolled.PublicId,
                        Similarity: Math.Round(best[0].Cosine, 4),
                        FaceBox: box,
                        SpoofScore: Math.Round(face.SpoofScore, 4),
                        DeepfakeScore: face.DeepfakeScore is { } s ? Math.Round(s, 4) : null,
                        Detail: $"face {box[2]}×{box[3]} px; {deepfake}")));
            }
            else
            {
                signals.Add(new Signal(
                    ClassifierName,
                    version,
                    SignalKinds.FaceDetected,
                    null,
                    Math.Round(face.DetectionScore, 4),
                    new Evidence(
                        FaceBox: box,
                        SpoofScore: Math.Round(face.SpoofScore, 4),
                        DeepfakeScore: face.DeepfakeScore is { } s ? Math.Round(s, 4) : null,
                        Detail: $"face {box[2]}×{box[3]} px matches no enrolled person; {deepfake}")));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }
}

using Compliance.Classifiers.Text;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Trimming;
using Compliance.Policies.Model;

namespace Compliance.Classifiers.Images;

/// <summary>
/// Finds licensed characters in an image by visual similarity: the image's ResNet18 embedding is
/// compared with every reference's (each stored in its 8 rotations and mirrors), both taken after uniform borders
/// and letterbox bars are trimmed (<see cref="BorderTrimmer"/>). This catches the
/// re-encoded, cropped, recoloured or partly covered copies that PDQ misses. Matches from
/// <see cref="ImageMatchThresholds.EmbeddingReviewCosine"/> up are reported; the policy's review band
/// decides what a match below <see cref="ImageMatchThresholds.EmbeddingMatchCosine"/> means.
/// </summary>
public sealed class ReferenceEmbeddingClassifier(IReferenceBank bank, VisualEmbedder embedder) : IImageClassifier
{
    public const string ClassifierName = "reference-image-embedding";
    private const int CandidatesPerImage = 20;

    public string Name => ClassifierName;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken cancellationToken)
    {
        if (bank.Embeddings.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Signal>>([]);
        }

        var query = embedder.Embed(BorderTrimmer.Trim(image).Image);
        cancellationToken.ThrowIfCancellationRequested();
        var best = new Dictionary<Guid, (ReferenceEntry Entry, float Cosine)>();
        foreach (var match in bank.Embeddings.TopK(query, CandidatesPerImage, ImageMatchThresholds.EmbeddingReviewCosine))
        {
            if (bank.TryGet(match.Id, out var entry) && (!best.TryGetValue(entry.CharacterId, out var current) || match.Cosine > current.Cosine))
            {
                best[entry.CharacterId] = (entry, match.Cosine);
            }
        }

        var version = $"{embedder.ModelVersion} bank:{bank.Version}";
        var signals = best.Values
            .OrderByDescending(b => b.Cosine)
            .Select(b => new Signal(
                ClassifierName,
                version,
                SignalKinds.LicensedCharacter,
                new EntityRef(EntityTypes.Character, b.Entry.CharacterId, b.Entry.CharacterName, b.Entry.RightsHolderId),
                Math.Round(b.Cosine, 4),
                new Evidence(ReferenceId: b.Entry.PublicId, Similarity: Math.Round(b.Cosine, 4))))
            .ToList();
        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }
}

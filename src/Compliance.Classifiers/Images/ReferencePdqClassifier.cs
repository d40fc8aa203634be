using Compliance.Classifiers.Text;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;
using Compliance.Policies.Model;

namespace Compliance.Classifiers.Images;

/// <summary>
/// Finds licensed characters in an image by PDQ: the image's eight dihedral hashes (rotations and
/// mirrors, from one DCT) are looked up in the reference bank within <see cref="MaxDistance"/> bits. When the image
/// has uniform borders or letterbox bars, the hashes of the trimmed image are looked up as well (references are
/// hashed trimmed; bare hashes imported from a rights holder may not be), and the nearer match counts.
/// Each character found becomes one signal carrying its nearest reference, the Hamming distance and
/// which variant matched; the policy's review band decides what a weak match means.
/// </summary>
public sealed class ReferencePdqClassifier(IReferenceBank bank) : IImageClassifier
{
    public const string ClassifierName = "reference-image-pdq";

    /// <summary>PDQ's customary match radius: 31 of 256 bits.</summary>
    public const int MaxDistance = 31;

    public string Name => ClassifierName;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken cancellationToken)
    {
        var hashes = PdqHasher.HashDihedral(image);
        var trimmed = BorderTrimmer.Trim(image);
        var index = bank.PdqIndex;
        var best = new Dictionary<Guid, (ReferenceEntry Entry, int Distance, PdqDihedral Variant)>();
        Lookup(hashes);
        if (trimmed.Trimmed)
        {
            Lookup(PdqHasher.HashDihedral(trimmed.Image));
        }

        void Lookup(PdqDihedralResult query)
        {
            foreach (var variant in Enum.GetValues<PdqDihedral>())
            {
                foreach (var match in index.Query(query[variant], MaxDistance))
                {
                    if (!bank.TryGet(match.Id, out var entry))
                    {
                        continue; // removed between query and lookup
                    }

                    if (!best.TryGetValue(entry.CharacterId, out var current) || match.Distance < current.Distance)
                    {
                        best[entry.CharacterId] = (entry, match.Distance, variant);
                    }
                }
            }
        }

        var version = $"pdq/1 bank:{bank.Version}";
        var signals = best.Values
            .OrderBy(b => b.Distance)
            .Select(b => new Signal(
                ClassifierName,
                version,
                SignalKinds.LicensedCharacter,
                new EntityRef(EntityTypes.Character, b.Entry.CharacterId, b.Entry.CharacterName, b.Entry.RightsHolderId),
                1.0 - (b.Distance / 64.0),
                new Evidence(
                    ReferenceId: b.Entry.PublicId,
                    Distance: b.Distance,
                    Variant: VariantName(b.Variant),
                    Detail: $"query PDQ quality {hashes.Quality}")))
            .ToList();
        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }

    private static string VariantName(PdqDihedral variant) => variant switch
    {
        PdqDihedral.Original => "original",
        PdqDihedral.Rotate90 => "rotate90",
        PdqDihedral.Rotate180 => "rotate180",
        PdqDihedral.Rotate270 => "rotate270",
        PdqDihedral.FlipX => "flip_x",
        PdqDihedral.FlipY => "flip_y",
        PdqDihedral.FlipPlus1 => "flip_diagonal",
        PdqDihedral.FlipMinus1 => "flip_antidiagonal",
        _ => variant.ToString(),
    };
}

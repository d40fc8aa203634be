using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;

namespace Compliance.Classifiers.Images;

/// <summary>One matchable reference: a rights holder's image (or bare hash) of one character.</summary>
public sealed record ReferenceEntry(long Id, Guid PublicId, Guid CharacterId, Guid RightsHolderId, string CharacterName, PdqHash Pdq);

/// <summary>The reference bank as the image classifiers see it: an index and the entries behind its ids.</summary>
public interface IReferenceBank
{
    /// <summary>Changes whenever a reference is added or removed; recorded as part of each signal's model version.</summary>
    long Version { get; }

    IPdqIndex PdqIndex { get; }

    /// <summary>Embeddings of the references that have an image (8 rotations/mirrors each); hash-only references have none.</summary>
    EmbeddingIndex Embeddings { get; }

    /// <summary>ORB keypoints of the references that have an image, for copies that fill only part of a picture (ADR-016).</summary>
    LocalFeatureIndex LocalFeatures { get; }

    bool TryGet(long id, out ReferenceEntry entry);
}

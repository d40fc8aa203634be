using Compliance.Audio;

namespace Compliance.Generation.Soundtrack;

/// <summary>One reference fingerprint of a rights holder's recording, as the soundtrack screener names it in evidence.</summary>
/// <param name="ReferenceId">The reference's public id (what the rights holder sees and deletes).</param>
/// <param name="RecordingId">The catalog recording the reference belongs to; grants are looked up for it.</param>
/// <param name="RightsHolderId">Its rights holder.</param>
/// <param name="Title">The recording's title as the bank last read it (it follows corrections).</param>
/// <param name="Artist">The recording's artist, if given.</param>
public sealed record RecordingReference(Guid ReferenceId, Guid RecordingId, Guid RightsHolderId, string Title, string? Artist);

/// <summary>
/// The host's in-memory bank of reference recordings' fingerprints (loaded at start, kept current on every node). The
/// screener only searches it.
/// </summary>
public interface IRecordingBank
{
    /// <summary>The last change applied; recorded in the signals' model version.</summary>
    long Version { get; }

    /// <summary>References whose fingerprints the index holds.</summary>
    int Count { get; }

    /// <summary>Every reference heard in <paramref name="query"/>, with the reference it is; references removed meanwhile are left out.</summary>
    IReadOnlyList<(AudioMatch Match, RecordingReference Reference)> Search(IReadOnlyList<uint> query);
}

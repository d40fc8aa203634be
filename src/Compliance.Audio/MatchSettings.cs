namespace Compliance.Audio;

/// <summary>
/// Tuning of <see cref="FingerprintIndex"/>. The defaults are the ones measured in docs/audio.md; change them together
/// with a new run of the evaluation.
/// </summary>
public sealed record MatchSettings
{
    /// <summary>How many of the top bits of each 32-bit sub-fingerprint key the inverted index (2^KeyBits buckets).</summary>
    public int KeyBits { get; init; } = 16;

    /// <summary>
    /// Also look up every key one bit away from each query key: a re-encoded or noisy copy flips a bit or two of a
    /// sub-fingerprint far more often than it keeps all of them, and one flip in the key would otherwise lose the hit.
    /// </summary>
    public bool ProbeOneBitNeighbours { get; init; } = true;

    /// <summary>Index hits at one offset before a reference is aligned and scored at all.</summary>
    public int MinHits { get; init; } = 2;

    /// <summary>How many best (reference, offset) candidates from the histogram are scored.</summary>
    public int MaxCandidates { get; init; } = 16;

    /// <summary>Items in the sliding window whose bit error rate decides whether an item lies inside the matched span.</summary>
    public int SpanWindowItems { get; init; } = 16;

    /// <summary>A window whose bit error rate exceeds this ends the matched span (unrelated audio sits near 0.5).</summary>
    public double SpanMaxBitErrorRate { get; init; } = 0.35;

    /// <summary>Shorter matched spans are not reported.</summary>
    public double MinSpanSeconds { get; init; } = 5.0;

    /// <summary>
    /// Lower scores are not reported. In the evaluation every caught transform scored 0.70 or more, and no wrong
    /// candidate more than 0.43 (a synthetic chirp against a drone intro; docs/audio.md).
    /// </summary>
    public double MinScore { get; init; } = 0.5;

    /// <summary>
    /// Below this share of distinct sub-fingerprints in the matched span — of the query or of the reference, whichever is
    /// lower — the audio counts as repetitive (a held tone, a drone, a loop) and its score is scaled down in proportion:
    /// such audio aligns with itself and with much else.
    /// </summary>
    public double MinDistinctShare { get; init; } = 0.5;
}

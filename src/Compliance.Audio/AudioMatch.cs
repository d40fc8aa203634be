namespace Compliance.Audio;

/// <summary>
/// One reference recording heard in a query, the evidence a decision carries: where in the query (the video's
/// soundtrack) and where in the reference the aligned audio lies, in seconds, and how closely it agrees.
/// </summary>
/// <param name="ReferenceId">The id the reference was added under.</param>
/// <param name="Score">1 − 2 × bit error rate over the matched span, lowered for repetitive audio: 1 is identical, about 0 is unrelated.</param>
/// <param name="BitErrorRate">Fraction of differing fingerprint bits over the matched span.</param>
/// <param name="QueryStartSeconds">Start of the matched span in the query.</param>
/// <param name="QueryEndSeconds">End of the matched span in the query.</param>
/// <param name="ReferenceStartSeconds">Start of the matched span in the reference.</param>
/// <param name="ReferenceEndSeconds">End of the matched span in the reference.</param>
public sealed record AudioMatch(
    string ReferenceId,
    double Score,
    double BitErrorRate,
    double QueryStartSeconds,
    double QueryEndSeconds,
    double ReferenceStartSeconds,
    double ReferenceEndSeconds)
{
    public double DurationSeconds => QueryEndSeconds - QueryStartSeconds;
}

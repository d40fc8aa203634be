using System.Globalization;
using Compliance.Audio;
using Compliance.Classifiers;
using Compliance.Classifiers.Text;
using Compliance.Generation.Frames;
using Compliance.Policies.Model;
using Microsoft.Extensions.Options;

namespace Compliance.Generation.Soundtrack;

/// <summary>What happened to a video's soundtrack.</summary>
public enum SoundtrackStatus
{
    /// <summary>The video has no audio track: there was nothing to hear.</summary>
    None,

    /// <summary>The audio track was fingerprinted and searched against every reference recording.</summary>
    Screened,

    /// <summary>The audio track could not be fingerprinted (undecodable, too long, out of time, tool failure): a coverage gap.</summary>
    Unscreened,
}

/// <summary>One reference recording heard in the soundtrack: where in the video, where in the reference, how closely.</summary>
public sealed record SoundtrackMatch(
    Guid RecordingId,
    string Title,
    string? Artist,
    Guid ReferenceId,
    double Score,
    double BitErrorRate,
    double VideoStartSeconds,
    double VideoEndSeconds,
    double ReferenceStartSeconds,
    double ReferenceEndSeconds)
{
    /// <summary>Seconds of the video in which the recording is heard (what usage records for it).</summary>
    public double SecondsHeard => Math.Round(VideoEndSeconds - VideoStartSeconds, 3);
}

/// <summary>The soundtrack as recorded with the decision: its status and why, its fingerprint's hash and length, and the matches.</summary>
public sealed record SoundtrackReport(SoundtrackStatus Status, string Detail)
{
    public string? FingerprintSha256 { get; init; }

    public double? DurationSeconds { get; init; }

    public IReadOnlyList<SoundtrackMatch> Matches { get; init; } = [];
}

/// <summary>What screening a soundtrack found: the report for the decision's input, and the signals for the policy.</summary>
public sealed record ScreenedSoundtrack(SoundtrackReport Report, IReadOnlyList<Signal> Signals);

/// <summary>
/// The audio half of the one frame gate: the video's audio track is fingerprinted by the real tool (fpcalc, with the
/// demuxer the video gate's sniffer chose forced, under the <c>Audio</c> limits) and searched against every reference
/// recording. Each recording heard becomes a <see cref="SignalKinds.LicensedRecording"/> signal with its span in the
/// video and the reference. No audio track is recorded as such (no signal); audio that cannot be fingerprinted is a
/// <see cref="SignalKinds.CoverageIncomplete"/> signal, which no policy may allow; a tool failure is a
/// <see cref="SignalKinds.ClassifierError"/>.
/// </summary>
public sealed class SoundtrackScreener(AudioFingerprinter fingerprinter, IRecordingBank bank, IOptions<AudioFingerprintOptions> options)
{
    /// <summary>The classifier name on soundtrack signals.</summary>
    public const string ClassifierName = "audio-fingerprint";

    /// <summary>The matcher's version: bump it when <see cref="MatchSettings"/> or the fingerprint tool's use changes.</summary>
    public const string MatcherVersion = "chromaprint-fpcalc+acoustid-style/1";

    // The fingerprinter enforces Audio:Timeout itself (a typed rejection); this guard only catches a hang around it.
    private static readonly TimeSpan GuardSlack = TimeSpan.FromSeconds(15);

    public async Task<ScreenedSoundtrack> ScreenAsync(string videoPath, ClassifierGuard.FailureObserver? onFailure, CancellationToken ct)
    {
        var version = string.Create(CultureInfo.InvariantCulture, $"{MatcherVersion} (references at change {bank.Version})");
        var header = await ContainerSniffer.ReadHeaderAsync(videoPath, ct).ConfigureAwait(false);
        var container = ContainerSniffer.Sniff(header.Span) is { } video ? AudioContainer.ForVideoDemuxer(video.Demuxer) : null;
        if (container is null)
        {
            // The frame sampler refuses such a file outright; should it ever not, its soundtrack still counts as unheard.
            return Unscreened(version, "the container is not one whose audio track can be fingerprinted");
        }

        var (result, failure) = await ClassifierGuard.GuardAsync(ClassifierName, async token =>
        {
            try
            {
                return new Hearing(await fingerprinter.FingerprintTrackAsync(videoPath, container, token).ConfigureAwait(false), null);
            }
            catch (AudioRejectedException rejected)
            {
                return new Hearing(null, rejected);
            }
        }, options.Value.Timeout + GuardSlack, onFailure, ct).ConfigureAwait(false);

        if (failure is not null)
        {
            var error = new Signal(ClassifierName, version, SignalKinds.ClassifierError, null, 1.0,
                new Evidence(Detail: "the soundtrack could not be fingerprinted: " + failure));
            return new ScreenedSoundtrack(new SoundtrackReport(SoundtrackStatus.Unscreened, "fingerprinting failed: " + failure), [error]);
        }

        if (result!.Rejected is { Reason: AudioRejectionReason.NoAudioStream })
        {
            return new ScreenedSoundtrack(new SoundtrackReport(SoundtrackStatus.None, "the video has no audio track"), []);
        }

        if (result.Rejected is { } rejected)
        {
            return Unscreened(version, $"{Snake(rejected.Reason)}: {rejected.Message}");
        }

        var fingerprint = result.Fingerprint!;
        var heard = bank.Search(fingerprint.Values)
            .GroupBy(m => m.Reference.RecordingId)
            .Select(g => g.OrderByDescending(m => m.Match.Score).First())
            .Select(m => (m.Reference, Match: new SoundtrackMatch(
                m.Reference.RecordingId, m.Reference.Title, m.Reference.Artist, m.Reference.ReferenceId,
                Math.Round(m.Match.Score, 4), Math.Round(m.Match.BitErrorRate, 4),
                Math.Round(m.Match.QueryStartSeconds, 3), Math.Round(m.Match.QueryEndSeconds, 3),
                Math.Round(m.Match.ReferenceStartSeconds, 3), Math.Round(m.Match.ReferenceEndSeconds, 3))))
            .OrderBy(m => m.Match.VideoStartSeconds)
            .ToList();
        var matches = heard.Select(h => h.Match).ToList();
        var signals = heard.Select(h => new Signal(ClassifierName, version, SignalKinds.LicensedRecording,
                new EntityRef(EntityTypes.Recording, h.Match.RecordingId, h.Match.Title, h.Reference.RightsHolderId), h.Match.Score,
                new Evidence(
                    Detail: string.Create(CultureInfo.InvariantCulture,
                        $"heard {h.Match.VideoStartSeconds:0.0}–{h.Match.VideoEndSeconds:0.0} s into the video; {h.Match.ReferenceStartSeconds:0.0}–{h.Match.ReferenceEndSeconds:0.0} s of the reference"),
                    ReferenceId: h.Match.ReferenceId,
                    TimestampSeconds: h.Match.VideoStartSeconds,
                    EndSeconds: h.Match.VideoEndSeconds,
                    ReferenceStartSeconds: h.Match.ReferenceStartSeconds,
                    ReferenceEndSeconds: h.Match.ReferenceEndSeconds,
                    BitErrorRate: h.Match.BitErrorRate)))
            .ToList();
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{fingerprint.DurationSeconds:0.#} s of audio searched against {bank.Count} reference(s): {matches.Count} recording(s) heard");
        return new ScreenedSoundtrack(new SoundtrackReport(SoundtrackStatus.Screened, detail)
        {
            FingerprintSha256 = fingerprint.Sha256,
            DurationSeconds = Math.Round(fingerprint.DurationSeconds, 3),
            Matches = matches,
        }, signals);
    }

    /// <summary>
    /// The soundtrack exists but was not heard: a coverage gap over the whole soundtrack (score 1), never allowed.
    /// </summary>
    private static ScreenedSoundtrack Unscreened(string version, string why)
    {
        var signal = new Signal(ClassifierName, version, SignalKinds.CoverageIncomplete, null, 1.0,
            new Evidence(Detail: "the soundtrack was not screened: " + why, TimestampSeconds: 0));
        return new ScreenedSoundtrack(new SoundtrackReport(SoundtrackStatus.Unscreened, why), [signal]);
    }

    private static string Snake(AudioRejectionReason reason) =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    private sealed record Hearing(AudioFingerprint? Fingerprint, AudioRejectedException? Rejected);
}

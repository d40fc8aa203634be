using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Compliance.Audio.Tests;

/// <summary>One transform of the evaluation: how a soundtrack is derived from an excerpt of a reference.</summary>
/// <param name="Name">Its name in the table.</param>
/// <param name="ExpectedCaught">Whether the matcher is meant to catch it (tempo and pitch changes are not).</param>
/// <param name="Make">Writes the query file from the excerpt WAV; returns its path.</param>
internal sealed record AudioTransform(string Name, bool ExpectedCaught, Func<string, string, double, string> Make);

/// <summary>The recall and false matches of one transform over every excerpt of every reference.</summary>
internal sealed record TransformRecall(string Name, bool ExpectedCaught, int Queries, int Found, int FalseMatches, double MeanScore, double MinScore)
{
    public double Recall => Queries == 0 ? 0 : Found / (double)Queries;
}

/// <summary>The whole evaluation's outcome.</summary>
internal sealed record AudioEvaluationResult(
    IReadOnlyList<TransformRecall> Transforms, int NegativeQueries, int NegativeFalseMatches, IReadOnlyList<string> FalseMatchDetails,
    double HighestFalseCandidateScore, double ReportingFloor)
{
    public string ToMarkdown()
    {
        var table = new StringBuilder();
        table.AppendLine("| transform | queries | recall | mean score of hits | lowest score of a hit | false matches |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var row in Transforms)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name}{(row.ExpectedCaught ? "" : " (not expected to match)")} | {row.Queries} | {row.Recall:0.000} | {row.MeanScore:0.000} | {row.MinScore:0.000} | {row.FalseMatches} |");
        }

        table.AppendLine(CultureInfo.InvariantCulture,
            $"| unrelated recordings, speech, noise, tones, silence | {NegativeQueries} | — | — | — | {NegativeFalseMatches} |");
        table.AppendLine(CultureInfo.InvariantCulture,
            $"\nReporting floor (MatchSettings.MinScore): {ReportingFloor:0.00}; highest score of any wrong candidate, reported or not: {HighestFalseCandidateScore:0.000}.");
        foreach (var detail in FalseMatchDetails)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"\nfalse match: {detail}");
        }

        return table.ToString();
    }
}

/// <summary>
/// Recall per transform on real recordings: every reference is fingerprinted whole and indexed; excerpts of 10, 20 and
/// 30 s at three offsets are cut from it, transformed with ffmpeg (re-encoded, louder/quieter, mixed under speech or
/// noise at 10 dB SNR, faded, sped up, pitched up), fingerprinted the way uploads are, and searched. Unrelated
/// recordings, speech, noise, tones and silence are searched too, and must match nothing.
/// </summary>
internal static class AudioEvaluation
{
    private const double SnrDecibels = 10;

    private static readonly double Floor = new MatchSettings().MinScore;
    private static readonly Lock HighestLock = new();
    private static double _highestFalseCandidate;

    private static readonly string[] References =
    [
        "xblast-song1.wav", "xblast-song2.wav", "xblast-song3.wav", "xblast-song4.wav", "xblast-song5.wav", "xblast-song6.wav",
        "asc-frontiers.mp3", "asc-machine-wars.mp3",
    ];

    private static readonly (double Length, double At)[] Excerpts = [(10, 0.2), (20, 0.5), (30, 0.8)];

    public static async Task<AudioEvaluationResult> RunAsync(CancellationToken ct)
    {
        var work = AudioTools.TempFolder("audio-eval");
        try
        {
            return await RunInAsync(work, ct);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<AudioEvaluationResult> RunInAsync(string work, CancellationToken ct)
    {
        var fingerprinter = AudioTools.Fingerprinter();
        // Everything is kept down to score 0 so the table can show how far below the reporting floor the nearest false
        // candidate lies; a match counts only at the production floor.
        using var index = new FingerprintIndex(new MatchSettings { MinScore = 0 });
        foreach (var name in References)
        {
            index.Add(name, (await fingerprinter.FingerprintFileAsync(AudioTools.Recording(name), ct)).Values);
        }

        // Speech: the eight spoken channel names of alsa-utils, one after another (11 s), looped under the music.
        var speech = Path.Combine(work, "speech.wav");
        string[] words = ["front-left", "front-center", "front-right", "side-left", "side-right", "rear-left", "rear-center", "rear-right"];
        AudioTools.Ffmpeg([.. words.SelectMany(w => new[] { "-i", AudioTools.Recording($"speech-{w}.wav") }),
            "-filter_complex", $"{string.Concat(words.Select((_, i) => $"[{i}:a]"))}concat=n={words.Length}:v=0:a=1", "-ar", "44100", speech]);
        var noise = Path.Combine(work, "noise.wav");
        AudioTools.Ffmpeg("-f", "lavfi", "-i", "anoisesrc=r=44100:c=pink:seed=42", "-t", "31", noise);
        var speechRms = AudioTools.Rms(speech);
        var noiseRms = AudioTools.Rms(noise);

        var transforms = Transforms(speech, speechRms, noise, noiseRms);
        var jobs = (from reference in References
                    from excerpt in Excerpts
                    select (reference, excerpt)).ToList();
        var outcomes = new ConcurrentBag<(string Transform, bool Found, int False, double Score)>();
        var falseDetails = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct }, async (job, token) =>
        {
            var (reference, (length, at)) = job;
            var folder = Path.Combine(work, $"{Path.GetFileNameWithoutExtension(reference)}-{length}");
            Directory.CreateDirectory(folder);
            var path = AudioTools.Recording(reference);
            var offset = Math.Round((AudioTools.Duration(path) - length) * at, 2);
            var excerpt = Path.Combine(folder, "excerpt.wav");
            AudioTools.Ffmpeg("-ss", Num(offset), "-t", Num(length), "-i", path, "-ar", "44100", "-ac", "2", excerpt);
            foreach (var transform in transforms)
            {
                var query = transform.Make(excerpt, Path.Combine(folder, $"transform-{transforms.IndexOf(transform)}"), length);
                var candidates = index.Search((await fingerprinter.FingerprintFileAsync(query, token)).Values);
                foreach (var candidate in candidates.Where(m => m.ReferenceId != reference))
                {
                    RecordFalseCandidate(candidate.Score);
                }

                var matches = candidates.Where(m => m.Score >= Floor).ToList();
                var hit = matches.FirstOrDefault(m => m.ReferenceId == reference);
                var wrong = matches.Where(m => m.ReferenceId != reference).ToList();
                foreach (var m in wrong)
                {
                    falseDetails.Add($"{transform.Name} of {reference} at {offset} s ({length} s) matched {m.ReferenceId} with score {m.Score}");
                }

                outcomes.Add((transform.Name, hit is not null && matches[0] == hit, wrong.Count, hit?.Score ?? 0));
            }
        });

        var negatives = await NegativesAsync(work, fingerprinter, index, ct);
        foreach (var detail in negatives.Details)
        {
            falseDetails.Add(detail);
        }

        var rows = transforms.Select(t =>
        {
            var mine = outcomes.Where(o => o.Transform == t.Name).ToList();
            var hits = mine.Where(o => o.Found).ToList();
            return new TransformRecall(t.Name, t.ExpectedCaught, mine.Count, hits.Count, mine.Sum(o => o.False),
                hits.Count == 0 ? 0 : hits.Average(o => o.Score), hits.Count == 0 ? 0 : hits.Min(o => o.Score));
        }).ToList();
        return new AudioEvaluationResult(rows, negatives.Queries, negatives.Details.Count, [.. falseDetails.Distinct().Order(StringComparer.Ordinal)],
            _highestFalseCandidate, Floor);
    }

    private static List<AudioTransform> Transforms(string speech, double speechRms, string noise, double noiseRms) =>
    [
        new("excerpt (WAV)", true, (excerpt, name, _) => excerpt),
        new("MP3 64 kb/s", true, (excerpt, name, _) => Encode(excerpt, name + ".mp3", "-c:a", "libmp3lame", "-b:a", "64k")),
        new("AAC 64 kb/s", true, (excerpt, name, _) => Encode(excerpt, name + ".m4a", "-c:a", "aac", "-b:a", "64k")),
        new("volume +10 dB", true, (excerpt, name, _) => Encode(excerpt, name + ".wav", "-af", "volume=10dB")),
        new("volume -10 dB", true, (excerpt, name, _) => Encode(excerpt, name + ".wav", "-af", "volume=-10dB")),
        new("under speech, 10 dB SNR", true, (excerpt, name, _) => MixUnder(excerpt, name + ".wav", speech, speechRms)),
        new("under pink noise, 10 dB SNR", true, (excerpt, name, _) => MixUnder(excerpt, name + ".wav", noise, noiseRms)),
        new("2 s fade in and out", true, (excerpt, name, length) =>
            Encode(excerpt, name + ".wav", "-af", $"afade=t=in:d=2,afade=t=out:st={Num(length - 2)}:d=2")),
        new("tempo +5 %", false, (excerpt, name, _) => Encode(excerpt, name + ".wav", "-af", "atempo=1.05")),
        new("pitch +1 semitone", false, (excerpt, name, _) =>
            Encode(excerpt, name + ".wav", "-af", "asetrate=46722,aresample=44100,atempo=0.94387")),
    ];

    private static string Encode(string input, string output, params string[] arguments)
    {
        AudioTools.Ffmpeg(["-i", input, .. arguments, output]);
        return output;
    }

    // Lays the excerpt under a looped voice or noise track scaled so the music is 10 dB louder than it (RMS over the clip).
    private static string MixUnder(string excerpt, string output, string other, double otherRms)
    {
        var gain = AudioTools.Rms(excerpt) / otherRms * Math.Pow(10, -SnrDecibels / 20);
        AudioTools.Ffmpeg("-i", excerpt, "-stream_loop", "-1", "-i", other, "-filter_complex",
            $"[1:a]aformat=channel_layouts=stereo,volume={Num(gain)}[n];[0:a][n]amix=inputs=2:duration=first:normalize=0", output);
        return output;
    }

    private static async Task<(int Queries, List<string> Details)> NegativesAsync(
        string work, AudioFingerprinter fingerprinter, FingerprintIndex index, CancellationToken ct)
    {
        var folder = Path.Combine(work, "negatives");
        Directory.CreateDirectory(folder);
        var queries = new List<string>();
        var unrelated = AudioTools.Recording("asc-time-to-strike.mp3");
        foreach (var (start, length) in new[] { (15.0, 10.0), (120.0, 20.0), (250.0, 30.0) })
        {
            var path = Path.Combine(folder, $"time-to-strike-{start}.wav");
            AudioTools.Ffmpeg("-ss", Num(start), "-t", Num(length), "-i", unrelated, path);
            queries.Add(path);
        }

        foreach (var (name, source) in new[]
                 {
                     ("silence", "anullsrc=r=44100:cl=stereo"), ("pink-noise", "anoisesrc=r=44100:c=pink:seed=7"),
                     ("white-noise", "anoisesrc=r=44100:c=white:seed=9"), ("sine-440", "sine=f=440:r=44100"),
                     ("chirp", "aevalsrc=sin(2*PI*(200+100*t)*t):s=44100"),
                 })
        {
            var path = Path.Combine(folder, name + ".wav");
            AudioTools.Ffmpeg("-f", "lavfi", "-i", source, "-t", "20", path);
            queries.Add(path);
        }

        var speechOnly = Path.Combine(work, "speech.wav");
        queries.Add(speechOnly);

        var details = new List<string>();
        foreach (var query in queries)
        {
            foreach (var match in index.Search((await fingerprinter.FingerprintFileAsync(query, ct)).Values))
            {
                RecordFalseCandidate(match.Score);
                if (match.Score < Floor)
                {
                    continue;
                }

                details.Add($"{Path.GetFileName(query)} matched {match.ReferenceId} with score {match.Score}");
            }
        }

        return (queries.Count, details);
    }

    private static void RecordFalseCandidate(double score)
    {
        lock (HighestLock)
        {
            _highestFalseCandidate = Math.Max(_highestFalseCandidate, score);
        }
    }

    private static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

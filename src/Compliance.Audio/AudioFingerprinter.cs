using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Compliance.Audio;

/// <summary>
/// Turns an audio file or upload into a Chromaprint fingerprint with the real tool: the container is sniffed from its
/// bytes (anything but the accepted audio containers is refused before a process runs), ffprobe reads the declared
/// channels and duration with the demuxer forced, and fpcalc decodes and fingerprints with the same demuxer forced and
/// its length capped. Both run without a shell, under one time budget and a memory limit, and are killed on time-out.
/// </summary>
public sealed class AudioFingerprinter
{
    // A sub-fingerprint is at most 10 digits plus a comma in fpcalc's JSON.
    private const int CharsPerItem = 11;
    private const int OutputSlack = 4096;
    private const int ProbeOutputChars = 64 * 1024;

    private readonly AudioFingerprintOptions _options;

    public AudioFingerprinter(IOptions<AudioFingerprintOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Spools <paramref name="audio"/> to a private temporary file (size-capped), fingerprints it and deletes it.</summary>
    /// <exception cref="AudioRejectedException">The upload is not acceptable audio.</exception>
    public async Task<AudioFingerprint> FingerprintAsync(Stream audio, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var folder = string.IsNullOrEmpty(_options.SpoolFolder) ? Path.GetTempPath() : _options.SpoolFolder;
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"audio-{Guid.NewGuid():N}.bin");
        try
        {
            var spool = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await using (spool.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await audio.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > _options.MaxFileBytes)
                    {
                        throw new AudioRejectedException(AudioRejectionReason.TooLarge,
                            $"The audio is larger than the {_options.MaxFileBytes} byte limit.");
                    }

                    await spool.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
            }

            return await FingerprintFileAsync(path, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Fingerprints the audio file at <paramref name="path"/>.</summary>
    /// <exception cref="AudioRejectedException">The file is not acceptable audio.</exception>
    public async Task<AudioFingerprint> FingerprintFileAsync(string path, CancellationToken ct)
    {
        var fullPath = Path.GetFullPath(path);
        var length = new FileInfo(fullPath).Length;
        if (length == 0)
        {
            throw new AudioRejectedException(AudioRejectionReason.Empty, "The audio is empty (zero bytes).");
        }

        if (length > _options.MaxFileBytes)
        {
            throw new AudioRejectedException(AudioRejectionReason.TooLarge, $"The audio is larger than the {_options.MaxFileBytes} byte limit.");
        }

        var header = await AudioContainerSniffer.ReadHeaderAsync(fullPath, ct).ConfigureAwait(false);
        var container = AudioContainerSniffer.Sniff(header.Span) ?? throw new AudioRejectedException(AudioRejectionReason.NotAudio,
            $"The upload is {AudioContainerSniffer.Describe(header.Span)}; accepted audio is WAV, FLAC, Ogg, MP3, M4A/MP4 or Matroska/WebM.");
        return await FingerprintAsync(fullPath, container, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Fingerprints the audio track of a file whose container the caller has already recognised from its bytes (the
    /// video gate's own sniffer): <paramref name="container"/> must be one of <see cref="AudioContainer.ForVideoDemuxer"/>'s,
    /// and its demuxer is forced exactly as for a sniffed upload.
    /// </summary>
    /// <exception cref="AudioRejectedException">The file has no audio track, or its audio is not acceptable.</exception>
    public async Task<AudioFingerprint> FingerprintTrackAsync(string path, AudioContainer container, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (!AudioContainer.IsKnown(container))
        {
            throw new ArgumentException($"Demuxer '{container.Demuxer}' is not one the fingerprinter forces.", nameof(container));
        }

        var fullPath = Path.GetFullPath(path);
        var length = new FileInfo(fullPath).Length;
        if (length == 0)
        {
            throw new AudioRejectedException(AudioRejectionReason.Empty, "The file is empty (zero bytes).");
        }

        if (length > _options.MaxFileBytes)
        {
            throw new AudioRejectedException(AudioRejectionReason.TooLarge, $"The file is larger than the {_options.MaxFileBytes} byte limit.");
        }

        return await FingerprintAsync(fullPath, container, ct).ConfigureAwait(false);
    }

    private async Task<AudioFingerprint> FingerprintAsync(string fullPath, AudioContainer container, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.Timeout);
        try
        {
            await ProbeAsync(fullPath, container, budget.Token).ConfigureAwait(false);
            return await RunFpcalcAsync(fullPath, container, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new AudioRejectedException(AudioRejectionReason.Timeout,
                $"Fingerprinting did not finish within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", ex);
        }
    }

    private async Task ProbeAsync(string path, AudioContainer container, CancellationToken ct)
    {
        string[] arguments =
        [
            "-v", "error", "-protocol_whitelist", "file", "-f", container.Demuxer,
            "-show_entries", "stream=codec_type,channels:format=duration", "-of", "json", "-i", "file:" + path,
        ];
        var probe = await BoundedProcess.RunAsync(_options.FfprobePath, arguments, _options.ProcessMemoryBytes, ProbeOutputChars, ct)
            .ConfigureAwait(false);
        if (probe.ExitCode != 0 || probe.OutputTruncated)
        {
            throw new AudioRejectedException(AudioRejectionReason.Corrupt, $"The {container.Name} audio cannot be read: {FirstLine(probe.StandardError)}");
        }

        int? channels = null;
        var audioStreams = 0;
        double? duration = null;
        try
        {
            using var json = JsonDocument.Parse(probe.StandardOutput);
            if (json.RootElement.TryGetProperty("streams", out var streams))
            {
                foreach (var stream in streams.EnumerateArray())
                {
                    if (stream.TryGetProperty("codec_type", out var type) && type.GetString() == "audio")
                    {
                        audioStreams++;
                        channels = Math.Max(channels ?? 0, stream.TryGetProperty("channels", out var c) ? c.GetInt32() : 0);
                    }
                }
            }

            if (json.RootElement.TryGetProperty("format", out var format) && format.TryGetProperty("duration", out var d)
                && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                duration = seconds;
            }
        }
        catch (JsonException ex)
        {
            throw new AudioRejectedException(AudioRejectionReason.Corrupt, $"The {container.Name} audio cannot be probed.", ex);
        }

        if (channels is null)
        {
            throw new AudioRejectedException(AudioRejectionReason.NoAudioStream, $"The {container.Name} file has no audio stream.");
        }

        if (audioStreams > 1)
        {
            throw new AudioRejectedException(AudioRejectionReason.MultipleAudioStreams,
                $"The {container.Name} file has {audioStreams} audio streams; only one can be fingerprinted, so the others would go unheard.");
        }

        if (channels > _options.MaxChannels)
        {
            throw new AudioRejectedException(AudioRejectionReason.TooManyChannels,
                $"The audio has {channels} channels; at most {_options.MaxChannels} are accepted.");
        }

        if (duration > _options.MaxDuration.TotalSeconds)
        {
            throw new AudioRejectedException(AudioRejectionReason.TooLong,
                $"The audio declares {Seconds(duration.Value)} s; at most {Seconds(_options.MaxDuration.TotalSeconds)} s are accepted.");
        }
    }

    private async Task<AudioFingerprint> RunFpcalcAsync(string path, AudioContainer container, CancellationToken ct)
    {
        // One second past the limit is decoded, so audio that runs on past what its container declares is caught here.
        var lengthLimit = (int)Math.Ceiling(_options.MaxDuration.TotalSeconds) + 1;
        string[] arguments = ["-format", container.Demuxer, "-length", lengthLimit.ToString(CultureInfo.InvariantCulture), "-raw", "-json", path];
        var maxChars = (int)Math.Min(int.MaxValue, (lengthLimit / AudioFingerprint.ItemSeconds + 16) * CharsPerItem + OutputSlack);
        var run = await BoundedProcess.RunAsync(_options.FpcalcPath, arguments, _options.ProcessMemoryBytes, maxChars, ct).ConfigureAwait(false);
        if (run.OutputTruncated)
        {
            throw new AudioRejectedException(AudioRejectionReason.TooLong, "The fingerprint is longer than the duration limit allows.");
        }

        if ((run.ExitCode != 0 && !OnlyEndOfFileComplaints(run.StandardError)) || string.IsNullOrWhiteSpace(run.StandardOutput))
        {
            throw new AudioRejectedException(AudioRejectionReason.Corrupt, $"The {container.Name} audio cannot be decoded: {FirstLine(run.StandardError)}");
        }

        uint[] values;
        try
        {
            using var json = JsonDocument.Parse(run.StandardOutput);
            values = [.. json.RootElement.GetProperty("fingerprint").EnumerateArray().Select(v => v.GetUInt32())];
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new AudioRejectedException(AudioRejectionReason.Corrupt, $"The {container.Name} audio gave no readable fingerprint.", ex);
        }

        if (values.Length == 0)
        {
            throw new AudioRejectedException(AudioRejectionReason.Empty, $"The {container.Name} file decodes to too little audio to fingerprint.");
        }

        var fingerprint = new AudioFingerprint(values);
        if (fingerprint.DurationSeconds > _options.MaxDuration.TotalSeconds)
        {
            throw new AudioRejectedException(AudioRejectionReason.TooLong,
                $"The audio runs past {Seconds(_options.MaxDuration.TotalSeconds)} s although its container declares less.");
        }

        return fingerprint;
    }

    // fpcalc 1.5.1 built on FFmpeg 5 reports the decoder's normal end of stream as "Error decoding audio frame (End of
    // file)" and exits 3 after printing the complete fingerprint; any other complaint is a real decoding failure.
    private static bool OnlyEndOfFileComplaints(string standardError)
    {
        var lines = standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 && lines.All(line => line.EndsWith("(End of file)", StringComparison.Ordinal));
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return string.IsNullOrEmpty(line) ? "no detail given" : line;
    }

    private static string Seconds(double seconds) => seconds.ToString("0.#", CultureInfo.InvariantCulture);
}

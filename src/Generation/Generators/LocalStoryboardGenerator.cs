using System.Diagnostics;
using System.Globalization;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using FFMpegCore;
using SkiaSharp;

namespace Compliance.Generation.Generators;

/// <summary>
/// The default generator: offline and deterministic. It splits the prompt into scenes, draws each frame with
/// SkiaSharp (a seeded gradient and shapes, the scene's text as a caption, and any placed assets on top) and pipes
/// the raw RGBA frames to ffmpeg, which encodes H.264 in MP4 with one thread and bit-exact flags, so the same request
/// and seed give the same file byte for byte on the same ffmpeg build. Because it can place a reference image or an
/// enrolled face into chosen scenes, tests and the README tour can make output that passes the prompt gate and is
/// caught by the frame gate. It can also lay a named audio asset under its scenes (<see cref="GenerationRequest.Soundtrack"/>),
/// encoded as AAC, so a soundtrack can be caught by the same gate. Thread-safe.
/// </summary>
public sealed class LocalStoryboardGenerator : IVideoGenerator, IDisposable
{
    public const string GeneratorName = "local-storyboard";

    /// <summary>Smallest frame side; libx264 with yuv420p also needs even sides.</summary>
    public const int MinSide = 64;

    private const int DiagnosticsChars = 4000;
    private const int MaxCaptionLength = 200;

    private readonly LocalStoryboardOptions _options;
    private readonly SKTypeface _typeface;
    private readonly SafeImageDecoder _decoder;
    private readonly string _ffmpeg;

    /// <exception cref="FileNotFoundException">The caption font is missing (Debian: <c>fonts-dejavu-core</c>).</exception>
    public LocalStoryboardGenerator(LocalStoryboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        if (!File.Exists(options.FontPath))
        {
            throw new FileNotFoundException(
                $"The storyboard caption font {options.FontPath} is missing; install Debian's fonts-dejavu-core (scripts/setup.sh) or set FontPath.",
                options.FontPath);
        }

        _typeface = SKTypeface.FromFile(options.FontPath)
            ?? throw new InvalidOperationException($"{options.FontPath} is not a font SkiaSharp can load.");
        _decoder = new SafeImageDecoder(options.MaxAssetPixels, maxEncodedBytes: options.MaxAssetBytes);
        _ffmpeg = GlobalFFOptions.GetFFMpegBinaryPath(new FFOptions { BinaryFolder = options.BinaryFolder });
    }

    public string Name => GeneratorName;

    public LocalStoryboardOptions Options => _options;

    public async Task<GeneratedVideo> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var frameCount = CheckRequest(request);
        var soundtrack = request.Soundtrack is { } name ? SoundtrackPath(name) : null;
        var scenes = StoryboardScript.Plan(request.Prompt, frameCount, _options.MaxScenes);
        var assets = PlaceAssets(request, scenes, frameCount);
        var directory = _options.OutputDirectory ?? Path.GetTempPath();
        var output = Path.Combine(Path.GetFullPath(directory), $"storyboard-{Guid.NewGuid():N}.mp4");

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.Timeout);
        var succeeded = false;
        try
        {
            using var renderer = new StoryboardRenderer(request.Width, request.Height, request.Seed, _typeface, scenes, assets);
            await EncodeAsync(renderer, frameCount, output, soundtrack, progress, budget.Token).ConfigureAwait(false);
            succeeded = true;
            progress?.Report(1.0);
            return new GeneratedVideo(output, "video/mp4",
                TimeSpan.FromSeconds((double)frameCount / _options.FramesPerSecond),
                request.Width, request.Height, Name, StoryboardRenderer.Version, ProviderJobId: null);
        }
        catch (OperationCanceledException ex)
        {
            throw ct.IsCancellationRequested
                ? new GenerationFailedException(GenerationFailureKind.Cancelled, Name, "The generation was cancelled.", ex)
                : new GenerationFailedException(GenerationFailureKind.Timeout, Name,
                    $"Rendering and encoding did not finish within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", ex);
        }
        finally
        {
            foreach (var placed in assets)
            {
                placed.Image?.Dispose();
            }

            if (!succeeded && File.Exists(output))
            {
                File.Delete(output);
            }
        }
    }

    /// <summary>The audio assets a request may name, in order (empty when no folder is configured or it does not exist).</summary>
    public IReadOnlyList<string> SoundtrackNames =>
        string.IsNullOrEmpty(_options.AudioAssetFolder) || !Directory.Exists(_options.AudioAssetFolder)
            ? []
            : [.. Directory.EnumerateFiles(_options.AudioAssetFolder)
                .Select(Path.GetFileNameWithoutExtension).OfType<string>()
                .Where(IsAssetName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The file of the named audio asset: looked up among the folder's own files (a name is never joined into a path,
    /// so no name can reach outside the folder).
    /// </summary>
    private string SoundtrackPath(string name)
    {
        if (!IsAssetName(name))
        {
            throw Invalid($"'{name}' is not an audio asset name (letters, digits, '-', '_' and '.', at most 64).");
        }

        var folder = _options.AudioAssetFolder;
        var file = string.IsNullOrEmpty(folder) || !Directory.Exists(folder)
            ? null
            : Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == name);
        return file ?? throw Invalid($"There is no audio asset named '{name}'; available: {(SoundtrackNames is { Count: > 0 } names ? string.Join(", ", names) : "none")}.");
    }

    private static bool IsAssetName(string name) =>
        name.Length is > 0 and <= 64 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private async Task EncodeAsync(StoryboardRenderer renderer, int frameCount, string output, string? soundtrack, IProgress<double>? progress, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo(_ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in FfmpegArguments(renderer.Bitmap.Width, renderer.Bitmap.Height, _options.FramesPerSecond, output, soundtrack))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"ffmpeg ({_ffmpeg}) could not be started.");
        var stderr = ReadTailAsync(process.StandardError);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stdin = process.StandardInput.BaseStream;
        var pixels = new byte[renderer.Bitmap.ByteCount];
        try
        {
            var reported = -1.0;
            for (var frame = 0; frame < frameCount; frame++)
            {
                ct.ThrowIfCancellationRequested();
                renderer.Draw(frame);
                renderer.Bitmap.GetPixelSpan().CopyTo(pixels);
                try
                {
                    await stdin.WriteAsync(pixels, ct).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    break; // ffmpeg stopped reading: it failed, and its exit code and stderr below say why.
                }

                // Encoding trails rendering by a few frames; "drawn" is close enough for a progress bar.
                var done = Math.Round((frame + 1.0) / frameCount * 0.95, 2);
                if (done > reported)
                {
                    reported = done;
                    progress?.Report(done);
                }
            }

            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
                // Same: the exit code decides.
            }

            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            var diagnostics = await stderr.ConfigureAwait(false);
            await stdout.ConfigureAwait(false);
            if (process.ExitCode != 0 || !File.Exists(output))
            {
                throw new GenerationFailedException(GenerationFailureKind.Permanent, Name,
                    $"ffmpeg failed to encode the storyboard (exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {LastLine(diagnostics)}",
                    diagnostics: diagnostics);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the check and the kill.
                }

                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Raw RGBA in on stdin, H.264/yuv420p MP4 out. One encoder thread, bit-exact muxing and no copied metadata make
    /// the file a function of the frames (no timestamps, no library version strings in the container); faststart puts
    /// the index first so the file can be streamed. <c>-n</c>: never overwrite anything. With a soundtrack, its first
    /// audio stream is read from the local file only and encoded as bit-exact AAC, cut where the video ends.
    /// </summary>
    internal static IReadOnlyList<string> FfmpegArguments(int width, int height, int fps, string output, string? soundtrack = null)
    {
        var inv = CultureInfo.InvariantCulture;
        List<string> arguments =
        [
            "-hide_banner", "-nostats", "-loglevel", "error", "-n",
            "-f", "rawvideo", "-pix_fmt", "rgba",
            "-video_size", $"{width.ToString(inv)}x{height.ToString(inv)}",
            "-framerate", fps.ToString(inv),
            "-i", "pipe:0",
        ];
        if (soundtrack is null)
        {
            arguments.Add("-an");
        }
        else
        {
            arguments.AddRange(["-protocol_whitelist", "file", "-i", "file:" + Path.GetFullPath(soundtrack),
                "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k", "-flags:a", "+bitexact", "-shortest"]);
        }

        arguments.AddRange(
        [
            "-map_metadata", "-1",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-threads", "1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-movflags", "+faststart",
            "-f", "mp4", "file:" + output,
        ]);
        return arguments;
    }

    private int CheckRequest(GenerationRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw Invalid("The prompt is empty.");
        }

        if (request.Prompt.Length > _options.MaxPromptLength)
        {
            throw Invalid($"The prompt is {request.Prompt.Length} characters; the limit is {_options.MaxPromptLength}.");
        }

        if (request.Duration <= TimeSpan.Zero || request.Duration > _options.MaxDuration)
        {
            throw Invalid($"The duration must be more than 0 s and at most {Seconds(_options.MaxDuration)} s; it is {Seconds(request.Duration)} s.");
        }

        var (w, h) = (request.Width, request.Height);
        if (w < MinSide || h < MinSide || w > _options.MaxSide || h > _options.MaxSide || (long)w * h > _options.MaxPixels)
        {
            throw Invalid($"The size {w}×{h} is outside the limits: sides {MinSide} to {_options.MaxSide} px, at most {_options.MaxPixels} pixels.");
        }

        if (w % 2 != 0 || h % 2 != 0)
        {
            throw Invalid($"The size {w}×{h} must have even sides (H.264 in yuv420p).");
        }

        var assetCount = request.Assets.Count + (request.InputReferencePath is null ? 0 : 1);
        if (assetCount > _options.MaxAssets)
        {
            throw Invalid($"The request places {assetCount} assets; the limit is {_options.MaxAssets}.");
        }

        return Math.Max(1, (int)Math.Round(request.Duration.TotalSeconds * _options.FramesPerSecond, MidpointRounding.AwayFromZero));
    }

    private List<PlacedAsset> PlaceAssets(GenerationRequest request, IReadOnlyList<StoryboardScene> scenes, int frameCount)
    {
        var wanted = request.Assets.ToList();
        if (request.InputReferencePath is { } reference)
        {
            // The input reference guides a hosted model's first frames; here it is simply shown over the first scene.
            wanted.Insert(0, new StoryboardAsset { Name = "input_reference", ImagePath = reference, Scene = 0, Height = 1.0 });
        }

        var placed = new List<PlacedAsset>(wanted.Count);
        var complete = false;
        try
        {
            foreach (var asset in wanted)
            {
                var (first, end) = FramesOf(asset, scenes, frameCount);
                placed.Add(new PlacedAsset(asset, asset.ImagePath is null ? null : LoadImage(asset), first, end));
            }

            complete = true;
            return placed;
        }
        finally
        {
            if (!complete)
            {
                foreach (var p in placed)
                {
                    p.Image?.Dispose();
                }
            }
        }
    }

    private (int First, int End) FramesOf(StoryboardAsset asset, IReadOnlyList<StoryboardScene> scenes, int frameCount)
    {
        if (string.IsNullOrWhiteSpace(asset.Name))
        {
            throw Invalid("An asset has no name.");
        }

        if ((asset.ImagePath is null) == (asset.Text is null))
        {
            throw Invalid($"Asset '{asset.Name}' must have exactly one of an image path and a caption text.");
        }

        if (asset.Text is { } text && (string.IsNullOrWhiteSpace(text) || text.Length > MaxCaptionLength))
        {
            throw Invalid($"Asset '{asset.Name}': a caption must have 1 to {MaxCaptionLength} characters.");
        }

        if (!(asset.CenterX is >= 0 and <= 1) || !(asset.CenterY is >= 0 and <= 1) || !(asset.Height is > 0 and <= 1))
        {
            throw Invalid($"Asset '{asset.Name}': the centre must be within [0, 1] and the height within (0, 1] of the frame.");
        }

        var hasRange = asset.From is not null || asset.To is not null;
        if ((asset.Scene is null) == !hasRange)
        {
            throw Invalid($"Asset '{asset.Name}' must name exactly one of a scene and a time range.");
        }

        if (asset.Scene is { } index)
        {
            if (index < 0 || index >= scenes.Count)
            {
                throw Invalid($"Asset '{asset.Name}' names scene {index}; the prompt makes {scenes.Count} scene(s), numbered from 0.");
            }

            return (scenes[index].FirstFrame, scenes[index].EndFrame);
        }

        if (asset.From is not { } from || asset.To is not { } to || from < TimeSpan.Zero || to <= from)
        {
            throw Invalid($"Asset '{asset.Name}': a time range needs From ≥ 0 and To > From.");
        }

        // Frame i is shown at i/fps; the asset covers the frames whose time falls in [From, To).
        var fps = _options.FramesPerSecond;
        var first = (int)Math.Ceiling((from.TotalSeconds * fps) - 1e-9);
        var end = Math.Min(frameCount, (int)Math.Ceiling((to.TotalSeconds * fps) - 1e-9));
        if (first >= end)
        {
            throw Invalid($"Asset '{asset.Name}': the range {Seconds(from)}–{Seconds(to)} s shows in no frame of a {Seconds(TimeSpan.FromSeconds((double)frameCount / fps))} s video.");
        }

        return (first, end);
    }

    private SKImage LoadImage(StoryboardAsset asset)
    {
        DecodedImage decoded;
        try
        {
            decoded = _decoder.DecodeFile(asset.ImagePath!);
        }
        catch (Exception ex) when (ex is ImageRejectedException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw Invalid($"Asset '{asset.Name}': the image cannot be used ({ex.Message})", ex);
        }

        var info = decoded.Format == PdqPixelFormat.Gray8
            ? new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return SKImage.FromPixelCopy(info, decoded.Pixels.Span, decoded.RowBytes)
            ?? throw Invalid($"Asset '{asset.Name}': the decoded image could not be prepared for drawing.");
    }

    private GenerationFailedException Invalid(string message, Exception? inner = null) =>
        new(GenerationFailureKind.InvalidRequest, Name, message, inner);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        var text = await reader.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false);
        return text.Length <= DiagnosticsChars ? text.Trim() : text[^DiagnosticsChars..].Trim();
    }

    private static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no diagnostics" : lines[^1];
    }

    public void Dispose() => _typeface.Dispose();
}

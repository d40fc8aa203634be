using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FFMpegCore;
using FFMpegCore.Exceptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Compliance.Generation.Generators;

/// <summary>
/// Generates through a hosted video API that speaks the OpenAI-style contract gateways serve: create a job with
/// <c>POST {BaseUrl}/videos</c> (multipart: <c>model</c>, <c>prompt</c>, <c>seconds</c>, <c>size</c>, optional
/// <c>input_reference</c>), poll <c>GET {BaseUrl}/videos/{id}</c> until it is <c>completed</c> or <c>failed</c>, and
/// download <c>GET {BaseUrl}/videos/{id}/content</c> at once, because providers' content links expire.
/// <para>
/// Each request is retried with exponential backoff and jitter on 429 (waiting what <c>Retry-After</c> says, in
/// seconds or as an HTTP date), on 5xx, on network errors and on attempts that outlive
/// <see cref="HostedVideoOptions.RequestTimeout"/>; any other 4xx is a permanent failure carrying the provider's
/// message; a refusal by the provider's safety system (see <see cref="HostedVideoOptions.SafetyErrorCodes"/>) is a
/// <see cref="GenerationFailureKind.SafetyRefusal"/>; a 404 or 410 on the content is
/// <see cref="GenerationFailureKind.ContentExpired"/>. The download is probed with ffprobe: what is not a readable
/// video is a permanent failure, never a file handed on.
/// </para>
/// Register as a typed client (<c>AddHttpClient&lt;HostedVideoGenerator&gt;</c>); the options govern every timeout, so
/// the client's own <see cref="HttpClient.Timeout"/> should be infinite. Thread-safe. The API key is sent only in the
/// Authorization header and never logged.
/// </summary>
public sealed class HostedVideoGenerator : IVideoGenerator
{
    public const string GeneratorName = "hosted-video-api";
    private const int CopyBufferBytes = 81920;
    private const int MaxErrorBodyChars = 2000;

    private readonly HttpClient _http;
    private readonly HostedVideoOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Uri _base;
    private readonly HashSet<string> _safetyCodes;
    private readonly ResiliencePipeline<HttpResponseMessage> _requests;
    private readonly ResiliencePipeline<HttpResponseMessage> _downloads;
    private readonly FFOptions _ffOptions;

    public HostedVideoGenerator(HttpClient http, HostedVideoOptions options, ILogger<HostedVideoGenerator>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        var url = options.BaseUrl!.AbsoluteUri;
        _base = new Uri(url.EndsWith('/') ? url : url + "/");
        _safetyCodes = new HashSet<string>(options.SafetyErrorCodes, StringComparer.OrdinalIgnoreCase);
        _requests = BuildPipeline(options.RequestTimeout);
        _downloads = BuildPipeline(options.DownloadTimeout);
        _ffOptions = new FFOptions { BinaryFolder = options.BinaryFolder };
    }

    public string Name => GeneratorName;

    /// <summary>The settings it was made with (the pipeline checks requests against the durations it accepts).</summary>
    public HostedVideoOptions Options => _options;

    public async Task<GeneratedVideo> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var seconds = CheckRequest(request);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.Timeout);
        string? jobId = null;
        string? output = null;
        var succeeded = false;
        try
        {
            jobId = await CreateAsync(request, seconds, budget.Token).ConfigureAwait(false);
            await WaitUntilCompletedAsync(jobId, progress, budget.Token).ConfigureAwait(false);
            output = Path.Combine(Path.GetFullPath(_options.OutputDirectory ?? Path.GetTempPath()), $"hosted-{Guid.NewGuid():N}.video");
            await DownloadAsync(jobId, output, budget.Token).ConfigureAwait(false);
            var video = await DescribeAsync(jobId, output, budget.Token).ConfigureAwait(false);

            // Named after what ffprobe found, not what the provider said, so later steps can trust the extension.
            var named = Path.ChangeExtension(output, video.MediaType == "video/webm" ? ".webm" : ".mp4");
            File.Move(output, named);
            output = named;
            video = video with { Path = named };
            succeeded = true;
            progress?.Report(1.0);
            return video;
        }
        catch (OperationCanceledException ex)
        {
            throw ct.IsCancellationRequested
                ? new GenerationFailedException(GenerationFailureKind.Cancelled, Name, "The generation was cancelled.", ex, jobId)
                : new GenerationFailedException(GenerationFailureKind.Timeout, Name,
                    $"The provider did not deliver a video within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", ex, jobId);
        }
        finally
        {
            if (!succeeded && output is not null && File.Exists(output))
            {
                File.Delete(output);
            }
        }
    }

    private int CheckRequest(GenerationRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw Invalid("The prompt is empty.");
        }

        var seconds = request.Duration.TotalSeconds;
        if (seconds != Math.Floor(seconds) || !_options.AllowedSeconds.Contains((int)seconds))
        {
            throw Invalid($"The provider makes videos of {string.Join(", ", _options.AllowedSeconds)} seconds; {seconds.ToString(CultureInfo.InvariantCulture)} s was asked for.");
        }

        if (request.Width <= 0 || request.Height <= 0)
        {
            throw Invalid($"The size {request.Width}×{request.Height} is not a frame size.");
        }

        if (request.Assets.Count > 0)
        {
            throw Invalid("A hosted provider cannot place storyboard assets; only an input reference image can be sent.");
        }

        if (request.Soundtrack is not null)
        {
            throw Invalid("A hosted provider cannot lay a named soundtrack under its video; only the local storyboard can.");
        }

        if (request.InputReferencePath is { } reference && !File.Exists(reference))
        {
            throw Invalid("The input reference image does not exist.");
        }

        return (int)seconds;
    }

    private async Task<string> CreateAsync(GenerationRequest request, int seconds, CancellationToken ct)
    {
        var size = string.Create(CultureInfo.InvariantCulture, $"{request.Width}x{request.Height}");
        using var response = await SendAsync(_requests, () =>
        {
            // A new form per attempt: a sent HttpContent cannot be sent again, and the reference file is reopened.
            var form = new MultipartFormDataContent
            {
                { new StringContent(_options.Model), "model" },
                { new StringContent(request.Prompt), "prompt" },
                { new StringContent(seconds.ToString(CultureInfo.InvariantCulture)), "seconds" },
                { new StringContent(size), "size" },
            };
            if (request.InputReferencePath is { } path)
            {
                var file = new StreamContent(File.OpenRead(path));
                file.Headers.ContentType = new MediaTypeHeaderValue(ImageMediaType(path));
                form.Add(file, "input_reference", Path.GetFileName(path));
            }

            return new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "videos")) { Content = form };
        }, HttpCompletionOption.ResponseContentRead, jobId: null, ct).ConfigureAwait(false);

        await EnsureSuccessAsync(response, "create the video job", jobId: null, ct).ConfigureAwait(false);
        var job = await ReadJobAsync(response, jobId: null, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(job.Id))
        {
            throw new GenerationFailedException(GenerationFailureKind.Permanent, Name,
                "The provider accepted the job but returned no job id.", httpStatus: (int)response.StatusCode);
        }

        _logger.LogInformation("Hosted video job {JobId} created with model {Model} ({Seconds} s, {Size}).", job.Id, _options.Model, seconds, size);
        ThrowIfFailed(job);
        return job.Id;
    }

    private async Task WaitUntilCompletedAsync(string jobId, IProgress<double>? progress, CancellationToken ct)
    {
        var reported = -1.0;
        while (true)
        {
            await Task.Delay(_options.PollInterval, _time, ct).ConfigureAwait(false);
            using var response = await SendAsync(_requests,
                () => new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"videos/{Uri.EscapeDataString(jobId)}")),
                HttpCompletionOption.ResponseContentRead, jobId, ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, "read the job's status", jobId, ct).ConfigureAwait(false);
            var job = await ReadJobAsync(response, jobId, ct).ConfigureAwait(false);
            ThrowIfFailed(job with { Id = jobId });

            // Polling covers 0–95 %; the download is the rest.
            var done = Math.Round(Math.Clamp(job.Progress ?? 0, 0, 100) / 100 * 0.95, 3);
            if (job.Status == VideoJobStatus.Completed)
            {
                done = 0.95;
            }

            if (done > reported)
            {
                reported = done;
                progress?.Report(done);
            }

            switch (job.Status)
            {
                case VideoJobStatus.Completed:
                    return;
                case VideoJobStatus.Queued or VideoJobStatus.InProgress:
                    continue;
                default:
                    throw new GenerationFailedException(GenerationFailureKind.Permanent, Name,
                        $"The provider reports the job as '{job.Status ?? "(no status)"}'.", providerJobId: jobId);
            }
        }
    }

    private void ThrowIfFailed(VideoJob job)
    {
        if (job.Status != VideoJobStatus.Failed)
        {
            return;
        }

        var code = job.Error?.Code;
        var message = job.Error?.Message;
        if (code is not null && _safetyCodes.Contains(code))
        {
            _logger.LogWarning("Hosted video job {JobId} was refused by the provider's safety system ({Code}).", job.Id, code);
            throw new GenerationFailedException(GenerationFailureKind.SafetyRefusal, Name,
                $"The provider's safety system refused the job ({code}): {message}", providerJobId: job.Id, providerCode: code, providerMessage: message);
        }

        throw new GenerationFailedException(GenerationFailureKind.Permanent, Name,
            $"The provider failed the job ({code ?? "no code"}): {message ?? "no message"}", providerJobId: job.Id, providerCode: code, providerMessage: message);
    }

    private async Task DownloadAsync(string jobId, string output, CancellationToken ct)
    {
        using var response = await SendAsync(_downloads,
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"videos/{Uri.EscapeDataString(jobId)}/content")),
            HttpCompletionOption.ResponseHeadersRead, jobId, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
            throw new GenerationFailedException(GenerationFailureKind.ContentExpired, Name,
                $"The finished video can no longer be downloaded (HTTP {(int)response.StatusCode}: the provider's link expired or the content was deleted).",
                providerJobId: jobId, providerCode: error?.Code, providerMessage: error?.Message, httpStatus: (int)response.StatusCode);
        }

        await EnsureSuccessAsync(response, "download the video", jobId, ct).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > _options.MaxContentBytes)
        {
            throw TooLarge(jobId);
        }

        var file = new FileStream(output, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferBytes, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            try
            {
                var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    var buffer = new byte[CopyBufferBytes];
                    long total = 0;
                    int read;
                    while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    {
                        total += read;
                        if (total > _options.MaxContentBytes)
                        {
                            throw TooLarge(jobId);
                        }

                        await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                throw new GenerationFailedException(GenerationFailureKind.TransientExhausted, Name,
                    $"The download of the finished video broke off ({ex.GetType().Name}).", ex, jobId);
            }
        }
    }

    private async Task<GeneratedVideo> DescribeAsync(string jobId, string path, CancellationToken ct)
    {
        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(path, _ffOptions, customArguments: null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested
            && ex is FFProbeProcessException or FormatNullException or JsonException or FormatException or OverflowException)
        {
            throw NotAVideo(jobId, ex);
        }

        var stream = analysis.PrimaryVideoStream;
        var format = analysis.Format.FormatName ?? string.Empty;
        var mediaType = format.Contains("mp4", StringComparison.Ordinal) || format.Contains("mov", StringComparison.Ordinal) ? "video/mp4"
            : format.Contains("webm", StringComparison.Ordinal) || format.Contains("matroska", StringComparison.Ordinal) ? "video/webm"
            : null;
        if (stream is null || stream.Width is not > 0 || stream.Height is not > 0 || mediaType is null)
        {
            throw NotAVideo(jobId, null);
        }

        return new GeneratedVideo(path, mediaType, analysis.Duration, stream.Width!.Value, stream.Height!.Value, Name, _options.Model, jobId);
    }

    private async Task<HttpResponseMessage> SendAsync(
        ResiliencePipeline<HttpResponseMessage> pipeline,
        Func<HttpRequestMessage> build,
        HttpCompletionOption completion,
        string? jobId,
        CancellationToken ct)
    {
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                using var request = build();
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                return await _http.SendAsync(request, completion, token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException && !ct.IsCancellationRequested)
        {
            var what = ex is TimeoutRejectedException ? "no answer in time" : "network error";
            throw new GenerationFailedException(GenerationFailureKind.TransientExhausted, Name,
                $"The provider could not be reached after {_options.MaxRetries + 1} attempts ({what}).", ex, jobId);
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string action, string? jobId, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
        var detail = error?.Message ?? response.ReasonPhrase ?? "no message";
        if (IsTransient(response.StatusCode))
        {
            var why = RetryAfter(response) is { } wait && wait > _options.MaxRetryAfter
                ? $"the provider asks to wait {wait.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s, longer than the {_options.MaxRetryAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s this service waits"
                : $"it persisted after {_options.MaxRetries + 1} attempts";
            throw new GenerationFailedException(GenerationFailureKind.TransientExhausted, Name,
                $"Could not {action}: HTTP {status}; {why} ({detail}).",
                providerJobId: jobId, providerCode: error?.Code, providerMessage: error?.Message, httpStatus: status);
        }

        if (error?.Code is { } code && _safetyCodes.Contains(code))
        {
            _logger.LogWarning("The provider's safety system refused to {Action} ({Code}).", action, code);
            throw new GenerationFailedException(GenerationFailureKind.SafetyRefusal, Name,
                $"The provider's safety system refused to {action} ({code}): {error.Message}",
                providerJobId: jobId, providerCode: code, providerMessage: error.Message, httpStatus: status);
        }

        throw new GenerationFailedException(GenerationFailureKind.Permanent, Name,
            $"Could not {action}: the provider answered HTTP {status} ({detail}).",
            providerJobId: jobId, providerCode: error?.Code, providerMessage: error?.Message, httpStatus: status);
    }

    private async Task<VideoJob> ReadJobAsync(HttpResponseMessage response, string? jobId, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(VideoApiJson.Default.VideoJob, ct).ConfigureAwait(false)
                ?? throw new JsonException("The body is JSON null.");
        }
        catch (JsonException ex)
        {
            throw new GenerationFailedException(GenerationFailureKind.Permanent, Name,
                "The provider's answer is not a video job object.", ex, jobId, httpStatus: (int)response.StatusCode);
        }
    }

    private static async Task<VideoApiError?> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            return null;
        }

        if (body.Length > MaxErrorBodyChars)
        {
            body = body[..MaxErrorBodyChars];
        }

        try
        {
            return JsonSerializer.Deserialize(body, VideoApiJson.Default.VideoApiErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            // Not the contract's error shape (an HTML page from a proxy, say): keep a trimmed copy as the message.
            return body.Length == 0 ? null : new VideoApiError(null, body.Trim(), null);
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(TimeSpan attemptTimeout) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutRejectedException } => true,
                    { Result: { } r } => IsTransient(r.StatusCode) && (RetryAfter(r) is not { } wait || wait <= _options.MaxRetryAfter),
                    _ => false,
                }),
                MaxRetryAttempts = _options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfter(r) : null),
                OnRetry = args =>
                {
                    _logger.LogWarning("Hosted video API: attempt {Attempt} failed ({Outcome}); retrying in {Delay} ms.",
                        args.AttemptNumber + 1,
                        args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : args.Outcome.Exception?.GetType().Name,
                        (long)args.RetryDelay.TotalMilliseconds);
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(attemptTimeout)
            .Build();

    /// <summary>How long the server asks us to wait: Retry-After in seconds or as an HTTP date; null if it does not say.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - _time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static string ImageMediaType(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".PNG" => "image/png",
        ".JPG" or ".JPEG" => "image/jpeg",
        ".WEBP" => "image/webp",
        _ => "application/octet-stream",
    };

    private GenerationFailedException Invalid(string message) => new(GenerationFailureKind.InvalidRequest, Name, message);

    private GenerationFailedException TooLarge(string jobId) => new(GenerationFailureKind.Permanent, Name,
        $"The provider's video is larger than the limit of {_options.MaxContentBytes} bytes.", providerJobId: jobId);

    private GenerationFailedException NotAVideo(string jobId, Exception? inner) => new(GenerationFailureKind.Permanent, Name,
        "The provider's content is not a readable MP4 or WebM video.", inner, jobId);
}

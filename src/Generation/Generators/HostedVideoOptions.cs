namespace Compliance.Generation.Generators;

/// <summary>
/// Settings of the <see cref="HostedVideoGenerator"/>: where the OpenAI-style video API is, how to authenticate,
/// which model to ask for, and how long to wait and retry.
/// </summary>
public sealed record HostedVideoOptions
{
    /// <summary>
    /// The API's base URL including its version segment, as OpenAI-style SDKs take it, e.g.
    /// <c>https://api.openai.com/v1</c> or a gateway's <c>https://gateway.example/openai/v1</c>; the generator calls
    /// <c>{BaseUrl}/videos</c>, <c>{BaseUrl}/videos/{id}</c> and <c>{BaseUrl}/videos/{id}/content</c>.
    /// </summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer</c>; never logged and never part of an exception message.</summary>
    public string ApiKey { get; init; } = string.Empty;

    /// <summary>The provider's model name, e.g. <c>sora-2</c>.</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>Durations, in whole seconds, the contract accepts. Default 4, 8 and 12.</summary>
    public IReadOnlyList<int> AllowedSeconds { get; init; } = [4, 8, 12];

    /// <summary>Pause between two status polls. Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Budget for one whole generation, from create to downloaded file. Default 15 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Budget for one create or status request (one attempt); past it the attempt is retried. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Budget for one attempt at downloading the finished video (headers and body). Default 5 minutes.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries after the first attempt of one request, on 429, 5xx, network errors and attempt timeouts. Default 4.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay, doubled on each retry with jitter, when the server gives no Retry-After. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest computed backoff delay. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest Retry-After the generator waits for; a server asking for more ends the request as transient failure
    /// rather than holding a job for that long. Default 2 minutes.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Provider error codes that mean its own safety system refused the prompt or the output (compared
    /// case-insensitively), on a failed job or on a refused create.
    /// </summary>
    public IReadOnlyList<string> SafetyErrorCodes { get; init; } =
        ["moderation_blocked", "content_policy_violation", "content_filter", "safety", "safety_violation", "policy_violation"];

    /// <summary>Largest video accepted from the provider, in bytes. Default 512 MiB, as for uploads.</summary>
    public long MaxContentBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Folder for downloaded videos; <c>null</c> means <see cref="Path.GetTempPath"/>.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Folder holding ffprobe (used to check the download is a video); empty means PATH.</summary>
    public string BinaryFolder { get; init; } = string.Empty;

    internal void Validate()
    {
        if (BaseUrl is null || !BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttps && BaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("BaseUrl must be an absolute http(s) URL, e.g. https://api.openai.com/v1.", nameof(BaseUrl));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(ApiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(Model);
        ArgumentNullException.ThrowIfNull(AllowedSeconds);
        if (AllowedSeconds.Count == 0 || AllowedSeconds.Any(s => s <= 0))
        {
            throw new ArgumentException("AllowedSeconds must list positive whole seconds.", nameof(AllowedSeconds));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DownloadTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryBaseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryDelay, RetryBaseDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryAfter, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(SafetyErrorCodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxContentBytes, 1);
        ArgumentNullException.ThrowIfNull(BinaryFolder);
    }
}

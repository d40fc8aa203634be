using System.Collections.Concurrent;
using System.Diagnostics;
using Compliance.Generation.Generators;
using Microsoft.Extensions.Logging;

namespace Compliance.Generation.Tests.Generators;

/// <summary>A real MP4 (made by ffmpeg) for the stand-in API to serve.</summary>
public sealed class HostedVideoFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"compliance-hosted-{Guid.NewGuid():N}");

    public byte[] Video { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "provider.mp4");
        await TestVideos.RunFfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", path);
        Video = await File.ReadAllBytesAsync(path);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class HostedVideoGeneratorTests(HostedVideoFixture fixture) : IClassFixture<HostedVideoFixture>, IAsyncLifetime
{
    private readonly ScratchFolder _scratch = new();
    private readonly ListLogger _logs = new();
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private FakeVideoApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeVideoApi.StartAsync(fixture.Video);

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _http.Dispose();
        _scratch.Dispose();
    }

    private HostedVideoOptions Options => new()
    {
        BaseUrl = _api.BaseUrl,
        ApiKey = FakeVideoApi.ApiKey,
        Model = "sora-2",
        PollInterval = TimeSpan.FromMilliseconds(20),
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(5),
        Timeout = TimeSpan.FromSeconds(30),
        OutputDirectory = _scratch.Path,
    };

    private HostedVideoGenerator Generator(HostedVideoOptions? options = null) => new(_http, options ?? Options, _logs);

    private static GenerationRequest Request => new() { Prompt = "A lighthouse in a storm", Duration = TimeSpan.FromSeconds(4), Width = 1280, Height = 720 };

    [Fact]
    public async Task ACompletedJobIsDownloadedProbedAndHandedOver()
    {
        var video = await Generator().GenerateAsync(Request, null, CancellationToken.None);

        Assert.Equal(fixture.Video, await File.ReadAllBytesAsync(video.Path));
        Assert.StartsWith(_scratch.Path, video.Path, StringComparison.Ordinal);
        Assert.EndsWith(".mp4", video.Path, StringComparison.Ordinal);
        Assert.Equal([video.Path], _scratch.Files);
        Assert.Equal(("video/mp4", 320, 180), (video.MediaType, video.Width, video.Height));
        Assert.Equal(2.0, video.Duration.TotalSeconds, precision: 1);
        Assert.Equal((HostedVideoGenerator.GeneratorName, "sora-2"), (video.Generator, video.Model));
        Assert.StartsWith("video_", video.ProviderJobId, StringComparison.Ordinal);
        Assert.All(_api.Requests, r => Assert.Equal($"Bearer {FakeVideoApi.ApiKey}", r.Authorization));
        Assert.All(_api.StatusPolls, r => Assert.Equal($"/v1/videos/{video.ProviderJobId}", r.Path));
        var create = Assert.Single(_api.Creates);
        Assert.Equal("/v1/videos", create.Path);
        Assert.Equal("sora-2", create.Form["model"]);
        Assert.Equal("A lighthouse in a storm", create.Form["prompt"]);
        Assert.Equal("4", create.Form["seconds"]);
        Assert.Equal("1280x720", create.Form["size"]);
        Assert.Null(create.FileName);
        Assert.Equal($"/v1/videos/{video.ProviderJobId}/content", Assert.Single(_api.Downloads).Path);
    }

    [Fact]
    public async Task AnInputReferenceIsSentAsAFilePart()
    {
        var reference = TestPaths.TestImage("astronaut.png");

        await Generator().GenerateAsync(Request with { InputReferencePath = reference }, null, CancellationToken.None);

        var create = Assert.Single(_api.Creates);
        Assert.Equal(("astronaut.png", "image/png", new FileInfo(reference).Length), (create.FileName, create.FileContentType, create.FileBytes));
    }

    [Fact]
    public async Task SlowProgressIsReportedStepByStepUntilDone()
    {
        _api.PollsToComplete = 5;
        var seen = new List<double>();

        await Generator().GenerateAsync(Request, new SynchronousProgress(seen.Add), CancellationToken.None);

        Assert.Equal(5, _api.StatusPolls.Count());
        Assert.Equal([0.19, 0.38, 0.57, 0.76, 0.95, 1.0], seen);
    }

    [Fact]
    public async Task ARateLimitedCreateWaitsWhatRetryAfterSaysInSeconds()
    {
        _api.CreateReplies.Enqueue(new Reply(429, FakeVideoApi.Error("Rate limit reached.", "rate_limit_exceeded", "requests"), RetryAfter: "1"));

        await Generator().GenerateAsync(Request, null, CancellationToken.None);

        var creates = _api.Creates.ToArray();
        Assert.Equal(2, creates.Length);
        Assert.True(creates[1].At - creates[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {(creates[1].At - creates[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task ARateLimitedPollWaitsWhatRetryAfterSaysAsAnHttpDate()
    {
        // HTTP dates have whole seconds: two seconds ahead is at least one second of waiting.
        _api.StatusReplies.Enqueue(new Reply(429, FakeVideoApi.Error("Slow down.", "rate_limit_exceeded", "requests"),
            RetryAfter: FakeVideoApi.HttpDate(DateTimeOffset.UtcNow.AddSeconds(2))));

        await Generator().GenerateAsync(Request, null, CancellationToken.None);

        var polls = _api.StatusPolls.ToArray();
        Assert.True(polls[1].At - polls[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {(polls[1].At - polls[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task ARetryAfterLongerThanTheServiceWaitsEndsAtOnceAsTransientExhausted()
    {
        _api.CreateReplies.Enqueue(new Reply(429, FakeVideoApi.Error("Quota exhausted.", "insufficient_quota", "requests"), RetryAfter: "3600"));

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal((GenerationFailureKind.TransientExhausted, 429), (failure.Kind, failure.HttpStatus));
        Assert.Contains("asks to wait 3600 s", failure.Message, StringComparison.Ordinal);
        Assert.Single(_api.Creates);
    }

    [Fact]
    public async Task ServerErrorsAreRetriedUntilTheProviderRecovers()
    {
        _api.CreateReplies.Enqueue(new Reply(500, FakeVideoApi.Error("The server had an error.", "server_error", "server_error")));
        _api.StatusReplies.Enqueue(new Reply(503));
        _api.StatusReplies.Enqueue(new Reply(502));
        _api.ContentReplies.Enqueue(new Reply(500));

        var video = await Generator().GenerateAsync(Request, null, CancellationToken.None);

        Assert.Equal(fixture.Video, await File.ReadAllBytesAsync(video.Path));
        Assert.Equal(2, _api.Creates.Count());
        Assert.Equal(2, _api.Downloads.Count());
        Assert.Contains(_logs.Messages, m => m.Contains("HTTP 503", StringComparison.Ordinal) && m.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerErrorsThatOutlastTheRetriesEndAsTransientExhausted()
    {
        for (var i = 0; i < 10; i++)
        {
            _api.CreateReplies.Enqueue(new Reply(500, FakeVideoApi.Error("The server had an error.", "server_error", "server_error")));
        }

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() =>
            Generator(Options with { MaxRetries = 2 }).GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.TransientExhausted, failure.Kind);
        Assert.Equal(500, failure.HttpStatus);
        Assert.Equal(3, _api.Creates.Count());
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task AnUnsupportedSizeIsAPermanentFailureWithTheProvidersMessageAndNoRetry()
    {
        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() =>
            Generator().GenerateAsync(Request with { Width = 1000, Height = 1000 }, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.Permanent, failure.Kind);
        Assert.Equal(400, failure.HttpStatus);
        Assert.Equal("invalid_value", failure.ProviderCode);
        Assert.Contains("Invalid value: '1000x1000'", failure.ProviderMessage, StringComparison.Ordinal);
        Assert.Contains("Invalid value: '1000x1000'", failure.Message, StringComparison.Ordinal);
        Assert.Single(_api.Creates);
    }

    [Fact]
    public async Task AWrongApiKeyIsAPermanentFailure()
    {
        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() =>
            Generator(Options with { ApiKey = "sk-wrong" }).GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal((GenerationFailureKind.Permanent, 401, "invalid_api_key"), (failure.Kind, failure.HttpStatus, failure.ProviderCode));
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task AJobTheProviderRefusesForSafetyIsASafetyRefusalWithItsCodeAndMessage()
    {
        _api.FailJobWith = ("moderation_blocked", "Your request was blocked by our moderation system.");

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.SafetyRefusal, failure.Kind);
        Assert.Equal("moderation_blocked", failure.ProviderCode);
        Assert.Equal("Your request was blocked by our moderation system.", failure.ProviderMessage);
        Assert.StartsWith("video_", failure.ProviderJobId, StringComparison.Ordinal);
        Assert.Empty(_api.Downloads);
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task APromptRefusedAtCreationForSafetyIsASafetyRefusal()
    {
        _api.CreateReplies.Enqueue(new Reply(400, FakeVideoApi.Error("This prompt violates our content policy.", "content_policy_violation", "invalid_request_error")));

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal((GenerationFailureKind.SafetyRefusal, "content_policy_violation", 400), (failure.Kind, failure.ProviderCode, failure.HttpStatus));
        Assert.Null(failure.ProviderJobId);
    }

    [Fact]
    public async Task AJobThatFailsForAnotherReasonIsPermanent()
    {
        _api.FailJobWith = ("internal_error", "The render node crashed.");

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal((GenerationFailureKind.Permanent, "internal_error"), (failure.Kind, failure.ProviderCode));
        Assert.Contains("The render node crashed.", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task AnExpiredContentLinkIsAClearFailureAndLeavesNothing(int status)
    {
        _api.ContentStatus = status;

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal((GenerationFailureKind.ContentExpired, status), (failure.Kind, failure.HttpStatus));
        Assert.Contains("expired", failure.Message, StringComparison.Ordinal);
        Assert.NotNull(failure.ProviderJobId);
        Assert.Single(_api.Downloads);
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task ContentThatIsNotAVideoIsRefused()
    {
        _api.Video = "<html>gateway error</html>"u8.ToArray();

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.Permanent, failure.Kind);
        Assert.Contains("not a readable", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task AProviderThatStopsAnsweringEndsInATimeoutWithinTheBudget()
    {
        _api.HangStatus = true;
        var options = Options with { RequestTimeout = TimeSpan.FromMilliseconds(300), MaxRetries = 100, Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator(options).GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.Timeout, failure.Kind);
        Assert.NotNull(failure.ProviderJobId);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(6));
        Assert.True(_api.StatusPolls.Count() >= 2, "a hung attempt is abandoned after RequestTimeout and tried again");
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task AttemptsThatHangPastTheirTimeoutOutlastTheRetriesAsTransientExhausted()
    {
        _api.HangStatus = true;
        var options = Options with { RequestTimeout = TimeSpan.FromMilliseconds(200), MaxRetries = 1 };

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator(options).GenerateAsync(Request, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.TransientExhausted, failure.Kind);
        Assert.Contains("no answer in time", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, _api.StatusPolls.Count());
    }

    [Fact]
    public async Task CancellationEndsAsCancelled()
    {
        _api.PollsToComplete = 1000;
        using var cts = new CancellationTokenSource();

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() =>
            Generator().GenerateAsync(Request, new SynchronousProgress(p => { if (p > 0) cts.Cancel(); }), cts.Token));

        Assert.Equal(GenerationFailureKind.Cancelled, failure.Kind);
        Assert.Empty(_scratch.Files);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(4.5)]
    public async Task DurationsTheContractDoesNotOfferAreRefusedBeforeAnyCall(double seconds)
    {
        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() =>
            Generator().GenerateAsync(Request with { Duration = TimeSpan.FromSeconds(seconds) }, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.InvalidRequest, failure.Kind);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task StoryboardAssetsAreRefusedBeforeAnyCall()
    {
        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(
            Request with { Assets = [new StoryboardAsset { Name = "x", Text = "x", Scene = 0 }] }, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.InvalidRequest, failure.Kind);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task TheApiKeyNeverAppearsInLogsOrFailures()
    {
        _api.CreateReplies.Enqueue(new Reply(429, null, RetryAfter: "0"));
        _api.StatusReplies.Enqueue(new Reply(500));
        _api.FailJobWith = ("moderation_blocked", "Blocked.");
        var failures = new List<GenerationFailedException>
        {
            await Assert.ThrowsAsync<GenerationFailedException>(() => Generator().GenerateAsync(Request, null, CancellationToken.None)),
            await Assert.ThrowsAsync<GenerationFailedException>(() => Generator(Options with { ApiKey = FakeVideoApi.ApiKey + "x" }).GenerateAsync(Request, null, CancellationToken.None)),
        };

        Assert.NotEmpty(_logs.Messages);
        Assert.All(_logs.Messages, m => Assert.DoesNotContain(FakeVideoApi.ApiKey, m, StringComparison.Ordinal));
        Assert.All(failures, f => Assert.DoesNotContain(FakeVideoApi.ApiKey, f.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void OptionsWithoutAKeyOrAValidBaseUrlAreRefusedAtConstruction()
    {
        Assert.Throws<ArgumentException>(() => Generator(Options with { ApiKey = " " }));
        Assert.Throws<ArgumentException>(() => Generator(Options with { BaseUrl = new Uri("ftp://example.org/v1") }));
        Assert.Throws<ArgumentException>(() => Generator(Options with { BaseUrl = null }));
    }
}

/// <summary>Keeps every log line (with its exception) so tests can read what was logged.</summary>
internal sealed class ListLogger : ILogger<HostedVideoGenerator>
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _messages.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
}

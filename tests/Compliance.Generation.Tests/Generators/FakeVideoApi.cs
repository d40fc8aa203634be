using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Compliance.Generation.Tests.Generators;

/// <summary>A scripted answer: status, JSON body, optional Retry-After header value.</summary>
internal sealed record Reply(int Status, object? Body = null, string? RetryAfter = null);

/// <summary>One request as the server saw it.</summary>
internal sealed record SeenRequest(
    string Method,
    string Path,
    DateTimeOffset At,
    string? Authorization,
    IReadOnlyDictionary<string, string> Form,
    string? FileName,
    string? FileContentType,
    long FileBytes);

/// <summary>
/// The hosted video API's stand-in: a real Kestrel server on 127.0.0.1 (port 0) that honours the OpenAI-style
/// contract (<c>POST /v1/videos</c> multipart, <c>GET /v1/videos/{id}</c>, <c>GET /v1/videos/{id}/content</c>,
/// bearer auth, error envelopes) and can be scripted to misbehave: queued replies per endpoint (429 with Retry-After,
/// 5xx, 4xx), slow progress, a failed job with a code, an expired content link, answers that never come. It is the
/// only test double in the generation tests, and it stands at the system's edge.
/// </summary>
internal sealed class FakeVideoApi : IAsyncDisposable
{
    public const string ApiKey = "sk-fake-9f27c1d04be84a53";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _polls = new();

    private FakeVideoApi(WebApplication app, byte[] video)
    {
        _app = app;
        Video = video;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Bytes served as the finished video.</summary>
    public byte[] Video { get; set; }

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Answers given, in order, before the contract's normal answer to <c>POST /v1/videos</c>.</summary>
    public ConcurrentQueue<Reply> CreateReplies { get; } = new();

    /// <summary>Answers given, in order, before the normal answer to <c>GET /v1/videos/{id}</c>.</summary>
    public ConcurrentQueue<Reply> StatusReplies { get; } = new();

    /// <summary>Answers given, in order, before the normal answer to <c>GET /v1/videos/{id}/content</c>.</summary>
    public ConcurrentQueue<Reply> ContentReplies { get; } = new();

    /// <summary>Status polls until a job is completed; progress rises evenly until then.</summary>
    public int PollsToComplete { get; set; } = 2;

    /// <summary>When set, the first poll reports the job failed with this error.</summary>
    public (string Code, string Message)? FailJobWith { get; set; }

    /// <summary>When set, every content download answers with this status (404/410: the link expired).</summary>
    public int? ContentStatus { get; set; }

    /// <summary>Status polls never get an answer.</summary>
    public bool HangStatus { get; set; }

    /// <summary>Sizes the provider accepts; others get 400 invalid_value, as the real API does.</summary>
    public HashSet<string> SupportedSizes { get; } = ["1280x720", "720x1280"];

    public IEnumerable<SeenRequest> Creates => Requests.Where(r => r.Method == "POST");

    public IEnumerable<SeenRequest> StatusPolls => Requests.Where(r => r.Method == "GET" && !r.Path.EndsWith("/content", StringComparison.Ordinal));

    public IEnumerable<SeenRequest> Downloads => Requests.Where(r => r.Path.EndsWith("/content", StringComparison.Ordinal));

    public static async Task<FakeVideoApi> StartAsync(byte[] video)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        var api = new FakeVideoApi(app, video);
        app.MapPost("/v1/videos", api.CreateAsync);
        app.MapGet("/v1/videos/{id}", api.StatusAsync);
        app.MapGet("/v1/videos/{id}/content", api.ContentAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return api;
    }

    private async Task CreateAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var file = form.Files.GetFile("input_reference");
        Record(http, form.ToDictionary(f => f.Key, f => f.Value.ToString()), file);
        if (!await AuthorizedAsync(http) || await ScriptedAsync(http, CreateReplies))
        {
            return;
        }

        var seconds = form["seconds"].ToString();
        var size = form["size"].ToString();
        if (string.IsNullOrEmpty(form["model"]) || string.IsNullOrEmpty(form["prompt"]))
        {
            await WriteAsync(http, new Reply(400, Error("Missing required parameter.", "missing_required_parameter", "invalid_request_error")));
            return;
        }

        if (seconds is not ("4" or "8" or "12"))
        {
            await WriteAsync(http, new Reply(400, Error($"Invalid value for 'seconds': '{seconds}'.", "invalid_value", "invalid_request_error")));
            return;
        }

        if (!SupportedSizes.Contains(size))
        {
            await WriteAsync(http, new Reply(400, Error($"Invalid value: '{size}'. Supported values are: {string.Join(", ", SupportedSizes)}.", "invalid_value", "invalid_request_error")));
            return;
        }

        var id = $"video_{Guid.NewGuid():N}";
        _polls[id] = 0;
        await WriteAsync(http, new Reply(200, Job(id, "queued", 0, null)));
    }

    private async Task StatusAsync(HttpContext http, string id)
    {
        Record(http);
        if (!await AuthorizedAsync(http))
        {
            return;
        }

        if (HangStatus)
        {
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        if (await ScriptedAsync(http, StatusReplies))
        {
            return;
        }

        if (!_polls.TryGetValue(id, out var polls))
        {
            await WriteAsync(http, new Reply(404, Error($"Video '{id}' not found.", "not_found", "invalid_request_error")));
            return;
        }

        polls = _polls.AddOrUpdate(id, 1, (_, p) => p + 1);
        if (FailJobWith is { } failure)
        {
            await WriteAsync(http, new Reply(200, Job(id, "failed", 0, new { code = failure.Code, message = failure.Message })));
            return;
        }

        var done = polls >= PollsToComplete;
        var progress = done ? 100 : polls * 100 / PollsToComplete;
        await WriteAsync(http, new Reply(200, Job(id, done ? "completed" : "in_progress", progress, null)));
    }

    private async Task ContentAsync(HttpContext http, string id)
    {
        Record(http);
        if (!await AuthorizedAsync(http) || await ScriptedAsync(http, ContentReplies))
        {
            return;
        }

        if (ContentStatus is { } status)
        {
            await WriteAsync(http, new Reply(status, Error("The video content has expired.", "content_expired", "invalid_request_error")));
            return;
        }

        http.Response.ContentType = "video/mp4";
        http.Response.ContentLength = Video.Length;
        await http.Response.Body.WriteAsync(Video, http.RequestAborted);
    }

    private static async Task<bool> AuthorizedAsync(HttpContext http)
    {
        if (http.Request.Headers.Authorization == $"Bearer {ApiKey}")
        {
            return true;
        }

        await WriteAsync(http, new Reply(401, Error("Incorrect API key provided.", "invalid_api_key", "invalid_request_error")));
        return false;
    }

    private static async Task<bool> ScriptedAsync(HttpContext http, ConcurrentQueue<Reply> replies)
    {
        if (!replies.TryDequeue(out var reply))
        {
            return false;
        }

        await WriteAsync(http, reply);
        return true;
    }

    private static async Task WriteAsync(HttpContext http, Reply reply)
    {
        http.Response.StatusCode = reply.Status;
        if (reply.RetryAfter is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter;
        }

        if (reply.Body is { } body)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(JsonSerializer.Serialize(body, Json), http.RequestAborted);
        }
    }

    private void Record(HttpContext http, IReadOnlyDictionary<string, string>? form = null, IFormFile? file = null) =>
        Requests.Enqueue(new SeenRequest(
            http.Request.Method, http.Request.Path, DateTimeOffset.UtcNow, http.Request.Headers.Authorization.ToString(),
            form ?? new Dictionary<string, string>(), file?.FileName, file?.ContentType, file?.Length ?? 0));

    private static object Job(string id, string status, int progress, object? error) => new
    {
        id,
        @object = "video",
        model = "sora-2",
        status,
        progress,
        created_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        size = "1280x720",
        seconds = "4",
        error,
    };

    public static object Error(string message, string code, string type) => new { error = new { message, type, code, param = (string?)null } };

    public static string HttpDate(DateTimeOffset at) => at.ToString("R", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

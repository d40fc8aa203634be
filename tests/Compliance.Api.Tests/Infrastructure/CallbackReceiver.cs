using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>One POST a platform's callback endpoint received.</summary>
internal sealed record ReceivedCallback(string Path, string? Signature, string? ContentType, byte[] Body, DateTimeOffset At);

/// <summary>
/// A platform's callback endpoint: a real Kestrel server on a loopback port, so the service's callbacks travel over
/// real HTTP. Every POST is recorded; a path can be told to fail its first N calls with a 500.
/// </summary>
internal sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);

    private CallbackReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedCallback> Received { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public static async Task<CallbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var path = http.Request.Path.Value ?? "";
            receiver.Received.Enqueue(new ReceivedCallback(path, http.Request.Headers["Compliance-Signature"].ToString(), http.Request.ContentType, body.ToArray(), DateTimeOffset.UtcNow));
            var fail = receiver._failuresLeft.TryGetValue(path, out var left) && left > 0;
            if (fail)
            {
                receiver._failuresLeft[path] = left - 1;
            }

            return fail ? Results.StatusCode(500) : Results.NoContent();
        });
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return receiver;
    }

    /// <summary>The next <paramref name="times"/> POSTs to <paramref name="path"/> answer 500.</summary>
    public void FailFirst(string path, int times) => _failuresLeft[path] = times;

    public IReadOnlyList<ReceivedCallback> At(string path) => Received.Where(r => r.Path == path).ToList();

    /// <summary>Waits (bounded) until <paramref name="path"/> has received at least <paramref name="count"/> POSTs.</summary>
    public async Task<IReadOnlyList<ReceivedCallback>> WaitForAsync(string path, int count, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (At(path).Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var got = At(path);
        Assert.True(got.Count >= count, $"{path} received {got.Count} callback(s) within {within.TotalSeconds} s; expected {count}.");
        return got;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

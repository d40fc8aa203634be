using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Compliance.Api.WebConsole;

/// <summary>The console sign-in's settings (section <c>Console:SignIn</c>).</summary>
internal sealed class ConsoleSignInOptions
{
    public const string Section = "Console:SignIn";

    /// <summary>Refused keys one client address may present per <see cref="Window"/> before sign-in stops listening to it.</summary>
    public int RefusalsPerWindow { get; set; } = 10;

    /// <summary>The fixed window the refusals are counted in; a throttled address may try again when it ends.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Counts refused keys per client address and stops checking keys from an address that has had too many refused
/// (ADR-019). Keys are long random secrets, so this is not what keeps them from being guessed; it keeps a key-guessing
/// or credential-stuffing client from turning the sign-in form into free hashing and database work, and makes such a
/// client visible (a warning per throttled address and window). Only refusals count: signing in successfully is never
/// throttled by someone else's mistakes, except from the same address. IPv6 clients are counted per /64, the block one
/// host is usually given. Behind a reverse proxy the address is the proxy's unless forwarded headers are configured
/// (docs/operations.md).
/// </summary>
internal sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _refusals;
    private readonly ILogger<SignInThrottle> _logger;

    public SignInThrottle(IOptions<ConsoleSignInOptions> options, ILogger<SignInThrottle> logger)
    {
        var o = options.Value;
        _logger = logger;
        _refusals = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = o.RefusalsPerWindow, Window = o.Window, QueueLimit = 0, AutoReplenishment = true }));
    }

    /// <summary>The address a request is counted under.</summary>
    public static string ClientOf(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);   // the /64
            address = new IPAddress(bytes);
        }

        return address.ToString();
    }

    /// <summary>
    /// Whether keys from <paramref name="client"/> are still checked; when not, how long until they are again
    /// (null when the limiter does not say).
    /// </summary>
    public bool MayTry(string client, out TimeSpan? retryAfter)
    {
        using var probe = _refusals.AttemptAcquire(client, 0);
        retryAfter = !probe.IsAcquired && probe.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
        return probe.IsAcquired;
    }

    /// <summary>Counts one refused key against <paramref name="client"/>.</summary>
    public void Refused(string client)
    {
        using var lease = _refusals.AttemptAcquire(client, 1);
        if (!lease.IsAcquired)
        {
            return;   // already throttled (a request that raced the limit); nothing more to count
        }

        if (!MayTry(client, out _))
        {
            _logger.LogWarning("Console sign-in throttled for {Client}: too many refused keys in one window", client);
        }
    }

    public void Dispose() => _refusals.Dispose();
}

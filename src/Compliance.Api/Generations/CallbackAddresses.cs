using System.Net;
using System.Net.Sockets;

namespace Compliance.Api.Generations;

/// <summary>Callback delivery settings (section <c>Generation:Callbacks</c>).</summary>
internal sealed class CallbackOptions
{
    public const string Section = "Generation:Callbacks";

    /// <summary>
    /// Whether callbacks may reach loopback, private, link-local and other non-public addresses. Default false: a
    /// platform's callback URL must not make the service POST to hosts inside its own network. Set it only where
    /// platforms legitimately live on a private network (and tests, whose endpoints listen on loopback).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}

/// <summary>
/// Keeps callbacks on the public internet: a URL naming a non-public IP literal is refused at submit, and every
/// delivery connects only to the public addresses its host name resolves to (checked at connect time, so a name
/// that later resolves elsewhere gains nothing).
/// </summary>
internal static class CallbackAddresses
{
    /// <summary>False for loopback, private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] >= 224 // this network, private, multicast and reserved
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128) // shared address space (CGNAT)
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata endpoints
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0) // IETF protocol assignments
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))); // benchmarking
        }

        return !(address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal
            || address.IsIPv6Multicast);
    }

    /// <summary>True unless the URL's host is an IP literal that is not public.</summary>
    public static bool IsAllowedLiteral(Uri url) => !IPAddress.TryParse(url.IdnHost, out var literal) || IsPublic(literal);

    /// <summary>The handler's connect step: resolve, keep the public addresses (unless allowed otherwise), connect to one of them.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var usable = allowPrivate ? addresses : addresses.Where(IsPublic).ToArray();
        if (usable.Length == 0)
        {
            throw new HttpRequestException($"The callback host {host} resolves only to loopback, private or link-local addresses, which callbacks may not reach.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(usable, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

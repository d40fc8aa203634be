using System.Buffers.Binary;
using Microsoft.AspNetCore.WebUtilities;

namespace Compliance.Api.Generations;

/// <summary>
/// The keyset cursor of a newest-first feed ordered by <c>(created_at desc, id desc)</c>: the last row's creation time
/// (to the microsecond, Postgres' precision) and id, as one opaque base64url token. The next page is every row strictly
/// before that pair, so rows appended meanwhile never shift a page and no row is skipped or shown twice.
/// </summary>
internal readonly record struct FeedCursor(DateTime CreatedAtUtc, Guid Id)
{
    private const int Length = 8 + 16;

    public static FeedCursor After(DateTimeOffset createdAt, Guid id) => new(createdAt.UtcDateTime, id);

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, CreatedAtUtc.Ticks);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return WebEncoders.Base64UrlEncode(bytes);
    }

    /// <summary>Reads a cursor this service wrote; anything else (edited, truncated, from another feed's era) is null.</summary>
    public static FeedCursor? TryDecode(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = WebEncoders.Base64UrlDecode(token);
        }
        catch (FormatException)
        {
            return null;
        }

        if (bytes.Length != Length)
        {
            return null;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (ticks < DateTime.UnixEpoch.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return null;
        }

        return new FeedCursor(new DateTime(ticks, DateTimeKind.Utc), new Guid(bytes.AsSpan(8), bigEndian: true));
    }

    /// <summary>
    /// Sets <c>Link: &lt;…&gt;; rel="next"</c> (RFC 8288) on a full page, pointing at the same path and limit with the cursor
    /// after its last row; a short page is the last and gets none.
    /// </summary>
    public static void LinkNext(HttpContext http, int limit, int returned, FeedCursor? last)
    {
        if (returned < limit || last is not { } next)
        {
            return;
        }

        var url = QueryHelpers.AddQueryString(http.Request.Path, new Dictionary<string, string?>
        {
            ["limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cursor"] = next.Encode(),
        });
        http.Response.Headers.Link = $"<{url}>; rel=\"next\"";
    }
}

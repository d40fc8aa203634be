using Npgsql;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// The cluster-wide change numbers: keys (moves with every revocation), grants (moves with every grant change) and
/// consents (moves with every likeness consent or profile change).
/// </summary>
internal sealed record ChangeNumbers(long Keys, long Grants, long Consents);

/// <summary>
/// Reads the change numbers in one shared read (<see cref="FreshRead{T}"/>: never a read sent before the caller asked)
/// and keeps the result with the request: the key check at authentication and the grant and consent lookups at decision
/// time use the same read, which started after the request arrived. A change committed before a request arrived is
/// therefore seen by that request on every node (ADR-022, ADR-031, ADR-034), and a request costs at most a share of one
/// read for all three.
/// Outside a request (a scheduled job) every call reads afresh.
/// </summary>
internal sealed class ChangeNumberReader(NpgsqlDataSource dataSource, IHttpContextAccessor requests)
{
    private static readonly object ItemKey = new();

    private readonly FreshRead<ChangeNumbers> _read = new(async ct =>
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            select k.version, g.version, c.version
            from key_revocation_state k cross join grant_change_state g cross join consent_change_state c
            where k.id = 1 and g.id = 1 and c.id = 1
            """, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new InvalidOperationException("The change-number rows are missing (migrations 0007, 0016 and 0017 insert them).");
        }

        return new ChangeNumbers(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    });

    /// <summary>The change numbers as read for the current request (read now if this request has not read them yet).</summary>
    public async Task<ChangeNumbers> CurrentAsync(CancellationToken ct)
    {
        var http = requests.HttpContext;
        if (http?.Items.TryGetValue(ItemKey, out var kept) == true && kept is ChangeNumbers numbers)
        {
            return numbers;
        }

        var read = await _read.ReadAsync(ct);
        http?.Items[ItemKey] = read;
        return read;
    }
}

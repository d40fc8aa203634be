using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Storage.Local;
using Npgsql;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>A licensed character in a video: whose it is, on which grant, its share and its seconds on screen.</summary>
public sealed record UsageSeed(Guid CharacterId, Guid RightsHolderId, Guid GrantId, int Bps, double Seconds);

/// <summary>Rows the generation pipeline would have written, put straight into the tables (owner role) for settlement tests.</summary>
public static class SettlementData
{
    /// <summary>A generation in <paramref name="state"/> (released by default) with one usage event per <paramref name="usage"/>.</summary>
    public static async Task<Guid> GenerationAsync(DatabaseConnections db, Guid tenant, DateTimeOffset createdAt, IEnumerable<UsageSeed> usage,
        string state = "released", Guid? id = null)
    {
        var generation = id ?? Guid.NewGuid();
        await using var conn = new NpgsqlConnection(db.Owner);
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand(
            """
            insert into generation_jobs (id, tenant_id, prompt, prompt_sha256, duration_seconds, width, height, seed, request_sha256, state, generator,
                                         created_at, updated_at, finished_at)
            values ($1, $2, 'a seeded video', '\x00', 4, 640, 360, 1, '\x00', $3, 'local', $4, $4,
                    case when $3 in ('released', 'blocked', 'failed', 'cancelled', 'in_review') then $4 end)
            """, conn))
        {
            cmd.Parameters.AddWithValue(generation);
            cmd.Parameters.AddWithValue(tenant);
            cmd.Parameters.AddWithValue(state);
            cmd.Parameters.AddWithValue(createdAt);
            await cmd.ExecuteNonQueryAsync();
        }

        var n = 0;
        foreach (var u in usage)
        {
            await using var cmd = new NpgsqlCommand(
                """
                insert into usage_events (id, generation_id, tenant_id, character_id, rights_holder_id, grant_id, revenue_share_bps, terms, seconds_on_screen, created_at)
                values ($1, $2, $3, $4, $5, $6, $7, '{}', $8, $9)
                """, conn);
            // Deterministic ids, so the same seed on two databases gives the same rows.
            cmd.Parameters.AddWithValue(DeterministicGuid(generation, n++));
            cmd.Parameters.AddWithValue(generation);
            cmd.Parameters.AddWithValue(tenant);
            cmd.Parameters.AddWithValue(u.CharacterId);
            cmd.Parameters.AddWithValue(u.RightsHolderId);
            cmd.Parameters.AddWithValue(u.GrantId);
            cmd.Parameters.AddWithValue(u.Bps);
            cmd.Parameters.AddWithValue(u.Seconds);
            cmd.Parameters.AddWithValue(createdAt);
            await cmd.ExecuteNonQueryAsync();
        }

        return generation;
    }

    public static object Line(string lineId, Guid generation, long amountMinor, DateTimeOffset occurredAt, string currency = "USD") =>
        new { lineId, generationId = generation, amountMinor, currency, type = "revenue", occurredAt };

    public static object Adjustment(string lineId, Guid generation, string adjusts, long amountMinor, DateTimeOffset occurredAt, string currency = "USD") =>
        new { lineId, generationId = generation, amountMinor, currency, type = "adjustment", adjusts, occurredAt };

    public static Task<HttpResponseMessage> PostAsync(HttpClient platform, params object[] lines) =>
        platform.PostAsJsonAsync("/v1/revenue", new { lines });

    public static async Task<JsonObject> PostOkAsync(HttpClient platform, params object[] lines)
    {
        var response = await PostAsync(platform, lines);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/revenue: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>The period of <paramref name="start"/> (by its start), as the admin lists it.</summary>
    public static async Task<JsonObject> PeriodAsync(HttpClient admin, DateTimeOffset start)
    {
        var periods = JsonNode.Parse(await admin.GetStringAsync("/v1/admin/settlements/periods?limit=500"))!.AsArray();
        return periods.Select(p => p!.AsObject()).Single(p => p["periodStart"]!.GetValue<DateTimeOffset>() == start);
    }

    public static async Task<HttpResponseMessage> RunAsync(HttpClient admin, DateTimeOffset periodStart)
    {
        var period = await PeriodAsync(admin, periodStart);
        return await admin.PostAsync($"/v1/admin/settlements/periods/{period["id"]}/run", null);
    }

    public static async Task<long> CountAsync(DatabaseConnections db, string sql, params object[] args)
    {
        await using var conn = new NpgsqlConnection(db.Owner);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args)
        {
            cmd.Parameters.AddWithValue(a);
        }

        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static DateTimeOffset DayStart(DateTimeOffset instant) => new(instant.UtcDateTime.Date, TimeSpan.Zero);

    private static Guid DeterministicGuid(Guid generation, int n) =>
        new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{generation}/{n}")).AsSpan(0, 16));
}

/// <summary>A clock the test moves forward: settlement periods end when it says so.</summary>
public sealed class TestClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + Offset;
}

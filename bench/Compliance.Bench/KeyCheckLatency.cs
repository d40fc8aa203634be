using System.Diagnostics;
using System.Globalization;
using Compliance.Api.Access;
using Compliance.Storage.Local;
using Compliance.Storage.Migrations;
using Npgsql;

namespace Compliance.Bench;

/// <summary>
/// What checking revocation on every request costs (ADR-002): the per-request read of the key-change
/// number (a cached key's whole database cost), against the chain lookup a cache miss pays and a bare
/// <c>select 1</c> round trip, all through the same pooled data source on the embedded PostgreSQL.
/// </summary>
internal static class KeyCheckLatency
{
    internal static async Task RunAsync(string root)
    {
        await using var local = await LocalPostgres.StartAsync(LocalPostgresLocation.Resolve(Path.Combine(root, ".data", "bench-postgres")));
        var db = await local.CreateDatabaseAsync("keys_" + Guid.NewGuid().ToString("N")[..8]);
        await using (var owner = NpgsqlDataSource.Create(db.Owner))
        {
            await Migrator.MigrateAsync(owner);
        }

        await using var app = NpgsqlDataSource.Create(db.App);
        var store = new ApiKeyStore(app, new Compliance.Api.Infrastructure.ChangeNumberReader(app, new Microsoft.AspNetCore.Http.HttpContextAccessor()));
        // A realistic chain: an operator's admin key mints an admin key, which mints a platform key.
        var (root0, _) = await store.CreateAsync("bench root", Roles.Admin, null, null, default);
        var (admin, _) = (await store.MintAsync(root0.Id, "bench admin", Roles.Admin, null, null, null, default))!.Value;
        var tenant = Guid.NewGuid();
        await using (var conn = await app.OpenConnectionAsync())
        await using (var cmd = new NpgsqlCommand("insert into tenants (id, name) values ($1, 'bench tenant')", conn) { Parameters = { new() { Value = tenant } } })
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var (_, platformKey) = (await store.MintAsync(admin.Id, "bench platform", Roles.Platform, tenant, null, null, default))!.Value;

        Console.WriteLine($"{Environment.ProcessorCount} cores; PostgreSQL on loopback; one caller at a time; 2,000 warm-up calls, then 20,000 timed");
        Console.WriteLine("| call | what it is | p50 µs | p99 µs | mean µs |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        await MeasureAsync("`select 1`", "the floor: any pooled round trip", async () =>
        {
            await using var conn = await app.OpenConnectionAsync();
            await using var cmd = new NpgsqlCommand("select 1", conn);
            await cmd.ExecuteScalarAsync();
        });
        await MeasureAsync("`ChangeNumberAsync`", "every request (cached key)", () => store.ChangeNumberAsync(default));
        await MeasureAsync("`FindAsync`", "cache miss: key + 2-link minting chain", () => store.FindAsync(platformKey, default));
    }

    private static async Task MeasureAsync(string call, string what, Func<Task> action)
    {
        const int Warmup = 2_000, Timed = 20_000;
        var samples = new double[Timed];
        for (var i = -Warmup; i < Timed; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        Array.Sort(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {call} | {what} | {samples[(int)(Timed * 0.50)]:F0} | {samples[(int)(Timed * 0.99)]:F0} | {samples.Average():F0} |"));
    }
}

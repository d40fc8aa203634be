using System.Net;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Settlements;
using Compliance.Storage.Local;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Compliance.Api.Tests.Infrastructure.SettlementData;

namespace Compliance.Api.Tests;

/// <summary>Settlement runs under the scheduler and under failure: once per period, and nothing half-done.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SettlementRunTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task TwoSchedulersOnOneDatabaseSettleAPeriodOnce()
    {
        // Both nodes fire the settlement job every second; Quartz fires each on one node, and the period's row lock
        // and status make any second run a no-op whatever the scheduler does.
        void EverySecond(ComplianceAppOptions o) => o.Settings["Settlements:Cron"] = "0/1 * * * * ?";
        var a = await postgres.CreateAppAsync("sched2", EverySecond);
        var b = await postgres.CreateAppOnAsync(a.Database, EverySecond);
        var seed = await FixedSeed.WriteAsync(a.Database);
        var platform = a.ClientWithKey(await a.CreateKeyAsync(Roles.Platform, seed.Tenant));
        var admin = a.ClientWithKey(await a.CreateKeyAsync(Roles.Admin));
        await PostOkAsync(platform, seed.Lines);
        var period = await PeriodAsync(admin, FixedSeed.Period);
        for (var i = 0; i < 60 && (await PeriodAsync(admin, FixedSeed.Period))["status"]!.GetValue<string>() != "settled"; i++)
        {
            await Task.Delay(500);
        }

        await Task.Delay(TimeSpan.FromSeconds(3)); // several more fires on both nodes
        // Admins on both nodes asking again at once are refused: the period is paid.
        var adminB = b.ClientWithKey(await b.CreateKeyAsync(Roles.Admin));
        var byHand = await Task.WhenAll(
            admin.PostAsync($"/v1/admin/settlements/periods/{period["id"]}/run", null),
            adminB.PostAsync($"/v1/admin/settlements/periods/{period["id"]}/run", null));
        Assert.All(byHand, r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));

        var runs = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/settlements/runs?periodId={period["id"]}"))!.AsArray();
        var succeeded = Assert.Single(runs, r => r!["status"]!.GetValue<string>() == "succeeded")!;
        Assert.Equal("schedule", succeeded["trigger"]!.GetValue<string>());
        Assert.All(runs, r => Assert.Contains(r!["status"]!.GetValue<string>(), new[] { "succeeded", "skipped" }));
        Assert.Equal(seed.Statements, await CountAsync(a.Database, "select count(*) from settlement_statements"));
        var reconciliation = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/settlements/periods/{period["id"]}/reconciliation"))!;
        Assert.True(reconciliation["reconciled"]!.GetValue<bool>());
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Theory]
    [InlineData("computed")]
    [InlineData("statements")]
    [InlineData("before_commit")]
    public async Task ARunKilledMidwayAndRunAgainGivesByteIdenticalStatements(string killedAfter)
    {
        // The same data on two databases: one settled in one go, the other killed (its database connection
        // terminated) after a step, then run again.
        var whole = await postgres.CreateAppAsync("whole");
        var killer = new KillOnce(killedAfter);
        var killed = await postgres.CreateAppAsync("killed", o => o.Services = s => s.AddSingleton<ISettlementStepObserver>(killer));
        var expected = await SettleAndExportAsync(whole, kill: null);
        var actual = await SettleAndExportAsync(killed, kill: killer);

        Assert.True(killer.Killed);
        Assert.Equal(expected.Statements, actual.Statements);
        Assert.Equal(expected.Csv.Count, actual.Csv.Count);
        for (var i = 0; i < expected.Csv.Count; i++)
        {
            Assert.Equal(expected.Csv[i], actual.Csv[i]);
        }

        await whole.DisposeAsync();
        await killed.DisposeAsync();
    }

    [Fact]
    public async Task WhatWasPaidCannotBeChangedOrAddedToEvenByTheDatabaseOwner()
    {
        var app = await postgres.CreateAppAsync("paidrows");
        var seed = await FixedSeed.WriteAsync(app.Database);
        var admin = app.ClientWithKey(await app.CreateKeyAsync(Roles.Admin));
        await PostOkAsync(app.ClientWithKey(await app.CreateKeyAsync(Roles.Platform, seed.Tenant)), seed.Lines);
        Assert.Equal(HttpStatusCode.OK, (await RunAsync(admin, FixedSeed.Period)).StatusCode);

        foreach (var connection in new[] { app.Database.App, app.Database.Owner })
        {
            await using var conn = new NpgsqlConnection(connection);
            await conn.OpenAsync();
            foreach (var sql in new[]
                     {
                         "update settlement_statements set amount_minor = amount_minor + 1",
                         "delete from settlement_statements",
                         "update revenue_lines set amount_minor = 0",
                         "delete from revenue_lines",
                         "update settlement_platform_totals set platform_minor = 0",
                         "update settlement_periods set status = 'open'",
                         // A line slipped into the settled period.
                         "insert into revenue_lines (tenant_id, generation_id, line_id, line_type, kind, amount_minor, currency, occurred_at, occurred_period_id, period_id) "
                         + "select tenant_id, generation_id, 'sneaked-in', 'revenue', 'revenue', 1, currency, occurred_at, occurred_period_id, period_id from revenue_lines limit 1",
                     })
            {
                await using var cmd = new NpgsqlCommand(sql, conn);
                await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            }
        }

        var reconciliation = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/settlements/periods/{(await PeriodAsync(admin, FixedSeed.Period))["id"]}/reconciliation?recompute=true"))!;
        Assert.True(reconciliation["reconciled"]!.GetValue<bool>());
        await app.DisposeAsync();
    }

    private static async Task<(string Statements, List<byte[]> Csv)> SettleAndExportAsync(ComplianceApp app, KillOnce? kill)
    {
        var seed = await FixedSeed.WriteAsync(app.Database);
        var platform = app.ClientWithKey(await app.CreateKeyAsync(Roles.Platform, seed.Tenant));
        var admin = app.ClientWithKey(await app.CreateKeyAsync(Roles.Admin));
        await PostOkAsync(platform, seed.Lines);
        var first = await RunAsync(admin, FixedSeed.Period);
        if (kill is not null)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
            Assert.Equal(0, await CountAsync(app.Database, "select count(*) from settlement_statements"));
            Assert.Equal("open", (await PeriodAsync(admin, FixedSeed.Period))["status"]!.GetValue<string>());
            var again = await RunAsync(admin, FixedSeed.Period);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            var runs = JsonNode.Parse(await admin.GetStringAsync("/v1/admin/settlements/runs"))!.AsArray();
            Assert.Equal(["failed", "succeeded"], runs.Select(r => r!["status"]!.GetValue<string>()).Order());
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var statements = new List<string>();
        var csv = new List<byte[]>();
        foreach (var holder in seed.Holders)
        {
            var client = app.ClientWithKey(await app.CreateKeyAsync(Roles.RightsHolder, rightsHolderId: holder));
            var list = JsonNode.Parse(await client.GetStringAsync("/v1/statements"))!["items"]!.AsArray();
            foreach (var s in list)
            {
                // Everything but the run that wrote it and when.
                var o = s!.AsObject();
                o.Remove("runId");
                o.Remove("createdAt");
                statements.Add(o.ToJsonString());
                csv.Add(await client.GetByteArrayAsync($"/v1/statements/{o["id"]}/lines.csv"));
            }
        }

        return (string.Join("\n", statements), csv);
    }

    /// <summary>Terminates the run's own database connection after <paramref name="step"/>, once: a node dying mid-run.</summary>
    private sealed class KillOnce(string step) : ISettlementStepObserver
    {
        public bool Killed { get; private set; }

        public async ValueTask OnStepAsync(string current, NpgsqlConnection connection, CancellationToken ct)
        {
            if (current == step && !Killed)
            {
                Killed = true;
                await using var cmd = new NpgsqlCommand("select pg_terminate_backend(pg_backend_pid())", connection);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>The same tenant, holders, characters, grants, generations and revenue lines, with the same ids, on any database.</summary>
    private sealed record FixedSeed(Guid Tenant, Guid[] Holders, object[] Lines, int Statements)
    {
        public static readonly DateTimeOffset Period = DayStart(DateTimeOffset.UtcNow.AddDays(-2));

        public static async Task<FixedSeed> WriteAsync(DatabaseConnections db)
        {
            var tenant = Guid.Parse("5e77e000-0000-4000-8000-000000000001");
            Guid[] holders = [Guid.Parse("5e77e000-0000-4000-8000-0000000000a1"), Guid.Parse("5e77e000-0000-4000-8000-0000000000a2"), Guid.Parse("5e77e000-0000-4000-8000-0000000000a3")];
            await using (var conn = new NpgsqlConnection(db.Owner))
            {
                await conn.OpenAsync();
                await Exec(conn, "insert into tenants (id, name) values ($1, 'Fixed platform')", tenant);
                for (var h = 0; h < holders.Length; h++)
                {
                    await Exec(conn, "insert into rights_holders (id, name) values ($1, $2)", holders[h], $"Fixed studio {h}");
                }
            }

            var random = new Random(2024);
            var characters = new List<UsageSeed>();
            for (var i = 0; i < 7; i++)
            {
                var id = new Guid($"5e77e000-0000-4000-8000-0000000001{i:x2}");
                var grant = new Guid($"5e77e000-0000-4000-8000-0000000002{i:x2}");
                var holder = holders[i % holders.Length];
                var bps = random.Next(0, 10_001);
                await using var conn = new NpgsqlConnection(db.Owner);
                await conn.OpenAsync();
                await Exec(conn, "insert into characters (id, rights_holder_id, canonical_name) values ($1, $2, $3)", id, holder, $"Fixed character {i}");
                await Exec(conn, "insert into grants (id, character_id, tenant_id, rights_holder_id, kind, revenue_share_bps) values ($1, $2, $3, $4, 'allow_with_revenue_share', $5)",
                    grant, id, tenant, holder, bps);
                characters.Add(new UsageSeed(id, holder, grant, bps, 0));
            }

            var lines = new List<object>();
            var created = Period.AddDays(-3);
            for (var g = 0; g < 40; g++)
            {
                var cast = characters.OrderBy(_ => random.Next()).Take(random.Next(0, 4))
                    .Select(c => c with { Seconds = random.Next(3) == 0 ? 0 : Math.Round(random.NextDouble() * 8, 2) }).ToList();
                var generation = await GenerationAsync(db, tenant, created, cast, id: new Guid($"5e77e000-0000-4000-8000-0000000003{g:x2}"));
                for (var l = 0; l < 12; l++)
                {
                    lines.Add(Line($"g{g}-l{l}", generation, random.NextInt64(0, 250_000), Period.AddMinutes(random.Next(0, 24 * 60))));
                }
            }

            return new FixedSeed(tenant, holders, [.. lines], holders.Length);
        }

        private static async Task Exec(NpgsqlConnection conn, string sql, params object[] args)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            foreach (var a in args)
            {
                cmd.Parameters.AddWithValue(a);
            }

            await cmd.ExecuteNonQueryAsync();
        }
    }
}

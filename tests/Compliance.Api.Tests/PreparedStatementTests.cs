using Compliance.Api.Infrastructure;
using Compliance.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>
/// The app's connections prepare the statements they repeat (ADR-034): PostgreSQL keeps their plans instead of parsing and
/// planning the change-number read, the chain head and the lookups again for every request and log batch.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PreparedStatementTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public void AutoPreparationIsTurnedOnUnlessTheConnectionStringSetsIt()
    {
        var unset = new NpgsqlConnectionStringBuilder(ConnectionDefaults.Apply("Host=db;Database=compliance;Username=app"));
        Assert.Equal(ConnectionDefaults.MaxAutoPrepare, unset.MaxAutoPrepare);
        Assert.Equal(ConnectionDefaults.AutoPrepareMinUsages, unset.AutoPrepareMinUsages);

        // An operator's explicit value wins, even the driver's own default (0 turns auto-preparation off), in either spelling.
        var off = new NpgsqlConnectionStringBuilder(ConnectionDefaults.Apply("Host=db;Max Auto Prepare=0;AutoPrepareMinUsages=5"));
        Assert.Equal(0, off.MaxAutoPrepare);
        Assert.Equal(5, off.AutoPrepareMinUsages);
    }

    [Fact]
    public async Task TheServicesDataSourcePreparesAStatementItRepeats()
    {
        var app = await postgres.SharedAppAsync();
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        Assert.Equal(ConnectionDefaults.MaxAutoPrepare, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);

        await using var conn = await dataSource.OpenConnectionAsync();
        const string sql = "select g.version as prepared_statement_test from grant_change_state g where g.id = 1";
        for (var i = 0; i < ConnectionDefaults.AutoPrepareMinUsages + 1; i++)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            await cmd.ExecuteScalarAsync();
        }

        // The server's own list of this session's prepared statements: Npgsql really prepared it, not just agreed to.
        await using var check = new NpgsqlCommand("select count(*) from pg_prepared_statements where statement = $1", conn) { Parameters = { new() { Value = sql } } };
        Assert.Equal(1L, (long)(await check.ExecuteScalarAsync())!);
    }
}

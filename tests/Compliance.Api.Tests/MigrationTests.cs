using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Migrations;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MigrationTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task MigratingAgainIsANoOpAndEveryMigrationIsJournaled()
    {
        var db = await postgres.NewDatabaseAsync("migrate");
        await using var owner = NpgsqlDataSource.Create(db.Owner);

        var first = await Migrator.MigrateAsync(owner);
        var second = await Migrator.MigrateAsync(owner);

        Assert.Equal(Migrator.All.Select(m => m.Name), first);
        Assert.Empty(second);
        await using var conn = await owner.OpenConnectionAsync();
        Assert.Equal(Migrator.All.Count, await conn.ExecuteScalarAsync<int>("select count(*) from schema_migrations"));
    }

    [Fact]
    public async Task AnAppliedMigrationThatWasEditedStopsStartUp()
    {
        var db = await postgres.NewDatabaseAsync("edited");
        await using var owner = NpgsqlDataSource.Create(db.Owner);
        await Migrator.MigrateAsync(owner);
        await using (var conn = await owner.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update schema_migrations set sha256 = 'not-the-same' where version = 1");
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator.MigrateAsync(owner));
        Assert.Contains("0001_foundation", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodesStartingTogetherMigrateOnce()
    {
        var db = await postgres.NewDatabaseAsync("together");
        await using var owner = NpgsqlDataSource.Create(db.Owner);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Migrator.MigrateAsync(owner)));

        Assert.Equal(Migrator.All.Count, runs.Sum(r => r.Count));
    }
}

using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Compliance.Storage.Migrations;

/// <summary>
/// Applies the numbered, forward-only <c>NNNN_name.sql</c> scripts embedded in this assembly, each in
/// its own transaction, recording them in <c>schema_migrations</c>. Several nodes may start at once:
/// an advisory lock lets one migrate while the others wait. An applied script whose text has
/// changed stops start-up: migrations are never edited, only added.
/// </summary>
public static class Migrator
{
    private const long LockKey = 0x436f6d706c69; // "Compli"

    public static IReadOnlyList<Migration> All { get; } = LoadEmbedded();

    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource ownerDataSource, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        await using var conn = await ownerDataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync("select pg_advisory_lock(@LockKey)", new { LockKey });
        try
        {
            await conn.ExecuteAsync("""
                create table if not exists schema_migrations (
                    version int primary key,
                    name text not null,
                    sha256 text not null,
                    applied_at timestamptz not null default now())
                """);
            var applied = (await conn.QueryAsync<(int Version, string Sha256)>("select version, sha256 from schema_migrations"))
                .ToDictionary(r => r.Version, r => r.Sha256);
            var ran = new List<string>();
            foreach (var m in All)
            {
                if (applied.TryGetValue(m.Version, out var sha))
                {
                    if (sha != m.Sha256)
                    {
                        throw new InvalidOperationException($"Migration {m.Name} was changed after it was applied; add a new migration instead.");
                    }

                    continue;
                }

                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.ExecuteAsync(new CommandDefinition(m.Sql, transaction: tx, cancellationToken: ct));
                await conn.ExecuteAsync(
                    "insert into schema_migrations (version, name, sha256) values (@Version, @Name, @Sha256)",
                    new { m.Version, m.Name, m.Sha256 },
                    tx);
                await tx.CommitAsync(ct);
                ran.Add(m.Name);
            }

            return ran;
        }
        finally
        {
            await conn.ExecuteAsync("select pg_advisory_unlock(@LockKey)", new { LockKey });
        }
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            // Resource names look like Compliance.Storage.Migrations.0001_foundation.sql
            var name = resource.Split('.')[^2];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd();
            list.Add(new Migration(version, name, sql, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))));
        }

        var sorted = list.OrderBy(m => m.Version).ToList();
        if (sorted.Select(m => m.Version).Distinct().Count() != sorted.Count)
        {
            throw new InvalidOperationException("Two migrations share a version number.");
        }

        return sorted;
    }
}

public sealed record Migration(int Version, string Name, string Sql, string Sha256);

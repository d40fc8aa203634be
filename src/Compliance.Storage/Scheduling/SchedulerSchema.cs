using Dapper;
using Npgsql;

namespace Compliance.Storage.Scheduling;

/// <summary>
/// The scheduler's tables (Quartz.NET's clustered ADO.NET job store, prefix <c>qrtz_</c>), provisioned from the
/// script Quartz itself ships for PostgreSQL. That script creates only what is missing and never drops anything, so
/// it runs at every start as the owner role, after the migrations; the app role then only reads and writes rows,
/// and Quartz validates the schema at start. Owning the DDL ourselves would mean tracking every column a Quartz
/// release adds: the script is versioned with the package we run.
/// </summary>
public static class SchedulerSchema
{
    public const string TablePrefix = "qrtz_";
    private const long LockKey = 0x517274_7A5F5363; // "Qrtz_Sc"
    private const string Resource = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";

    /// <summary>Creates the missing scheduler tables and indexes and lets <paramref name="appRole"/> use them.</summary>
    public static async Task ProvisionAsync(NpgsqlDataSource ownerDataSource, string? appRole, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        var statements = Statements();
        await using var conn = await ownerDataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: ct));
        try
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            foreach (var statement in statements)
            {
                await conn.ExecuteAsync(new CommandDefinition(statement, transaction: tx, cancellationToken: ct));
            }

            if (appRole is not null && await conn.ExecuteScalarAsync<bool>(
                    new CommandDefinition("select exists (select from pg_roles where rolname = @appRole)", new { appRole }, tx, cancellationToken: ct)))
            {
                var tables = await conn.QueryAsync<string>(new CommandDefinition(
                    "select quote_ident(tablename) from pg_tables where schemaname = current_schema() and tablename like @prefix",
                    new { prefix = TablePrefix + "%" }, tx, cancellationToken: ct));
                foreach (var table in tables)
                {
                    // GRANT takes no bind parameters; both names come from the catalog (quote_ident) and our own constant.
                    await conn.ExecuteAsync(new CommandDefinition(
                        $"grant select, insert, update, delete on {table} to {QuoteIdent(appRole)}", transaction: tx, cancellationToken: ct));
                }
            }

            await tx.CommitAsync(ct);
        }
        finally
        {
            await conn.ExecuteAsync("select pg_advisory_unlock(@LockKey)", new { LockKey });
        }
    }

    /// <summary>The shipped script with our prefix, split on its documented separator line.</summary>
    internal static IReadOnlyList<string> Statements()
    {
        using var stream = typeof(Quartz.IScheduler).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The Quartz package no longer ships {Resource}; see docs/operations.md (scheduler).");
        using var reader = new StreamReader(stream);
        var script = reader.ReadToEnd().Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", TablePrefix, StringComparison.Ordinal);
        return script.Split("\n--;;", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => string.Join('\n', s.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim())
            .Where(s => s.Length > 0)
            .ToList();
    }

    private static string QuoteIdent(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

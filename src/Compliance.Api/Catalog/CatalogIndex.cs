using System.Diagnostics;
using Compliance.Api.Names;
using Compliance.Classifiers.Text;
using Dapper;
using Npgsql;

namespace Compliance.Api.Catalog;

/// <summary>
/// Holds the name matcher built from the whole character catalog and swaps in a new one atomically
/// when the catalog changes. Readers always see a complete matcher, old or new, never a half-built one.
/// The node that made a change refreshes before it answers; other nodes follow through
/// <see cref="CatalogFollower"/> (LISTEN/NOTIFY plus a poll of the catalog version).
/// </summary>
internal sealed class CatalogIndex(NpgsqlDataSource db, ILogger<CatalogIndex> logger) : INameMatcherSource
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private volatile Snapshot _current = new(0, NameMatcher.Empty);

    public NameMatcher Current => _current.Matcher;

    public long Version => _current.CatalogVersion;

    public bool Loaded => _current.CatalogVersion > 0;

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await _rebuild.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
            var version = await conn.ExecuteScalarAsync<long>(new CommandDefinition("select version from catalog_state where id = 1", transaction: tx, cancellationToken: ct));
            if (version == _current.CatalogVersion)
            {
                return;
            }

            var watch = Stopwatch.StartNew();
            // One matcher for every name we look for: characters, registered people (names and
            // handles) and public figures. The entity type says which signal a match becomes.
            var rows = await conn.QueryAsync<CatalogRow>(new CommandDefinition(
                $"""
                select 'character' as {nameof(CatalogRow.Type)}, c.id as {nameof(CatalogRow.Id)}, c.rights_holder_id as {nameof(CatalogRow.OwnerId)},
                       c.canonical_name as {nameof(CatalogRow.Name)}, c.aliases as {nameof(CatalogRow.Aliases)},
                       case when c.franchise is null then array[]::text[] else array[c.franchise] end as {nameof(CatalogRow.Context)},
                       array(select f.key from name_flags f where f.entity_type = 'character' and f.entity_id = c.id) as {nameof(CatalogRow.FlaggedKeys)}
                from characters c
                union all
                select 'likeness', p.id, p.id, p.display_name, p.name_variants || p.handles, array[]::text[],
                       array(select f.key from name_flags f where f.entity_type = 'likeness' and f.entity_id = p.id)
                from likeness_profiles p
                union all
                select 'public_figure', g.id, g.profile_id, g.name, g.aliases, array[]::text[],
                       array(select f.key from name_flags f where f.entity_type = 'public_figure' and f.entity_id = g.id)
                from public_figures g where g.removed_at is null
                """,
                transaction: tx,
                cancellationToken: ct));
            var matcher = NameMatcher.Build(rows.Select(ToNamedEntity));
            _current = new Snapshot(version, matcher);
            logger.LogInformation("Catalog version {Version} loaded: {Entities} names of characters and people, {Patterns} patterns in {Elapsed} ms",
                version, matcher.EntityCount, matcher.PatternCount, watch.ElapsedMilliseconds);
        }
        finally
        {
            _rebuild.Release();
        }
    }

    /// <summary>
    /// Names go to the matcher as they are owned (docs/decisions/ADR-008-name-ownership.md): without a leading @ (a
    /// prompt's "@handle" is still found), and without names flagged as another owner's, so no two owners' entities
    /// are ever found by one name unless an admin approved the share.
    /// </summary>
    private static NamedEntity ToNamedEntity(CatalogRow row)
    {
        var flagged = row.FlaggedKeys;
        bool Owned(string name) => flagged.Length == 0 || !flagged.Contains(NameKeys.Of(name), StringComparer.Ordinal);
        return new NamedEntity(row.Type, row.Id, row.OwnerId, NameKeys.AsMatched(row.Name), [.. row.Aliases.Where(Owned).Select(NameKeys.AsMatched)], row.Context)
        {
            MatchCanonicalName = Owned(row.Name),
        };
    }

    private sealed record Snapshot(long CatalogVersion, NameMatcher Matcher);

    private sealed record CatalogRow
    {
        public string Type { get; init; } = "";
        public Guid Id { get; init; }
        public Guid? OwnerId { get; init; }
        public string Name { get; init; } = "";
        public string[] Aliases { get; init; } = [];
        public string[] Context { get; init; } = [];
        public string[] FlaggedKeys { get; init; } = [];
    }
}

/// <summary>Keeps this node's <see cref="CatalogIndex"/> and reference bank current with changes made through any node.</summary>
internal sealed class CatalogFollower(
    NpgsqlDataSource db, CatalogIndex index, References.ReferenceBankIndex references, Likeness.FaceBankIndex faces, ILogger<CatalogFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand("listen catalog_changed; listen references_changed; listen enrolments_changed", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                await index.RefreshAsync(stoppingToken);
                await references.RefreshAsync(stoppingToken);
                await faces.RefreshAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Wait for a notification, or poll anyway in case one was missed.
                    await conn.WaitAsync(Poll, stoppingToken);
                    await index.RefreshAsync(stoppingToken);
                    await references.RefreshAsync(stoppingToken);
                    await faces.RefreshAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(ex, "Catalog follower lost its connection; retrying");
                await Task.Delay(Poll, stoppingToken);
            }
        }
    }
}

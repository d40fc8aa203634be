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
internal sealed class CatalogIndex(NpgsqlDataSource db, SentenceEmbedder embedder, ILogger<CatalogIndex> logger) : INameMatcherSource
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private volatile Snapshot _current = new(0, NameMatcher.Empty, CharacterSemanticIndex.Empty);

    public NameMatcher Current => _current.Matcher;

    public CharacterSemanticIndex Semantics => _current.Semantics;

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
                       c.canonical_name as {nameof(CatalogRow.Name)},
                       c.aliases || array(select jsonb_array_elements_text(l.value) from jsonb_each(c.localized_aliases) l) as {nameof(CatalogRow.Aliases)},
                       case when c.franchise is null then array[]::text[] else array[c.franchise] end as {nameof(CatalogRow.Context)},
                       array(select f.key from name_flags f where f.entity_type = 'character' and f.entity_id = c.id) as {nameof(CatalogRow.FlaggedKeys)}
                from characters c where c.kind = 'character'  -- recordings are found by their sound, never by name
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
            var entities = rows.Select(ToNamedEntity).ToList();
            var matcher = NameMatcher.Build(entities);
            var texts = await conn.QueryAsync<SemanticText>(new CommandDefinition(
                $"""
                select id as {nameof(SemanticText.Id)}, description as {nameof(SemanticText.Description)}, example_prompts as {nameof(SemanticText.ExamplePrompts)}
                from characters where kind = 'character' and ((description is not null and description <> '') or cardinality(example_prompts) > 0)
                """,
                transaction: tx,
                cancellationToken: ct));
            var stored = await conn.QueryAsync<StoredVector>(new CommandDefinition(
                $"""
                select character_id as {nameof(StoredVector.CharacterId)}, ordinal as {nameof(StoredVector.Ordinal)},
                       source_hash as {nameof(StoredVector.SourceHash)}, vector as {nameof(StoredVector.Vector)}
                from character_embeddings order by character_id, ordinal
                """,
                transaction: tx,
                cancellationToken: ct));
            await tx.CommitAsync(ct);
            var semantics = await SemanticsAsync(entities, texts.ToList(), stored.ToList(), ct);
            _current = new Snapshot(version, matcher, semantics);
            logger.LogInformation("Catalog version {Version} loaded: {Entities} names of characters and people, {Patterns} patterns, {Described} described characters ({Rows} vectors) in {Elapsed} ms",
                version, matcher.EntityCount, matcher.PatternCount, semantics.CharacterCount, semantics.RowCount, watch.ElapsedMilliseconds);
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

    /// <summary>
    /// The characters' description and example-prompt embeddings: reused from character_embeddings where the stored
    /// source hash still matches the texts and the model, embedded (and written back) where not. The node that changed
    /// a character refreshes before it answers, so the change is searchable for the next request.
    /// </summary>
    private async Task<CharacterSemanticIndex> SemanticsAsync(
        List<NamedEntity> entities, List<SemanticText> texts, List<StoredVector> stored, CancellationToken ct)
    {
        if (texts.Count == 0)
        {
            return CharacterSemanticIndex.Empty;
        }

        var byId = entities.Where(e => e.Type == EntityTypes.Character).ToDictionary(e => e.Id);
        var storedById = stored.GroupBy(v => v.CharacterId).ToDictionary(g => g.Key, g => g.ToList());
        var vectors = new List<CharacterVectors>(texts.Count);
        var stale = new List<(SemanticText Text, string Hash)>();
        foreach (var text in texts)
        {
            var hash = text.SourceHash(embedder.ModelVersion);
            if (storedById.TryGetValue(text.Id, out var rows) && rows.Count == text.Sources().Count && rows.All(r => r.SourceHash == hash))
            {
                if (byId.TryGetValue(text.Id, out var character))
                {
                    vectors.Add(new CharacterVectors(character, [.. rows.Select(r => r.Vector)])
                    {
                        StaticVector = StaticVectorOf(text, hash),
                        Texts = [.. text.Sources().Select(s => s.Text)],
                    });
                }
            }
            else
            {
                stale.Add((text, hash));
            }
        }

        foreach (var batch in stale.Chunk(32))
        {
            var sources = batch.SelectMany(b => b.Text.Sources().Select((s, i) => (b.Text, b.Hash, Ordinal: i, s.Source, Body: s.Text))).ToList();
            var embedded = embedder.Embed([.. sources.Select(s => s.Body)]);
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await conn.ExecuteAsync(new CommandDefinition(
                "delete from character_embeddings where character_id = any(@ids)", new { ids = batch.Select(b => b.Text.Id).ToArray() }, tx, cancellationToken: ct));
            // One parameterised insert per vector (Dapper runs the statement for each element); another node embedding
            // the same character at the same time writes the same rows, so a conflict is an update, not an error.
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into character_embeddings (character_id, ordinal, source, text, vector, model_version, source_hash)
                values (@Id, @Ordinal, @Source, @Text, @Vector, @Model, @Hash)
                on conflict (character_id, ordinal) do update set
                    source = excluded.source, text = excluded.text, vector = excluded.vector,
                    model_version = excluded.model_version, source_hash = excluded.source_hash
                """,
                sources.Select((s, k) => new { s.Text.Id, s.Ordinal, s.Source, Text = s.Body, Vector = embedded[k], Model = embedder.ModelVersion, s.Hash }),
                tx,
                cancellationToken: ct));
            await tx.CommitAsync(ct);
            for (var i = 0; i < batch.Length; i++)
            {
                if (byId.TryGetValue(batch[i].Text.Id, out var character))
                {
                    vectors.Add(new CharacterVectors(character, [.. sources.Select((s, k) => (s, k)).Where(x => x.s.Text.Id == character.Id).Select(x => embedded[x.k])])
                    {
                        StaticVector = StaticVectorOf(batch[i].Text, batch[i].Hash),
                        Texts = [.. batch[i].Text.Sources().Select(s => s.Text)],
                    });
                }
            }
        }

        foreach (var gone in _statics.Keys.Except(texts.Select(t => t.Id)).ToList())
        {
            _statics.TryRemove(gone, out _);
        }

        if (stale.Count > 0)
        {
            logger.LogInformation("Embedded the descriptions and example prompts of {Count} characters", stale.Count);
        }

        return CharacterSemanticIndex.Build(vectors);
    }

    /// <summary>
    /// The static embedding that ranks long prompts' windows (ADR-023): cheap, but 100,000 characters' texts are seconds
    /// of tokenizing, so it is kept per character while its texts (their hash) stay the same.
    /// </summary>
    private float[] StaticVectorOf(SemanticText text, string hash)
    {
        if (_statics.TryGetValue(text.Id, out var known) && known.Hash == hash)
        {
            return known.Vector;
        }

        var vector = embedder.StaticVectorOf(text.Sources().Select(s => s.Text));
        _statics[text.Id] = (hash, vector);
        return vector;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (string Hash, float[] Vector)> _statics = new();

    private sealed record Snapshot(long CatalogVersion, NameMatcher Matcher, CharacterSemanticIndex Semantics);

    /// <summary>The texts a character is described by: its description, then each example prompt.</summary>
    private sealed record SemanticText
    {
        public Guid Id { get; init; }
        public string? Description { get; init; }
        public string[] ExamplePrompts { get; init; } = [];

        public List<(string Source, string Text)> Sources()
        {
            var sources = new List<(string, string)>();
            if (!string.IsNullOrWhiteSpace(Description))
            {
                sources.Add(("description", Description));
            }

            sources.AddRange(ExamplePrompts.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => ("example", p)));
            return sources;
        }

        /// <summary>SHA-256 over the model version and every text: a change to either re-embeds the character.</summary>
        public string SourceHash(string modelVersion)
        {
            var all = string.Join("\u001F", Sources().Select(s => s.Source + "\u001E" + s.Text).Prepend(modelVersion));
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(all)));
        }
    }

    private sealed record StoredVector
    {
        public Guid CharacterId { get; init; }
        public int Ordinal { get; init; }
        public string SourceHash { get; init; } = "";
        public float[] Vector { get; init; } = [];
    }

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

/// <summary>
/// Keeps this node's <see cref="CatalogIndex"/>, reference-image bank, face bank and recording bank current with changes
/// made through any node.
/// </summary>
internal sealed class CatalogFollower(
    NpgsqlDataSource db, CatalogIndex index, References.ReferenceBankIndex references, Likeness.FaceBankIndex faces,
    Recordings.RecordingBankIndex recordings, ILogger<CatalogFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand("listen catalog_changed; listen references_changed; listen enrolments_changed; listen recordings_changed", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                await index.RefreshAsync(stoppingToken);
                await references.RefreshAsync(stoppingToken);
                await faces.RefreshAsync(stoppingToken);
                await recordings.RefreshAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Wait for a notification, or poll anyway in case one was missed.
                    await conn.WaitAsync(Poll, stoppingToken);
                    await index.RefreshAsync(stoppingToken);
                    await references.RefreshAsync(stoppingToken);
                    await faces.RefreshAsync(stoppingToken);
                    await recordings.RefreshAsync(stoppingToken);
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

using System.Diagnostics;
using System.Text.Json;
using Compliance.Classifiers.Text;
using Compliance.Generation.Generators;
using Compliance.Generation.Pipeline;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;
using Compliance.Storage.Blobs;
using Dapper;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.Generations;

/// <summary>
/// The host's side of the pipeline: the prompt gate and the one frame gate (the same ones platforms call directly),
/// the blob store for outputs, and the release transaction with its provenance manifest and usage events.
/// </summary>
internal sealed class GenerationStages(
    NpgsqlDataSource db,
    PromptGate promptGate,
    VideoGate videoGate,
    DecisionPipeline decisions,
    LocalBlobStore blobs,
    IEnumerable<IVideoGenerator> generators,
    ProvenanceIssuer provenance,
    CallbackOutbox callbacks) : IGenerationStages
{
    private const string CameoClassifier = "cameo-request";

    private readonly Dictionary<string, IVideoGenerator> _generators = generators.ToDictionary(g => g.Name, StringComparer.Ordinal);

    public async Task<GateResult> ScreenPromptAsync(GenerationJob job, CancellationToken ct)
    {
        // Cameos asked for by id are likeness signals of their own: the policy checks each one's consent for the
        // account exactly as it would a name in the prompt, and the likeness owner sees the attempt in their feed.
        var requested = new List<Signal>();
        if (job.Cameos.Count > 0)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var profiles = await conn.QueryAsync<(Guid Id, string Name)>(new CommandDefinition(
                "select id, display_name from likeness_profiles where id = any(@ids)", new { ids = job.Cameos.ToArray() }, cancellationToken: ct));
            requested.AddRange(profiles.Select(p => new Signal(CameoClassifier, "1", SignalKinds.Likeness,
                new EntityRef(EntityTypes.Likeness, p.Id, p.Name, p.Id), 1.0, new Evidence(Detail: "asked for as a cameo in the generation request"))));
        }

        var view = await promptGate.ScreenAsync(job.TenantId, new PromptToScreen(job.Prompt, job.Account, []), requested, ct);
        return Result(view);
    }

    public async Task<(IVideoGenerator Generator, GenerationRequest Request, IAsyncDisposable Assets)> PrepareGenerationAsync(GenerationJob job, CancellationToken ct)
    {
        if (!_generators.TryGetValue(job.Generator, out var generator))
        {
            throw new GenerationFailedException(GenerationFailureKind.Permanent, job.Generator, $"No generator named '{job.Generator}' is configured.");
        }

        var assets = new TempAssets();
        try
        {
            string? reference = null;
            if (job.ReferenceBlob is { } refBlob)
            {
                reference = await assets.CopyAsync(blobs, refBlob, ct);
            }

            // Each cameo's first enrolled face photo is placed in the storyboard, one cameo per scene position, so
            // the frame gate sees the face it must check consent for.
            var placed = new List<StoryboardAsset>();
            if (job.Cameos.Count > 0)
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                var faces = (await conn.QueryAsync<(Guid Profile, string Blob)>(new CommandDefinition(
                    """
                    select distinct on (profile_id) profile_id, blob_sha256 from likeness_enrolments
                    where profile_id = any(@ids) and deleted_at is null order by profile_id, id
                    """, new { ids = job.Cameos.ToArray() }, cancellationToken: ct))).ToList();
                for (var i = 0; i < faces.Count; i++)
                {
                    var path = await assets.CopyAsync(blobs, faces[i].Blob, ct);
                    placed.Add(new StoryboardAsset
                    {
                        Name = "cameo-" + faces[i].Profile.ToString("N")[..8],
                        ImagePath = path,
                        From = TimeSpan.Zero,
                        To = TimeSpan.FromSeconds(job.DurationSeconds),
                        CenterX = (i + 1.0) / (faces.Count + 1.0),
                        CenterY = 0.5,
                        Height = 0.6,
                    });
                }
            }

            var request = new GenerationRequest
            {
                Prompt = job.Prompt,
                Duration = TimeSpan.FromSeconds(job.DurationSeconds),
                Width = job.Width,
                Height = job.Height,
                Seed = job.Seed,
                InputReferencePath = reference,
                Assets = generator.Name == LocalStoryboardGenerator.GeneratorName ? placed : [],
                Soundtrack = job.Soundtrack,
            };
            return (generator, request, assets);
        }
        catch
        {
            await assets.DisposeAsync();
            throw;
        }
    }

    public async Task<string> StoreOutputAsync(GenerationJob job, GeneratedVideo video, CancellationToken ct)
    {
        var bytes = new FileInfo(video.Path).Length;
        var sha = await blobs.PutFileAsync(video.Path, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(
            """
            update generation_jobs set output_sha256 = decode(@sha, 'hex'), output_bytes = @bytes, output_media_type = @MediaType,
                   output_duration_seconds = @seconds, updated_at = now()
            where id = @id
            """,
            new { id = job.Id, sha, bytes, video.MediaType, seconds = video.Duration.TotalSeconds }, cancellationToken: ct));
        return sha;
    }

    public async Task<GateResult> ScreenFramesAsync(GenerationJob job, CancellationToken ct)
    {
        var path = job.OutputBlob is { } blob ? blobs.FileOf(blob) : null;
        if (path is null)
        {
            throw new InvalidOperationException($"Generation {job.Id} reached the frame gate without a stored output.");
        }

        var view = await videoGate.ScreenFileAsync(job.TenantId, path, job.OutputBlob!, new FileInfo(path).Length, job.Account, [], ct);
        return Result(view);
    }

    public async Task<bool> ReleaseAsync(GenerationJob job, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var conn = await db.OpenConnectionAsync(ct);
        var decided = await LoadDecisionsAsync(conn, [job.PromptDecisionId, job.FrameDecisionId], ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (!await GenerationJobStore.AdvanceAsync(conn, tx, job.Id, GenerationState.ScreeningFrames, GenerationState.Released,
                new StageRecord { Stage = "release" }, ct))
        {
            return false; // cancelled, or released by another run: never twice
        }

        await provenance.IssueAsync(conn, tx, job, decided, ct);
        await WriteUsageEventsAsync(conn, tx, job, decided, ct);
        // The release's own time is known only now (hashing and signing the output is most of it).
        await conn.ExecuteAsync(new CommandDefinition(
            "update generation_jobs set stage_timings = stage_timings || jsonb_build_object('release', round(@seconds::numeric, 3)) where id = @id",
            new { id = job.Id, seconds = Stopwatch.GetElapsedTime(started).TotalSeconds }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<GateResult> RecordProviderRefusalAsync(GenerationJob job, GenerationFailedException refusal, CancellationToken ct)
    {
        var signal = new Signal("provider-safety", refusal.Generator, SignalKinds.ProviderRefusal, null, 1.0,
            new Evidence(MatchKind: refusal.ProviderCode, Detail: refusal.ProviderMessage ?? refusal.Message));
        var input = new DecisionInput(null, null, job.Account, []);
        var view = await decisions.DecideAsync(job.TenantId, "generation", [signal], [], input, ct);
        return Result(view);
    }

    public Task OnFinishedAsync(Guid jobId, CancellationToken ct) => callbacks.EnqueueAsync(jobId, ct);

    /// <summary>
    /// One usage event per licensed character or recording that a decision of this generation allowed with a
    /// revenue-share obligation; seconds on screen come from the frames that showed a character, or the span of the
    /// soundtrack in which a recording was heard (usage events name both by their catalog id).
    /// </summary>
    private static async Task WriteUsageEventsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, GenerationJob job, IReadOnlyList<DecisionView> decided, CancellationToken ct)
    {
        var reasons = decided.SelectMany(d => d.Reasons).ToList();
        var usage = decided.SelectMany(d => d.Obligations)
            .Where(o => o.Type == ObligationTypes.RecordUsage && o.Entity is { Type: EntityTypes.Character or EntityTypes.Recording })
            .DistinctBy(o => o.Entity!.Id);
        foreach (var obligation in usage)
        {
            var entity = obligation.Entity!;
            var fact = reasons.Select(r => r.Fact).FirstOrDefault(f => f?.Entity.Id == entity.Id && f.GrantId is not null);
            if (fact?.GrantId is not { } grantId || entity.OwnerId is not { } holder)
            {
                continue;
            }

            var seconds = entity.Type == EntityTypes.Recording
                ? SecondsHeard(decided, entity.Id, job.DurationSeconds)
                : SecondsOnScreen(decided, entity.Id, job.DurationSeconds);
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into usage_events (id, generation_id, tenant_id, character_id, rights_holder_id, grant_id, revenue_share_bps, terms, seconds_on_screen)
                values (@id, @generation, @tenant, @character, @holder, @grantId, @bps, @terms::jsonb, @seconds)
                on conflict (generation_id, character_id) do nothing
                """,
                new
                {
                    id = Guid.CreateVersion7(), generation = job.Id, tenant = job.TenantId, character = entity.Id, holder, grantId,
                    bps = obligation.RevenueShareBasisPoints ?? fact.RevenueShareBasisPoints ?? 0,
                    terms = JsonSerializer.Serialize(new { state = fact.State.ToString(), fact.RevenueShareBasisPoints, fact.AttributionRequired, fact.Detail }, JsonNames.Options),
                    seconds,
                },
                tx,
                cancellationToken: ct));
        }
    }

    /// <summary>The seconds the frame gate's screened frames showed the entity (0 when only the prompt named it).</summary>
    internal static double SecondsOnScreen(IReadOnlyList<DecisionView> decided, Guid entityId, int durationSeconds) =>
        Math.Min(durationSeconds, decided
            .Select(d => d.Input.Media?.Presence?.FirstOrDefault(p => p.EntityId == entityId)?.SecondsOnScreen ?? 0)
            .DefaultIfEmpty(0)
            .Max());

    /// <summary>The seconds of the soundtrack in which the frame gate heard the recording.</summary>
    internal static double SecondsHeard(IReadOnlyList<DecisionView> decided, Guid recordingId, int durationSeconds) =>
        Math.Min(durationSeconds, decided
            .Select(d => d.Input.Media?.Soundtrack?.Matches.FirstOrDefault(m => m.RecordingId == recordingId)?.SecondsHeard ?? 0)
            .DefaultIfEmpty(0)
            .Max());

    private static async Task<IReadOnlyList<DecisionView>> LoadDecisionsAsync(NpgsqlConnection conn, IEnumerable<Guid?> ids, CancellationToken ct)
    {
        var wanted = ids.OfType<Guid>().ToArray();
        var payloads = await conn.QueryAsync<string>(new CommandDefinition(
            "select payload from decisions where id = any(@wanted) order by seq", new { wanted }, cancellationToken: ct));
        return payloads.Select(p => JsonSerializer.Deserialize<DecisionView>(p, JsonNames.Options)!).ToList();
    }

    private static GateResult Result(DecisionView view) => new(view.DecisionId, view.Outcome switch
    {
        Outcome.Allow => GateOutcome.Allow,
        Outcome.Review => GateOutcome.Review,
        _ => GateOutcome.Block,
    }, string.Join(" ", view.Reasons.Where(r => r.Outcome == view.Outcome).Select(r => r.Message).Distinct().Take(3)));

    /// <summary>Local copies of the blobs a generator reads (it wants file paths), deleted when the stage ends.</summary>
    private sealed class TempAssets : IAsyncDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("compliance-assets-").FullName;

        public async Task<string> CopyAsync(LocalBlobStore store, string blob, CancellationToken ct)
        {
            var bytes = await store.GetAsync(blob, ct) ?? throw new GenerationFailedException(GenerationFailureKind.InvalidRequest, "pipeline", $"Asset {blob} is missing from the blob store.");
            var path = Path.Combine(_folder, blob);
            await File.WriteAllBytesAsync(path, bytes, ct);
            return path;
        }

        public ValueTask DisposeAsync()
        {
            Directory.Delete(_folder, recursive: true);
            return ValueTask.CompletedTask;
        }
    }
}

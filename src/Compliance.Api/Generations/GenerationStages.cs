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
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (!await ReleaseInAsync(conn, tx, job, GenerationState.ScreeningFrames, null, ct))
        {
            return false; // cancelled, or released by another run: never twice
        }

        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// The release itself, inside the caller's transaction: the compare-and-set from <paramref name="from"/> to released,
    /// the signed provenance manifest and the usage events. <paramref name="reviewedBy"/> is the review resolution that
    /// overturned a held job's review decision: the manifest names it, and the obligations that decision deferred to a
    /// release (usage of licensed characters it allowed) bind now. False, with nothing written, when the job had left
    /// <paramref name="from"/>.
    /// </summary>
    private async Task<bool> ReleaseInAsync(NpgsqlConnection conn, NpgsqlTransaction tx, GenerationJob job, GenerationState from, Guid? reviewedBy, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var decided = await LoadDecisionsAsync(conn, tx, [job.PromptDecisionId, job.FrameDecisionId], ct);
        if (!await GenerationJobStore.AdvanceAsync(conn, tx, job.Id, from, GenerationState.Released,
                new StageRecord { Stage = "release" }, ct))
        {
            return false;
        }

        await provenance.IssueAsync(conn, tx, job, decided, ct, reviewedBy is { } r ? [r] : null);
        await WriteUsageEventsAsync(conn, tx, job, decided, includeDeferred: reviewedBy is not null, ct);
        // The release's own time is known only now (hashing and signing the output is most of it).
        await conn.ExecuteAsync(new CommandDefinition(
            "update generation_jobs set stage_timings = stage_timings || jsonb_build_object('release', round(@seconds::numeric, 3)) where id = @id",
            new { id = job.Id, seconds = Stopwatch.GetElapsedTime(started).TotalSeconds }, tx, cancellationToken: ct));
        return true;
    }

    /// <summary>
    /// Applies a reviewer's resolution of <paramref name="decisionId"/> to the generation that decision holds
    /// <c>in_review</c>, inside the resolution's transaction: upheld, the job ends <c>blocked</c>; overturned, a job held
    /// by its frame gate is released (provenance, usage events) and one held by its prompt gate goes on to generate
    /// (and is then screened and released as any other). Every move is a compare-and-set on the job's state, so two
    /// racing resolutions move it once. The terminal state's callback is queued in the same transaction. Null when no
    /// generation is held by that decision.
    /// </summary>
    internal async Task<(Guid JobId, GenerationState State)?> SettleHeldAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Guid decisionId, bool overturn, Guid resolutionEntryId, CancellationToken ct)
    {
        var row = await conn.QuerySingleOrDefaultAsync<GenerationJobStore.JobRow>(new CommandDefinition(
            $"""
            select {GenerationJobStore.Columns} from generation_jobs
            where state = 'in_review' and (prompt_decision_id = @decisionId or frame_decision_id = @decisionId)
            limit 1 for update
            """,
            new { decisionId }, tx, cancellationToken: ct));
        if (row?.ToJob() is not { } job)
        {
            return null;
        }

        GenerationState to;
        bool moved;
        if (!overturn)
        {
            to = GenerationState.Blocked;
            moved = await GenerationJobStore.AdvanceAsync(conn, tx, job.Id, GenerationState.InReview, to,
                new StageRecord { Reason = "Held for review; a reviewer upheld the hold, so nothing is released." }, ct);
        }
        else if (job.FrameDecisionId is null)
        {
            to = GenerationState.Generating;
            moved = await GenerationJobStore.AdvanceAsync(conn, tx, job.Id, GenerationState.InReview, to, new StageRecord(), ct);
        }
        else
        {
            to = GenerationState.Released;
            moved = await ReleaseInAsync(conn, tx, job, GenerationState.InReview, resolutionEntryId, ct);
        }

        if (!moved)
        {
            return null;
        }

        if (to.IsFinished())
        {
            await CallbackOutbox.EnqueueAsync(conn, tx, job.Id, ct);
        }

        return (job.Id, to);
    }

    public async Task<GateResult> RecordProviderRefusalAsync(GenerationJob job, GenerationFailedException refusal, CancellationToken ct)
    {
        var signal = new Signal("provider-safety", refusal.Generator, SignalKinds.ProviderRefusal, null, 1.0,
            new Evidence(MatchKind: refusal.ProviderCode, Detail: refusal.ProviderMessage ?? refusal.Message));
        var input = new DecisionInput(null, null, job.Account, []);
        var view = await decisions.DecideAsync(job.TenantId, "generation", [signal], [], input, ct);
        return Result(view);
    }

    public async Task OnFinishedAsync(Guid jobId, CancellationToken ct)
    {
        await callbacks.EnqueueAsync(jobId, ct);
        await SettleIfReviewedAlreadyAsync(jobId, ct);
    }

    /// <summary>
    /// A gate's review decision opens its review item the moment it is logged, a little before the job's row says
    /// <c>in_review</c>; a reviewer who resolved the item in between found no held job to settle. The job is settled
    /// here, once it is held, by the same compare-and-set (an overturn at the prompt gate is picked up by the sweeper).
    /// </summary>
    private async Task SettleIfReviewedAlreadyAsync(Guid jobId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var resolved = await conn.QuerySingleOrDefaultAsync<ResolvedHold>(new CommandDefinition(
            $"""
            select i.decision_id as {nameof(ResolvedHold.DecisionId)}, i.resolution as {nameof(ResolvedHold.Resolution)},
                   i.resolution_entry_id as {nameof(ResolvedHold.EntryId)}
            from generation_jobs g
            join review_items i on i.decision_id = coalesce(g.frame_decision_id, g.prompt_decision_id) and i.kind = 'review' and i.status = 'resolved'
            where g.id = @jobId and g.state = 'in_review'
            """,
            new { jobId }, tx, cancellationToken: ct));
        if (resolved is { EntryId: { } entry })
        {
            await SettleHeldAsync(conn, tx, resolved.DecisionId, resolved.Resolution == "overturn", entry, ct);
            await tx.CommitAsync(ct);
        }
    }

    private sealed record ResolvedHold
    {
        public Guid DecisionId { get; init; }
        public string Resolution { get; init; } = "";
        public Guid? EntryId { get; init; }
    }

    /// <summary>
    /// One usage event per licensed character or recording that a decision of this generation allowed with a
    /// revenue-share obligation; seconds on screen come from the frames that showed a character, or the span of the
    /// soundtrack in which a recording was heard (usage events name both by their catalog id).
    /// </summary>
    private static async Task WriteUsageEventsAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, GenerationJob job, IReadOnlyList<DecisionView> decided, bool includeDeferred, CancellationToken ct)
    {
        var reasons = decided.SelectMany(d => d.Reasons).ToList();
        var usage = decided.SelectMany(d => includeDeferred ? [.. d.Obligations, .. d.ObligationsIfReleased ?? []] : d.Obligations)
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

    private static async Task<IReadOnlyList<DecisionView>> LoadDecisionsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IEnumerable<Guid?> ids, CancellationToken ct)
    {
        var wanted = ids.OfType<Guid>().ToArray();
        var payloads = await conn.QueryAsync<string>(new CommandDefinition(
            "select payload from decisions where id = any(@wanted) and kind = 'decision' order by seq", new { wanted }, tx, cancellationToken: ct));
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

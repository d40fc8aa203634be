using System.Text.Json;
using Compliance.Generation.Pipeline;
using Dapper;
using Npgsql;

namespace Compliance.Api.Generations;

/// <summary>The jobs' rows in <c>generation_jobs</c>; every transition is a compare-and-set on the state (see <see cref="IGenerationJobStore"/>).</summary>
internal sealed class GenerationJobStore(NpgsqlDataSource db) : IGenerationJobStore
{
    internal const string Columns = $"""
        id as {nameof(JobRow.Id)}, tenant_id as {nameof(JobRow.TenantId)}, account as {nameof(JobRow.Account)}, prompt as {nameof(JobRow.Prompt)},
        cameos as {nameof(JobRow.Cameos)}, reference_blob as {nameof(JobRow.ReferenceBlob)}, soundtrack as {nameof(JobRow.Soundtrack)}, duration_seconds as {nameof(JobRow.DurationSeconds)},
        width as {nameof(JobRow.Width)}, height as {nameof(JobRow.Height)}, seed as {nameof(JobRow.Seed)}, state as {nameof(JobRow.State)},
        generator as {nameof(JobRow.Generator)}, cancel_requested as {nameof(JobRow.CancelRequested)},
        prompt_decision_id as {nameof(JobRow.PromptDecisionId)}, frame_decision_id as {nameof(JobRow.FrameDecisionId)},
        output_blob as {nameof(JobRow.OutputBlob)}, model as {nameof(JobRow.Model)}, provider_job_id as {nameof(JobRow.ProviderJobId)},
        attempts as {nameof(JobRow.Attempts)}
        """;

    public async Task<GenerationJob?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(
            $"select {Columns} from generation_jobs where id = @id", new { id }, cancellationToken: ct));
        return row?.ToJob();
    }

    public async Task<int> BeginAttemptAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<int>(new CommandDefinition(
            "update generation_jobs set attempts = attempts + 1, updated_at = now() where id = @id returning attempts", new { id }, cancellationToken: ct));
    }

    public async Task<bool> TryStartAsync(Guid id, int tenantLimit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // One transaction per tenant at a time counts and starts, so two nodes cannot both take the last slot.
        var tenant = await conn.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "select tenant_id from generation_jobs where id = @id and state = 'queued' and not cancel_requested", new { id }, tx, cancellationToken: ct));
        if (tenant is null)
        {
            return false;
        }

        await conn.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = "generation-tenant:" + tenant }, tx, cancellationToken: ct));
        var running = await conn.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*) from generation_jobs where tenant_id = @tenant and state = any(@running)",
            new { tenant, running = GenerationStates.RunningNames.ToArray() }, tx, cancellationToken: ct));
        if (running >= tenantLimit)
        {
            return false;
        }

        var started = await conn.ExecuteAsync(new CommandDefinition(
            "update generation_jobs set state = 'screening_prompt', updated_at = now() where id = @id and state = 'queued' and not cancel_requested",
            new { id }, tx, cancellationToken: ct)) == 1;
        await tx.CommitAsync(ct);
        return started;
    }

    public async Task<bool> AdvanceAsync(Guid id, GenerationState from, GenerationState to, StageRecord record, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await AdvanceAsync(conn, null, id, from, to, record, ct);
    }

    /// <summary>The transition itself, usable inside a caller's transaction (the release).</summary>
    internal static async Task<bool> AdvanceAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, GenerationState from, GenerationState to, StageRecord record, CancellationToken ct)
    {
        var timing = record.Stage is null || record.Elapsed is null
            ? "{}"
            : JsonSerializer.Serialize(new Dictionary<string, double> { [record.Stage] = Math.Round(record.Elapsed.Value.TotalSeconds, 3) });
        // A cancel wins over every transition except into cancelled itself; a finished job never moves again.
        var changed = await conn.ExecuteAsync(new CommandDefinition(
            """
            update generation_jobs set
                state = @to,
                progress = case when @to = 'released' then 1 when @to <> @from then 0 else progress end,
                prompt_decision_id = coalesce(@PromptDecisionId, prompt_decision_id),
                frame_decision_id = coalesce(@FrameDecisionId, frame_decision_id),
                output_blob = coalesce(@OutputBlob, output_blob),
                model = coalesce(@Model, model),
                provider_job_id = coalesce(@ProviderJobId, provider_job_id),
                failure_reason = coalesce(@Reason, failure_reason),
                stage_timings = stage_timings || @timing::jsonb,
                finished_at = case when @finished then now() else null end,
                updated_at = now()
            where id = @id and state = @from and (not cancel_requested or @to = 'cancelled')
            """,
            new
            {
                id, from = from.Name(), to = to.Name(), record.PromptDecisionId, record.FrameDecisionId, record.OutputBlob, record.Model,
                record.ProviderJobId, record.Reason, timing, finished = to.IsFinished(),
            },
            tx,
            cancellationToken: ct));
        return changed == 1;
    }

    public async Task ReportProgressAsync(Guid id, GenerationState stage, double progress, CancellationToken ct)
    {
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await conn.ExecuteAsync(new CommandDefinition(
                "update generation_jobs set progress = greatest(progress, @progress), updated_at = now() where id = @id and state = @stage",
                new { id, stage = stage.Name(), progress = (float)progress }, cancellationToken: ct));
        }
        catch (NpgsqlException)
        {
            // Progress is advisory; the stage's own transitions are what must not be lost.
        }
    }

    internal sealed record JobRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string? Account { get; init; }
        public string Prompt { get; init; } = "";
        public Guid[] Cameos { get; init; } = [];
        public string? ReferenceBlob { get; init; }

        public string? Soundtrack { get; init; }
        public int DurationSeconds { get; init; }
        public int Width { get; init; }
        public int Height { get; init; }
        public long Seed { get; init; }
        public string State { get; init; } = "";
        public string Generator { get; init; } = "";
        public bool CancelRequested { get; init; }
        public Guid? PromptDecisionId { get; init; }
        public Guid? FrameDecisionId { get; init; }
        public string? OutputBlob { get; init; }
        public string? Model { get; init; }
        public string? ProviderJobId { get; init; }
        public int Attempts { get; init; }

        public GenerationJob ToJob() => new()
        {
            Id = Id, TenantId = TenantId, Account = Account, Prompt = Prompt, Cameos = Cameos, ReferenceBlob = ReferenceBlob, Soundtrack = Soundtrack,
            DurationSeconds = DurationSeconds, Width = Width, Height = Height, Seed = Seed, State = GenerationStates.Parse(State),
            Generator = Generator, CancelRequested = CancelRequested, PromptDecisionId = PromptDecisionId, FrameDecisionId = FrameDecisionId,
            OutputBlob = OutputBlob, Model = Model, ProviderJobId = ProviderJobId, Attempts = Attempts,
        };
    }
}

using System.Globalization;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace Compliance.Api.Generations;

/// <summary>A generation job as the platform sees it.</summary>
internal sealed record GenerationView(
    Guid Id,
    string State,
    double Progress,
    string? Account,
    IReadOnlyList<Guid> Cameos,
    int DurationSeconds,
    string Size,
    string Generator,
    string? Model,
    string? ProviderJobId,
    GenerationDecisions Decisions,
    string? Reason,
    IReadOnlyDictionary<string, double> StageSeconds,
    int Attempts,
    GenerationOutput? Output,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? MediaDeletedAt);

/// <summary>The decision id each gate recorded (open them at <c>/v1/decisions/{id}</c>).</summary>
internal sealed record GenerationDecisions(Guid? Prompt, Guid? Frames);

/// <summary>The released video: where to get it and what it is.</summary>
internal sealed record GenerationOutput(string Content, string Provenance, string Sha256, string MediaType, long Bytes, double DurationSeconds);

internal sealed record GenerationPage(IReadOnlyList<GenerationView> Items, string? NextCursor);

/// <summary>The reads of <c>generation_jobs</c>: one job, and a tenant's jobs newest first with keyset paging.</summary>
internal static class GenerationQueries
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    private const string Columns = $"""
        id as {nameof(Row.Id)}, state as {nameof(Row.State)}, progress as {nameof(Row.Progress)}, account as {nameof(Row.Account)},
        cameos as {nameof(Row.Cameos)}, duration_seconds as {nameof(Row.DurationSeconds)}, width as {nameof(Row.Width)}, height as {nameof(Row.Height)},
        generator as {nameof(Row.Generator)}, model as {nameof(Row.Model)}, provider_job_id as {nameof(Row.ProviderJobId)},
        prompt_decision_id as {nameof(Row.PromptDecisionId)}, frame_decision_id as {nameof(Row.FrameDecisionId)}, failure_reason as {nameof(Row.Reason)},
        stage_timings::text as {nameof(Row.StageTimings)}, attempts as {nameof(Row.Attempts)}, output_sha256 as {nameof(Row.OutputSha256)},
        output_media_type as {nameof(Row.OutputMediaType)}, output_bytes as {nameof(Row.OutputBytes)},
        output_duration_seconds as {nameof(Row.OutputDurationSeconds)}, created_at as {nameof(Row.CreatedAt)}, updated_at as {nameof(Row.UpdatedAt)},
        finished_at as {nameof(Row.FinishedAt)}, blobs_deleted_at as {nameof(Row.MediaDeletedAt)}
        """;

    public static async Task<GenerationView?> GetAsync(NpgsqlConnection conn, Guid tenant, Guid id, CancellationToken ct)
    {
        var row = await conn.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"select {Columns} from generation_jobs where id = @id and tenant_id = @tenant", new { id, tenant }, cancellationToken: ct));
        return row?.ToView();
    }

    public static async Task<GenerationPage> PageAsync(NpgsqlConnection conn, Guid tenant, string? state, int limit, (DateTimeOffset At, Guid Id)? after, CancellationToken ct)
    {
        var rows = (await conn.QueryAsync<Row>(new CommandDefinition(
            $"""
            select {Columns} from generation_jobs
            where tenant_id = @tenant and (@state::text is null or state = @state)
              and (@afterAt::timestamptz is null or (created_at, id) < (@afterAt, @afterId))
            order by created_at desc, id desc
            limit @take
            """,
            new { tenant, state, afterAt = after?.At, afterId = after?.Id ?? Guid.Empty, take = limit + 1 },
            cancellationToken: ct))).ToList();
        var next = rows.Count > limit ? Cursor(rows[limit - 1]) : null;
        return new GenerationPage(rows.Take(limit).Select(r => r.ToView()).ToList(), next);
    }

    public static bool TryParseCursor(string? cursor, out (DateTimeOffset At, Guid Id)? after)
    {
        after = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        var parts = cursor.Split('_');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParseExact(parts[1], "N", out var id))
        {
            after = (new DateTimeOffset(ticks, TimeSpan.Zero), id);
            return true;
        }

        return false;
    }

    private static string Cursor(Row row) => $"{row.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}_{row.Id:N}";

    private sealed record Row
    {
        public Guid Id { get; init; }
        public string State { get; init; } = "";
        public float Progress { get; init; }
        public string? Account { get; init; }
        public Guid[] Cameos { get; init; } = [];
        public int DurationSeconds { get; init; }
        public int Width { get; init; }
        public int Height { get; init; }
        public string Generator { get; init; } = "";
        public string? Model { get; init; }
        public string? ProviderJobId { get; init; }
        public Guid? PromptDecisionId { get; init; }
        public Guid? FrameDecisionId { get; init; }
        public string? Reason { get; init; }
        public string StageTimings { get; init; } = "{}";
        public int Attempts { get; init; }
        public byte[]? OutputSha256 { get; init; }
        public string? OutputMediaType { get; init; }
        public long? OutputBytes { get; init; }
        public double? OutputDurationSeconds { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public DateTimeOffset? FinishedAt { get; init; }
        public DateTimeOffset? MediaDeletedAt { get; init; }

        public GenerationView ToView() => new(
            Id, State, Math.Round(Progress, 3), Account, Cameos, DurationSeconds, $"{Width}x{Height}", Generator, Model, ProviderJobId,
            new GenerationDecisions(PromptDecisionId, FrameDecisionId), Reason,
            JsonSerializer.Deserialize<Dictionary<string, double>>(StageTimings) ?? [], Attempts,
            State == "released" && OutputSha256 is not null
                ? new GenerationOutput($"/v1/generations/{Id}/content", $"/v1/generations/{Id}/provenance", Convert.ToHexStringLower(OutputSha256),
                    OutputMediaType ?? "video/mp4", OutputBytes ?? 0, OutputDurationSeconds ?? DurationSeconds)
                : null,
            CreatedAt, UpdatedAt, FinishedAt, MediaDeletedAt);
    }
}

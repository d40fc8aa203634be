using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using Compliance.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace Compliance.Api.Generations;

/// <summary>How long the blobs of generations that were not released are kept (section <c>Generation:Retention</c>).</summary>
internal sealed class RetentionOptions
{
    public const string Section = "Generation:Retention";

    /// <summary>
    /// Delete the output and reference blobs of blocked, failed and cancelled jobs at all. Default true. (The photos of
    /// enrolments their owners deleted are deleted either way: that is what deleting an enrolment promises.)
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long after a job ended (blocked, failed or cancelled; a held job counts from the reviewer's resolution) its
    /// blobs are kept for auditors. Default 30 days; at least one hour.
    /// </summary>
    public TimeSpan UnreleasedFor { get; set; } = TimeSpan.FromDays(30);

    /// <summary>When the sweep runs (Quartz cron, UTC). Default hourly at minute 17.</summary>
    [Required]
    public string Cron { get; set; } = "0 17 * * * ?";

    /// <summary>Jobs one transaction of the sweep handles; a fire runs batches until nothing is due. Default 200.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// A blob file written or stored again this recently is never deleted, whatever the rows say: a writer stores the
    /// bytes before it commits the row that references them. Default one hour.
    /// </summary>
    public TimeSpan FreshBlobGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A blob file no row holds is deleted once it has been untouched this long (a writer that stored bytes and then
    /// failed to commit its row, or a file the grace rule kept). Default one day; at least <see cref="FreshBlobGrace"/>.
    /// Zero turns the store-wide orphan pass off.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>What one sweep did: rows that gave up their blobs, and what became of each blob file.</summary>
internal sealed record RetentionResult(
    int Jobs, int Enrolments, int BlobsDeleted, int BlobsStillReferenced, int BlobsAbsent, int BlobsRecentlyStored, int OrphansDeleted = 0)
{
    public static readonly RetentionResult None = new(0, 0, 0, 0, 0, 0);

    public RetentionResult Plus(RetentionResult o) => new(Jobs + o.Jobs, Enrolments + o.Enrolments, BlobsDeleted + o.BlobsDeleted,
        BlobsStillReferenced + o.BlobsStillReferenced, BlobsAbsent + o.BlobsAbsent, BlobsRecentlyStored + o.BlobsRecentlyStored, OrphansDeleted + o.OrphansDeleted);
}

/// <summary>
/// Deletes blobs nothing may keep any longer (ADR-042): the output and reference of generations that ended without
/// release once <see cref="RetentionOptions.UnreleasedFor"/> has passed, and the photo of every likeness enrolment its
/// owner deleted. Per batch, in one transaction: the due rows are locked; each of their blobs that no other row still
/// needs (a released, running or held job, a character reference, a live enrolment) is deleted from disk unless it was
/// stored again within <see cref="RetentionOptions.FreshBlobGrace"/>; the rows whose every blob is settled (deleted,
/// already absent, or kept for another row) are marked; then the transaction commits. A row with a recently stored
/// blob stays unmarked and is tried again at the next fire. Files go before the commit, so a crash leaves a row
/// unmarked whose file is already gone (the next sweep finds it absent), never a row marked whose file is still there
/// for it.
/// </summary>
internal sealed partial class OutputRetention(
    NpgsqlDataSource db, LocalBlobStore blobs, IOptions<RetentionOptions> options, IMeterFactory meters, ILogger<OutputRetention> logger)
{
    private readonly Counter<long> _deleted = meters.Create("Compliance").CreateCounter<long>(
        "compliance.retention.blobs_deleted", description: "Blob files deleted by the retention sweep (unreleased generations, deleted enrolments).");

    public async Task<RetentionResult> SweepAsync(DateTimeOffset now, CancellationToken ct)
    {
        var settings = options.Value;
        var total = RetentionResult.None;
        // Deleted enrolments' photos always go: that is what deleting an enrolment promises its owner.
        total = total.Plus(await BatchesAsync(settings, () => SweepBatchAsync(now, settings, Enrolments, ct), ct));
        if (settings.Enabled)
        {
            total = total.Plus(await BatchesAsync(settings, () => SweepBatchAsync(now, settings, Jobs, ct), ct));
        }

        if (total.Jobs + total.Enrolments > 0)
        {
            LogSwept(logger, total.Jobs, total.Enrolments, total.BlobsDeleted, total.BlobsStillReferenced, total.BlobsAbsent, total.BlobsRecentlyStored);
        }

        if (settings.OrphanGrace > TimeSpan.Zero)
        {
            total = total.Plus(await SweepOrphansAsync(now, settings, ct));
        }

        return total;
    }

    /// <summary>
    /// Every column that names a blob, with the condition under which its row still holds it. The orphan pass deletes
    /// only files none of these name; a test compares this list with the schema's columns, so a new blob column cannot
    /// be forgotten here.
    /// </summary>
    internal static readonly (string Table, string Column, string Holds)[] BlobColumns =
    [
        ("generation_jobs", "output_blob", "blobs_deleted_at is null"),
        ("generation_jobs", "reference_blob", "blobs_deleted_at is null"),
        ("reference_images", "blob_sha256", "true"),
        ("likeness_enrolments", "blob_sha256", "photo_deleted_at is null"),
    ];

    /// <summary>
    /// Which of <c>@candidates</c> some row still holds, leaving out the rows of table <c>@sweeping</c> whose ids are in
    /// <c>@ids</c> (the batch the row sweep is taking the blobs from; the orphan pass passes no table). One query for both
    /// passes, built from <see cref="BlobColumns"/>.
    /// </summary>
    private static readonly string HeldQuery = "select b from unnest(@candidates) b where "
        + string.Join(" or ", BlobColumns.Select(c =>
            $"exists (select 1 from {c.Table} where {c.Column} = b and {c.Holds} and not (@sweeping = '{c.Table}' and id::text = any(@ids)))"));

    /// <summary>
    /// The store-wide pass (ADR-042, amended): blob files untouched for <see cref="RetentionOptions.OrphanGrace"/> that
    /// no row holds are deleted, in batches of <see cref="RetentionOptions.BatchSize"/>, each checked against the
    /// database just before its files go; abandoned temporary files of the same age too.
    /// </summary>
    private async Task<RetentionResult> SweepOrphansAsync(DateTimeOffset now, RetentionOptions settings, CancellationToken ct)
    {
        var untouchedSince = (now - settings.OrphanGrace).UtcDateTime;
        var deleted = blobs.DeleteAbandonedWrites(untouchedSince);
        foreach (var batch in blobs.BlobsUntouchedSince(untouchedSince).Chunk(settings.BatchSize))
        {
            ct.ThrowIfCancellationRequested();
            await using var conn = await db.OpenConnectionAsync(ct);
            var held = (await conn.QueryAsync<string>(new CommandDefinition(
                    HeldQuery, new { candidates = batch, sweeping = "", ids = Array.Empty<string>() }, cancellationToken: ct)))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var blob in batch.Where(b => !held.Contains(b)))
            {
                // Stored again since the listing (a writer about to reference it): kept, as in the row sweep.
                if (blobs.DeleteIfUntouchedSince(blob, untouchedSince) == BlobDeletion.Deleted)
                {
                    deleted++;
                }
            }
        }

        if (deleted > 0)
        {
            _deleted.Add(deleted);
            LogOrphans(logger, deleted, settings.OrphanGrace);
        }

        return RetentionResult.None with { OrphansDeleted = deleted };
    }

    private static async Task<RetentionResult> BatchesAsync(RetentionOptions settings, Func<Task<(RetentionResult Result, int Marked)>> batch, CancellationToken ct)
    {
        var total = RetentionResult.None;
        while (!ct.IsCancellationRequested)
        {
            var (result, marked) = await batch();
            total = total.Plus(result);
            if (marked < settings.BatchSize)
            {
                break; // nothing more is due, or some rows wait for their grace: the next fire takes them
            }
        }

        return total;
    }

    /// <summary>One kind of row that holds blobs: how its due rows are found and marked.</summary>
    private sealed record Holder(string Due, string Mark, bool IsJob);

    private static readonly Holder Jobs = new(
        """
        select id::text, output_blob, reference_blob from generation_jobs
        where state in ('blocked', 'failed', 'cancelled') and blobs_deleted_at is null
          and (output_blob is not null or reference_blob is not null)
          and finished_at < @cutoff
        order by finished_at
        limit @take
        for update skip locked
        """,
        "update generation_jobs set blobs_deleted_at = @now where id = any(@ids::uuid[])",
        IsJob: true);

    private static readonly Holder Enrolments = new(
        """
        select id::text, blob_sha256, null::text from likeness_enrolments
        where deleted_at is not null and photo_deleted_at is null
        order by id
        limit @take
        for update skip locked
        """,
        "update likeness_enrolments set photo_deleted_at = @now where id = any(@ids::bigint[])",
        IsJob: false);

    private async Task<(RetentionResult, int)> SweepBatchAsync(DateTimeOffset now, RetentionOptions settings, Holder holder, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var due = (await conn.QueryAsync<(string Id, string? First, string? Second)>(new CommandDefinition(
            holder.Due, new { cutoff = now - settings.UnreleasedFor, take = settings.BatchSize }, tx, cancellationToken: ct))).ToList();
        if (due.Count == 0)
        {
            return (RetentionResult.None, 0);
        }

        var ids = due.Select(d => d.Id).ToArray();
        var candidates = due.SelectMany(d => new[] { d.First, d.Second }).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        // The batch's own rows do not hold their blobs; every other row that still holds one does.
        var needed = (await conn.QueryAsync<string>(new CommandDefinition(
            HeldQuery, new { candidates, ids, sweeping = holder.IsJob ? "generation_jobs" : "likeness_enrolments" }, tx, cancellationToken: ct)))
            .ToHashSet(StringComparer.Ordinal);

        int deleted = 0, absent = 0;
        var recent = new HashSet<string>(StringComparer.Ordinal);
        var untouchedSince = (now - settings.FreshBlobGrace).UtcDateTime;
        foreach (var blob in candidates.Where(b => !needed.Contains(b)))
        {
            switch (blobs.DeleteIfUntouchedSince(blob, untouchedSince))
            {
                case BlobDeletion.Deleted:
                    deleted++;
                    break;
                case BlobDeletion.Absent:
                    absent++;
                    break;
                default:
                    recent.Add(blob);
                    break;
            }
        }

        var settled = due.Where(d => !(d.First is { } f && recent.Contains(f)) && !(d.Second is { } s && recent.Contains(s))).Select(d => d.Id).ToArray();
        await conn.ExecuteAsync(new CommandDefinition(holder.Mark, new { now, ids = settled }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        _deleted.Add(deleted);
        var result = holder.IsJob
            ? new RetentionResult(settled.Length, 0, deleted, needed.Count, absent, recent.Count)
            : new RetentionResult(0, settled.Length, deleted, needed.Count, absent, recent.Count);
        return (result, settled.Length);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Retention: {Jobs} unreleased generations and {Enrolments} deleted enrolments gave up their blobs ({Deleted} files deleted, {Referenced} kept because another row needs them, {Absent} already gone, {Recent} stored again recently and left for the next sweep)")]
    private static partial void LogSwept(ILogger logger, int jobs, int enrolments, int deleted, int referenced, int absent, int recent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: {Deleted} blob files no row holds, untouched for {Grace}, deleted")]
    private static partial void LogOrphans(ILogger logger, int deleted, TimeSpan grace);
}

/// <summary>The retention sweep as a clustered Quartz job: one node at a time, thin.</summary>
[DisallowConcurrentExecution]
internal sealed partial class OutputRetentionJob(OutputRetention retention, TimeProvider clock, ILogger<OutputRetentionJob> logger) : IJob
{
    public static readonly JobKey Key = new("unreleased-outputs", "retention");
    public static readonly TriggerKey CronTrigger = new("unreleased-outputs-cron", "retention");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await retention.SweepAsync(clock.GetUtcNow(), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The node is stopping: the open batch is rolled back; its already deleted files are found absent next time.
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or UnauthorizedAccessException)
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The retention sweep of unreleased outputs failed; it runs again at the next fire")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>Puts the retention job and its cron trigger in the clustered store at start (as <see cref="Settlements.SettlementSchedule"/> does).</summary>
internal sealed class OutputRetentionSchedule(ISchedulerFactory factory, IOptions<RetentionOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await factory.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<OutputRetentionJob>().WithIdentity(OutputRetentionJob.Key).StoreDurably()
            .WithDescription("Deletes the blobs of unreleased generations past Generation:Retention:UnreleasedFor").Build();
        await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);

        var cron = options.Value.Cron;
        if (await scheduler.GetTrigger(OutputRetentionJob.CronTrigger, cancellationToken) is ICronTrigger existing && existing.CronExpressionString == cron)
        {
            return;
        }

        var trigger = TriggerBuilder.Create().WithIdentity(OutputRetentionJob.CronTrigger).ForJob(OutputRetentionJob.Key)
            .WithCronSchedule(cron, c => c.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

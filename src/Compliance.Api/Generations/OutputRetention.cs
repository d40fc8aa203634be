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

    /// <summary>Delete the output and reference blobs of blocked, failed and cancelled jobs at all. Default true.</summary>
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
}

/// <summary>What one sweep did.</summary>
internal sealed record RetentionResult(int Jobs, int BlobsDeleted, int BlobsStillReferenced, int BlobsAbsent, int BlobsRecentlyStored);

/// <summary>
/// Deletes the blobs of generations that ended without release once <see cref="RetentionOptions.UnreleasedFor"/> has
/// passed (ADR-042). Per batch, in one transaction: the due jobs are locked and marked <c>blobs_deleted_at</c>; each of
/// their blobs that no other row still needs (a released, running or held job, a character reference, a likeness
/// enrolment, whether deleted or not) and that nobody stored again recently is deleted from disk; then the marks are
/// committed. Files go before the commit, so a crash leaves a job unmarked whose file is already gone, and the next
/// sweep finds it absent and marks it: a deletion is never recorded without having happened.
/// </summary>
internal sealed partial class OutputRetention(
    NpgsqlDataSource db, LocalBlobStore blobs, IOptions<RetentionOptions> options, IMeterFactory meters, ILogger<OutputRetention> logger)
{
    private readonly Counter<long> _deleted = meters.Create("Compliance").CreateCounter<long>(
        "compliance.retention.blobs_deleted", description: "Blobs of unreleased generations deleted by the retention sweep.");

    public async Task<RetentionResult> SweepAsync(DateTimeOffset now, CancellationToken ct)
    {
        var settings = options.Value;
        var total = new RetentionResult(0, 0, 0, 0, 0);
        if (!settings.Enabled)
        {
            return total;
        }

        while (!ct.IsCancellationRequested)
        {
            var batch = await SweepBatchAsync(now, settings, ct);
            total = new RetentionResult(total.Jobs + batch.Jobs, total.BlobsDeleted + batch.BlobsDeleted,
                total.BlobsStillReferenced + batch.BlobsStillReferenced, total.BlobsAbsent + batch.BlobsAbsent,
                total.BlobsRecentlyStored + batch.BlobsRecentlyStored);
            if (batch.Jobs < settings.BatchSize)
            {
                break;
            }
        }

        if (total.Jobs > 0)
        {
            LogSwept(logger, total.Jobs, total.BlobsDeleted, total.BlobsStillReferenced, total.BlobsAbsent, total.BlobsRecentlyStored);
        }

        return total;
    }

    private async Task<RetentionResult> SweepBatchAsync(DateTimeOffset now, RetentionOptions settings, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var due = (await conn.QueryAsync<(Guid Id, string? Output, string? Reference)>(new CommandDefinition(
            """
            with due as (
                select id from generation_jobs
                where state in ('blocked', 'failed', 'cancelled') and blobs_deleted_at is null
                  and (output_blob is not null or reference_blob is not null)
                  and finished_at < @cutoff
                order by finished_at
                limit @take
                for update skip locked)
            update generation_jobs g set blobs_deleted_at = @now
            from due where g.id = due.id
            returning g.id, g.output_blob, g.reference_blob
            """,
            new { cutoff = now - settings.UnreleasedFor, take = settings.BatchSize, now }, tx, cancellationToken: ct))).ToList();
        if (due.Count == 0)
        {
            return new RetentionResult(0, 0, 0, 0, 0);
        }

        var candidates = due.SelectMany(j => new[] { j.Output, j.Reference }).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        // Seen inside this transaction, the batch's own rows are already marked, so they do not hold their blobs.
        var needed = (await conn.QueryAsync<string>(new CommandDefinition(
            """
            select b from unnest(@candidates) b
            where exists (select 1 from generation_jobs where output_blob = b and blobs_deleted_at is null)
               or exists (select 1 from generation_jobs where reference_blob = b and blobs_deleted_at is null)
               or exists (select 1 from reference_images where blob_sha256 = b)
               or exists (select 1 from likeness_enrolments where blob_sha256 = b)
            """,
            new { candidates }, tx, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);

        int deleted = 0, absent = 0, recent = 0;
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
                    recent++;
                    break;
            }
        }

        await tx.CommitAsync(ct);
        _deleted.Add(deleted);
        return new RetentionResult(due.Count, deleted, needed.Count, absent, recent);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Retention: blobs of {Jobs} unreleased generations removed ({Deleted} files deleted, {Referenced} kept because another row needs them, {Absent} already gone, {Recent} stored again recently)")]
    private static partial void LogSwept(ILogger logger, int jobs, int deleted, int referenced, int absent, int recent);
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

using Compliance.Generation.Pipeline;
using Dapper;
using Npgsql;
using Quartz;

namespace Compliance.Api.Generations;

/// <summary>
/// Puts generation jobs on the clustered Quartz store, one durable job per generation (recovery requested, so a job
/// whose node died is fired again on another node). The database row is the truth and the Quartz job its runner:
/// the sweeper re-schedules any unfinished row that has no trigger (a crash between insert and schedule, a run
/// ended by a node's shutdown), so no job is ever stranded.
/// </summary>
internal sealed partial class GenerationScheduler(ISchedulerFactory factory, NpgsqlDataSource db, ILogger<GenerationScheduler> logger)
{
    public const string Group = "generations";

    public static JobKey KeyOf(Guid id) => new(id.ToString("N"), Group);

    /// <summary>
    /// Makes sure the job will run: its durable Quartz job, and a trigger. Without a delay the trigger's key is the
    /// generation's own, and an existing one is kept (an idempotent enqueue: submit and sweeper may race); a delayed
    /// re-run (tenant busy) gets a key of its own, because the firing trigger is removed once its run returns.
    /// </summary>
    public async Task ScheduleAsync(Guid id, TimeSpan delay, CancellationToken ct)
    {
        var scheduler = await factory.GetScheduler(ct);
        var key = KeyOf(id);
        if (!await scheduler.Exists(key, ct))
        {
            try
            {
                await scheduler.AddJob(JobBuilder.Create<GenerationQuartzJob>().WithIdentity(key).StoreDurably().RequestRecovery().Build(), new AddJobOptions(), ct);
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another node added it first.
            }
        }

        var name = delay == TimeSpan.Zero ? key.Name : key.Name + "-" + Guid.NewGuid().ToString("N")[..12];
        var trigger = TriggerBuilder.Create()
            .WithIdentity(name, Group)
            .ForJob(key)
            .StartAt(DateTimeOffset.UtcNow + delay)
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, ct);
    }

    /// <summary>The job has finished for good: its Quartz job goes (the row keeps the history).</summary>
    public async Task CompleteAsync(Guid id, CancellationToken ct)
    {
        var scheduler = await factory.GetScheduler(ct);
        await scheduler.DeleteJob(KeyOf(id), ct);
    }

    /// <summary>A cancelled job that is not running needs no run; a running one stops at its next transition and then completes.</summary>
    public async Task OnCancelledAsync(Guid id, CancellationToken ct)
    {
        if (!await IsFiringAsync(id, ct))
        {
            await CompleteAsync(id, ct);
        }
    }

    /// <summary>Schedules every unfinished job that has neither a trigger waiting nor a node running it; returns how many.</summary>
    public async Task<int> SweepAsync(TimeSpan olderThan, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // The scheduler's own tables say what is waiting (qrtz_triggers) and what a node is running (qrtz_fired_triggers).
        var stranded = (await conn.QueryAsync<Guid>(new CommandDefinition(
            """
            select g.id from generation_jobs g
            where g.finished_at is null and g.updated_at < now() - @olderThan
              and not exists (select from qrtz_triggers t where t.job_group = @group and t.job_name = replace(g.id::text, '-', ''))
              and not exists (select from qrtz_fired_triggers f where f.job_group = @group and f.job_name = replace(g.id::text, '-', ''))
            order by g.created_at limit 500
            """,
            new { olderThan, group = Group }, cancellationToken: ct))).ToList();
        foreach (var id in stranded)
        {
            LogRescheduled(logger, id);
            await ScheduleAsync(id, TimeSpan.Zero, ct);
        }

        return stranded.Count;
    }

    private async Task<bool> IsFiringAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select from qrtz_fired_triggers where job_group = @group and job_name = @name)",
            new { group = Group, name = KeyOf(id).Name }, cancellationToken: ct));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generation {JobId} was unfinished with nothing scheduled to run it; scheduled again")]
    private static partial void LogRescheduled(ILogger logger, Guid jobId);
}

/// <summary>Runs the sweeper every few seconds on every node (cheap: one indexed query over unfinished jobs).</summary>
internal sealed partial class GenerationSweeper(GenerationScheduler scheduler, ILogger<GenerationSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await scheduler.SweepAsync(TimeSpan.FromSeconds(10), stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or SchedulerException or TimeoutException)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The generation sweeper could not run; it tries again shortly")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

/// <summary>
/// The Quartz job: thin. One generation per job key; never two runs of one generation at once. A tenant at its
/// concurrency limit gets its job put back in the queue a little later.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class GenerationQuartzJob(GenerationRunner runner, GenerationScheduler scheduler, Microsoft.Extensions.Options.IOptions<GenerationPipelineOptions> options,
    ILogger<GenerationQuartzJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(context.JobDetail.Key.Name, "N", out var id))
        {
            return;
        }

        try
        {
            var result = await runner.RunAsync(id, cancellationToken);
            if (result == RunResult.TenantBusy)
            {
                await scheduler.ScheduleAsync(id, options.Value.TenantBusyRetryDelay, cancellationToken);
                return;
            }

            await scheduler.CompleteAsync(id, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogInterrupted(logger, id); // the node is stopping; the sweeper or Quartz recovery runs it again
        }
        catch (Exception ex) when (ex is NpgsqlException or SchedulerException or TimeoutException)
        {
            // The database or the scheduler was unreachable between stages: the row still says where the job is.
            LogInfrastructureFailure(logger, ex, id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Generation {JobId} was interrupted by shutdown and will resume from its last completed stage")]
    private static partial void LogInterrupted(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation {JobId} could not run (database or scheduler unavailable); it will be resumed")]
    private static partial void LogInfrastructureFailure(ILogger logger, Exception exception, Guid jobId);
}

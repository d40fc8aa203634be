using Compliance.Settlements;
using Microsoft.Extensions.Options;
using Quartz;

namespace Compliance.Api.Settlements;

internal static class SettlementExtensions
{
    /// <summary>
    /// Revenue intake, the settlement runner, and its Quartz job on the clustered store the generation pipeline set up
    /// (<see cref="Generations.GenerationExtensions"/>): one durable job, recovery requested, never two runs at once,
    /// fired by a cron trigger that <see cref="SettlementSchedule"/> keeps in step with <c>Settlements:Cron</c>.
    /// </summary>
    public static WebApplicationBuilder AddComplianceSettlements(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SettlementOptions>().BindConfiguration(SettlementOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => CronExpression.TryParse(o.Cron, out _), "Settlements:Cron is not a valid Quartz cron expression.")
            .Validate(o => Enum.IsDefined(o.Period) && Enum.IsDefined(o.SplitRule), "Settlements:Period or Settlements:SplitRule is not one of the documented values.")
            .Validate(o => o.FutureTolerance >= TimeSpan.Zero, "Settlements:FutureTolerance cannot be negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RevenueIntake>();
        builder.Services.AddSingleton<SettlementRunner>();
        builder.Services.AddHostedService<SettlementSchedule>();
        return builder;
    }
}

/// <summary>
/// The scheduled settlement: thin. Each fire settles every period that has ended and is not settled yet, oldest first
/// (so one fire after a long outage catches up), through the same runner an admin uses. Failures are recorded on the
/// run and logged here; the period stays unsettled and the next fire, or an admin, runs it again.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class SettlementJob(SettlementRunner runner, IOptions<SettlementOptions> options, TimeProvider clock, ILogger<SettlementJob> logger) : IJob
{
    public static readonly JobKey Key = new("periods", "settlements");
    public static readonly TriggerKey CronTrigger = new("periods-cron", "settlements");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            var results = await runner.SettleDueAsync(clock.GetUtcNow(), RunTriggers.Schedule, options.Value.SplitRule, cancellationToken);
            foreach (var failed in results.Where(r => r.Outcome == SettleOutcome.Failed))
            {
                LogPeriodFailed(logger, failed.Period!.Start, failed.RunId, failed.Error);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogInterrupted(logger); // the node is stopping: the run's transaction is rolled back, recovery or the next fire reruns it
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogUnavailable(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Settlement of period {PeriodStart:O} failed (run {RunId}): {Error}; it stays unsettled and is retried at the next fire")]
    private static partial void LogPeriodFailed(ILogger logger, DateTimeOffset periodStart, Guid? runId, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement run interrupted by shutdown; nothing of it was kept")]
    private static partial void LogInterrupted(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settlement could not run: the database is unavailable; retried at the next fire")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}

/// <summary>
/// Puts the settlement job and its cron trigger in the clustered store at start, on every node. An existing trigger
/// with the configured expression is kept as it is, so a fire missed while every node was down is still due and
/// Quartz's misfire rule (fire once now, then carry on) applies; a changed expression replaces it.
/// </summary>
internal sealed partial class SettlementSchedule(ISchedulerFactory factory, IOptions<SettlementOptions> options, ILogger<SettlementSchedule> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await factory.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<SettlementJob>().WithIdentity(SettlementJob.Key).StoreDurably().RequestRecovery()
            .WithDescription("Settles every ended, unsettled revenue-share period").Build();
        await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);

        var cron = options.Value.Cron;
        var trigger = TriggerBuilder.Create().WithIdentity(SettlementJob.CronTrigger).ForJob(SettlementJob.Key)
            .WithCronSchedule(cron, c => c.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();
        var existing = await scheduler.GetTrigger(SettlementJob.CronTrigger, cancellationToken) as ICronTrigger;
        if (existing?.CronExpressionString == cron)
        {
            return;
        }

        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, cancellationToken);
        LogScheduled(logger, cron);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement job scheduled with cron {Cron} (UTC)")]
    private static partial void LogScheduled(ILogger logger, string cron);
}

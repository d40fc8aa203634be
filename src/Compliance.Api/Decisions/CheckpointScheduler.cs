using Compliance.Storage.Decisions;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Decisions;

/// <summary>
/// Signs a checkpoint of the decision log's head at every interval in which the head moved. Every node
/// runs one; they take turns through an advisory lock, so a moved head is signed once. A chain that
/// no longer verifies since the last checkpoint is never signed: it is logged as critical instead.
/// </summary>
internal sealed partial class CheckpointScheduler(DecisionCheckpoints checkpoints, IOptions<DecisionLogOptions> options, TimeProvider clock, ILogger<CheckpointScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var result = await checkpoints.CreateAsync(onlyIfHeadMoved: true, stoppingToken);
                if (result.Status == CheckpointStatus.ChainBroken)
                {
                    LogChainBroken(result.Failure?.FirstBadSeq, result.Failure?.Problem, result.LastTrustedSeq);
                }
                else if (result.Status == CheckpointStatus.Created)
                {
                    LogCreated(result.Checkpoint!.Sequence);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next tick tries again; the failure must not stop the node or the schedule.
                LogFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Decision log does not verify at entry {FirstBadSeq} ({Problem}); last trusted entry {LastTrustedSeq}. No checkpoint signed.")]
    private partial void LogChainBroken(long? firstBadSeq, string? problem, long? lastTrustedSeq);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Signed a decision-log checkpoint at entry {Sequence}.")]
    private partial void LogCreated(long sequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not make a decision-log checkpoint; will retry at the next interval.")]
    private partial void LogFailed(Exception ex);
}

using System.Diagnostics;
using Compliance.Generation.Frames;
using Compliance.Generation.Generators;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Compliance.Generation.Pipeline;

/// <summary>How one run of a job ended, for the scheduler: done (whatever the job's state), or to be tried later.</summary>
public enum RunResult
{
    Finished,
    TenantBusy,
}

/// <summary>
/// Runs one generation job from the stage it is in to the end: prompt gate → generator → frame gate → release. Each
/// completed stage is recorded before the next starts, so a job that a crash interrupts resumes from its last
/// completed stage (a half-done stage is done again: the prompt gate and frame gate decide again and log it, the
/// local generator renders the same bytes again). Release is a compare-and-set from the frame gate's stage in one
/// transaction, so no job is released twice or after a cancel, and nothing is released that the frame gate did not
/// allow. Every failure ends the job <c>failed</c> (or <c>blocked</c>) with its reason; only the host's shutdown
/// leaves a job where it is, for a node to pick up.
/// </summary>
public sealed partial class GenerationRunner(
    IGenerationJobStore store,
    IGenerationStages stages,
    IOptions<GenerationPipelineOptions> options,
    ILogger<GenerationRunner> logger)
{
    private static readonly ActivitySource Activity = new("Compliance.Generation");

    // How soon a running stage notices that its job was cancelled (one indexed read per running job per interval).
    private static readonly TimeSpan CancelPollInterval = TimeSpan.FromSeconds(1);

    public async Task<RunResult> RunAsync(Guid id, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("generation");
        activity?.SetTag("compliance.generation", id);
        var job = await store.GetAsync(id, ct).ConfigureAwait(false);
        if (job is null || job.State.IsFinished())
        {
            return RunResult.Finished;
        }

        var o = options.Value;
        if (job.State == GenerationState.Queued)
        {
            if (!await store.TryStartAsync(id, o.MaxConcurrentJobsPerTenant, ct).ConfigureAwait(false))
            {
                var current = await store.GetAsync(id, ct).ConfigureAwait(false);
                return current?.State == GenerationState.Queued ? RunResult.TenantBusy : RunResult.Finished;
            }
        }

        var attempt = await store.BeginAttemptAsync(id, ct).ConfigureAwait(false);
        if (attempt > o.MaxAttempts)
        {
            job = await store.GetAsync(id, ct).ConfigureAwait(false);
            if (job is not null && !job.State.IsFinished())
            {
                await EndAsync(job, GenerationState.Failed, $"The job was started {attempt - 1} times without finishing (crashes or time-outs); it is not tried again.", ct).ConfigureAwait(false);
            }

            return RunResult.Finished;
        }

        while (true)
        {
            job = await store.GetAsync(id, ct).ConfigureAwait(false);
            if (job is null || job.State.IsFinished())
            {
                if (job is not null)
                {
                    await stages.OnFinishedAsync(id, ct).ConfigureAwait(false);
                }

                return RunResult.Finished;
            }

            // A cancel is a row update that any node may make; the stage is told through its token, so a cancelled
            // job stops generating (or screening) at once instead of finishing work nobody will get.
            using var stage = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var stopWatching = new CancellationTokenSource();
            var watcher = WatchForCancelAsync(id, stage, stopWatching.Token);
            try
            {
                await RunStageAsync(job, o, stage.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Whatever the stage threw once cancelled is the cancel's echo; the loop re-reads the (cancelled) job.
            catch (Exception) when (stage.IsCancellationRequested && !ct.IsCancellationRequested)
#pragma warning restore CA1031
            {
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw; // the host is stopping: the job stays where it is and is resumed by this or another node
            }
            catch (StageTimeoutException ex)
            {
                await EndAsync(job, GenerationState.Failed, ex.Message, ct).ConfigureAwait(false);
            }
            catch (GenerationFailedException ex) when (ex.Kind == GenerationFailureKind.SafetyRefusal)
            {
                var decision = await stages.RecordProviderRefusalAsync(job, ex, ct).ConfigureAwait(false);
                await EndAsync(job, GenerationState.Blocked, $"The generator's provider refused the request ({ex.ProviderCode ?? "safety"}): {ex.ProviderMessage ?? ex.Message}", ct,
                    new StageRecord { FrameDecisionId = decision.DecisionId, ProviderJobId = ex.ProviderJobId }).ConfigureAwait(false);
            }
            catch (GenerationFailedException ex)
            {
                await EndAsync(job, GenerationState.Failed, $"Generation failed ({ex.Kind}): {ex.Message}", ct,
                    new StageRecord { ProviderJobId = ex.ProviderJobId }).ConfigureAwait(false);
            }
            catch (VideoRejectedException ex)
            {
                await EndAsync(job, GenerationState.Failed, $"The generated video could not be screened ({ex.Reason}): {ex.Message}", ct).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Any other failure ends the job failed with its reason: a job never disappears silently.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogStageFailure(logger, ex, id, job.State.Name());
                await EndAsync(job, GenerationState.Failed, $"Internal error in stage {job.State.Name()} ({ex.GetType().Name}); see the service log.", ct).ConfigureAwait(false);
            }
            finally
            {
                await stopWatching.CancelAsync().ConfigureAwait(false);
                await watcher.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Cancels <paramref name="stage"/> once the job's row says it was cancelled; polls every second until told to stop.</summary>
    private async Task WatchForCancelAsync(Guid id, CancellationTokenSource stage, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(CancelPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                GenerationJob? job;
                try
                {
                    job = await store.GetAsync(id, stop).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A failed poll (database busy) is tried again at the next tick; the stage itself is unaffected.
                catch (Exception) when (!stop.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    continue;
                }

                if (job is null || job.CancelRequested || job.State == GenerationState.Cancelled)
                {
                    await stage.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The stage ended first.
        }
    }

    private async Task RunStageAsync(GenerationJob job, GenerationPipelineOptions o, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        switch (job.State)
        {
            case GenerationState.ScreeningPrompt:
            {
                var gate = await WithTimeoutAsync("prompt gate", o.PromptStageTimeout, t => stages.ScreenPromptAsync(job, t), ct).ConfigureAwait(false);
                var record = new StageRecord { Stage = "prompt", Elapsed = Stopwatch.GetElapsedTime(started), PromptDecisionId = gate.DecisionId, Reason = gate.Summary };
                await store.AdvanceAsync(job.Id, job.State, gate.Outcome switch
                {
                    GateOutcome.Allow => GenerationState.Generating,
                    GateOutcome.Review => GenerationState.InReview,
                    _ => GenerationState.Blocked,
                }, gate.Outcome == GateOutcome.Allow ? record with { Reason = null } : record, ct).ConfigureAwait(false);
                break;
            }

            case GenerationState.Generating:
            {
                var output = await WithTimeoutAsync("generator", o.GenerateStageTimeout, async t =>
                {
                    var (generator, request, assets) = await stages.PrepareGenerationAsync(job, t).ConfigureAwait(false);
                    await using (assets.ConfigureAwait(false))
                    {
                        var progress = new ThrottledProgress(p => _ = store.ReportProgressAsync(job.Id, GenerationState.Generating, p, CancellationToken.None));
                        var video = await generator.GenerateAsync(request, progress, t).ConfigureAwait(false);
                        try
                        {
                            return (Blob: await stages.StoreOutputAsync(job, video, t).ConfigureAwait(false), video.Model, video.ProviderJobId);
                        }
                        finally
                        {
                            File.Delete(video.Path);
                        }
                    }
                }, ct).ConfigureAwait(false);
                await store.AdvanceAsync(job.Id, job.State, GenerationState.ScreeningFrames, new StageRecord
                {
                    Stage = "generate", Elapsed = Stopwatch.GetElapsedTime(started), OutputBlob = output.Blob, Model = output.Model, ProviderJobId = output.ProviderJobId,
                }, ct).ConfigureAwait(false);
                break;
            }

            case GenerationState.ScreeningFrames:
            {
                var gate = await WithTimeoutAsync("frame gate", o.FrameStageTimeout, t => stages.ScreenFramesAsync(job, t), ct).ConfigureAwait(false);
                var record = new StageRecord { Stage = "frames", Elapsed = Stopwatch.GetElapsedTime(started), FrameDecisionId = gate.DecisionId, Reason = gate.Summary };
                if (gate.Outcome != GateOutcome.Allow)
                {
                    await store.AdvanceAsync(job.Id, job.State, gate.Outcome == GateOutcome.Review ? GenerationState.InReview : GenerationState.Blocked, record, ct).ConfigureAwait(false);
                    break;
                }

                var screened = job with { FrameDecisionId = gate.DecisionId };
                await WithTimeoutAsync("release", o.ReleaseStageTimeout, async t =>
                {
                    // The frame decision is recorded first (the state stays), so a crash between it and the release
                    // leaves a job whose next run screens again rather than one released on an unrecorded decision.
                    await store.AdvanceAsync(job.Id, job.State, job.State, record with { Reason = null }, t).ConfigureAwait(false);
                    return await stages.ReleaseAsync(screened, t).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
                break;
            }

            default:
                throw new InvalidOperationException($"A job in state {job.State.Name()} has no stage to run.");
        }
    }

    private async Task EndAsync(GenerationJob job, GenerationState state, string reason, CancellationToken ct, StageRecord? record = null)
    {
        var current = await store.GetAsync(job.Id, ct).ConfigureAwait(false);
        if (current is null || current.State.IsFinished())
        {
            return;
        }

        await store.AdvanceAsync(job.Id, current.State, state, (record ?? new StageRecord()) with { Reason = reason }, ct).ConfigureAwait(false);
    }

    private static async Task<T> WithTimeoutAsync<T>(string stage, TimeSpan budget, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(budget);
        try
        {
            return await work(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new StageTimeoutException($"The {stage} did not finish within its budget of {budget.TotalSeconds:0.#} s.", ex);
        }
        catch (GenerationFailedException ex) when (ex.Kind is GenerationFailureKind.Cancelled or GenerationFailureKind.Timeout
            && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new StageTimeoutException($"The {stage} did not finish within its budget of {budget.TotalSeconds:0.#} s.", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation {JobId} failed in stage {Stage}")]
    private static partial void LogStageFailure(ILogger logger, Exception exception, Guid jobId, string stage);

    private sealed class StageTimeoutException(string message, Exception inner) : Exception(message, inner);

    /// <summary>Reports progress at most every 2 percentage points, so a chatty generator does not flood the database.</summary>
    private sealed class ThrottledProgress(Action<double> report) : IProgress<double>
    {
        private double _last = -1;

        public void Report(double value)
        {
            if (value >= 1 || value - _last >= 0.02)
            {
                _last = value;
                report(Math.Clamp(value, 0, 1));
            }
        }
    }
}

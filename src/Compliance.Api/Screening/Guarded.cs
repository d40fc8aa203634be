using Compliance.Policies.Model;

namespace Compliance.Api.Screening;

/// <summary>
/// Runs one classifier under its time budget. A classifier that throws or overruns becomes a
/// <see cref="SignalKinds.ClassifierError"/> signal naming it and why: never a silent allow.
/// </summary>
internal static class Guarded
{
    public static async Task<IReadOnlyList<Signal>> RunAsync(
        string classifier, Func<CancellationToken, ValueTask<IReadOnlyList<Signal>>> classify, TimeSpan budget, ILogger logger, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(budget);
        try
        {
            // Task.Run so that a classifier stuck in synchronous work still cannot hold the request past its budget.
            return await Task.Run(() => classify(timeout.Token).AsTask(), timeout.Token).WaitAsync(budget, ct);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            logger.LogWarning("Classifier {Classifier} exceeded its {Budget} ms budget", classifier, budget.TotalMilliseconds);
            return [Failure(classifier, $"timed out after {budget.TotalMilliseconds:0} ms")];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any failure of a classifier is a signal, never a silent allow.
            logger.LogError(ex, "Classifier {Classifier} failed", classifier);
            return [Failure(classifier, ex.GetType().Name + ": " + ex.Message)];
        }
    }

    private static Signal Failure(string classifier, string detail) =>
        new(classifier, "n/a", SignalKinds.ClassifierError, null, 1.0, new Evidence(Detail: detail));
}

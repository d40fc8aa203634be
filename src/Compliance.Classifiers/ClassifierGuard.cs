using System.Diagnostics;
using Compliance.Imaging.Decoding;
using Compliance.Policies.Model;

namespace Compliance.Classifiers;

/// <summary>
/// Runs classifiers under a time budget. A classifier that throws or overruns becomes a
/// <see cref="SignalKinds.ClassifierError"/> signal naming it and why: never a silent allow.
/// </summary>
public static class ClassifierGuard
{
    /// <summary>Called with the classifier's name and the exception (null for a time-out) whenever one fails, e.g. to log it.</summary>
    public delegate void FailureObserver(string classifier, Exception? exception);

    public static async Task<IReadOnlyList<Signal>> RunAsync(
        string classifier, Func<CancellationToken, ValueTask<IReadOnlyList<Signal>>> classify, TimeSpan budget, FailureObserver? onFailure, CancellationToken ct)
    {
        var (signals, failure) = await GuardAsync(classifier, t => classify(t).AsTask(), budget, onFailure, ct);
        return failure is null ? signals! : [Failure(classifier, failure)];
    }

    /// <summary>
    /// Runs a classifier whose work is synchronous and bounded by its input (the lexical name matcher: no model, no I/O,
    /// cost linear in the prompt's length, which the endpoint caps) on the caller's thread: no thread-pool hop, no timer,
    /// no linked token source per call. Those cost more than the matcher itself on a short prompt and were the tail of
    /// the prompt path (ADR-022). The budget is still enforced, after the fact: a result that arrives later than
    /// <paramref name="budget"/> is discarded and becomes a classifier-error signal (fail closed), exactly as a time-out
    /// under <see cref="RunAsync"/>; what is lost is only that such a call cannot be cut short. A classifier that does
    /// not complete synchronously is awaited under <see cref="RunAsync"/>'s guard for the rest of its budget.
    /// </summary>
    public static ValueTask<IReadOnlyList<Signal>> RunInline(
        string classifier, Func<CancellationToken, ValueTask<IReadOnlyList<Signal>>> classify, TimeSpan budget, FailureObserver? onFailure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(classify);
        ct.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<Signal> signals;
        try
        {
            var pending = classify(ct);
            if (!pending.IsCompleted)
            {
                var rest = budget - Stopwatch.GetElapsedTime(started);
                return new ValueTask<IReadOnlyList<Signal>>(RunAsync(classifier, _ => pending, rest > TimeSpan.Zero ? rest : TimeSpan.Zero, onFailure, ct));
            }

            signals = pending.Result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            onFailure?.Invoke(classifier, ex);
            return new([Failure(classifier, ex.GetType().Name + ": " + ex.Message)]);
        }

        if (Stopwatch.GetElapsedTime(started) > budget)
        {
            onFailure?.Invoke(classifier, null);
            return new([Failure(classifier, $"timed out after {budget.TotalMilliseconds:0} ms")]);
        }

        return new(signals);
    }

    /// <summary>
    /// The guard itself, for work that returns something other than signals (the content-context scores): the value,
    /// or why there is none ("timed out after N ms", or the exception). The caller's own cancellation still throws.
    /// </summary>
    public static async Task<(T? Value, string? Failure)> GuardAsync<T>(
        string classifier, Func<CancellationToken, Task<T>> work, TimeSpan budget, FailureObserver? onFailure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(budget);
        try
        {
            // Task.Run so that a classifier stuck in synchronous work still cannot hold the request past its budget.
            return (await Task.Run(() => work(timeout.Token), timeout.Token).WaitAsync(budget, ct), null);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            onFailure?.Invoke(classifier, null);
            return (default, $"timed out after {budget.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            onFailure?.Invoke(classifier, ex);
            return (default, ex.GetType().Name + ": " + ex.Message);
        }
    }

    /// <summary>Runs every image classifier on one image, each under <paramref name="budget"/>.</summary>
    public static async Task<IReadOnlyList<Signal>> RunAllAsync(
        IReadOnlyList<Images.IImageClassifier> classifiers, DecodedImage image, TimeSpan budget, FailureObserver? onFailure, CancellationToken ct)
    {
        var signals = new List<Signal>();
        foreach (var classifier in classifiers)
        {
            signals.AddRange(await RunAsync(classifier.Name, t => classifier.ClassifyAsync(image, t), budget, onFailure, ct));
        }

        return signals;
    }

    private static Signal Failure(string classifier, string detail) =>
        new(classifier, "n/a", SignalKinds.ClassifierError, null, 1.0, new Evidence(Detail: detail));
}

using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;

namespace Compliance.Api.Screening;

/// <summary>
/// Admits at most <c>maxConcurrent</c> pieces of one kind of heavy work at a time, queues up to <c>queueLimit</c> more
/// (oldest first), and turns the rest away with <see cref="ServerBusyException"/> (503 with Retry-After), as does a
/// wait longer than <c>maxQueueWait</c>. Three gauges/counters named after <c>metric</c> say whether the
/// gate is the bottleneck.
/// </summary>
internal abstract class AdmissionGate : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly int _maxConcurrent;
    private readonly int _queueLimit;
    private readonly TimeSpan _maxQueueWait;
    private readonly TimeSpan _retryAfter;
    private readonly string _what;

    protected AdmissionGate(
        int maxConcurrent, int queueLimit, TimeSpan maxQueueWait, TimeSpan retryAfter, string what, string metric, IMeterFactory meters)
    {
        (_maxConcurrent, _queueLimit, _maxQueueWait, _retryAfter, _what) = (maxConcurrent, queueLimit, maxQueueWait, retryAfter, what);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = maxConcurrent,
            QueueLimit = queueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });

        var meter = meters.Create("Compliance");
        meter.CreateObservableGauge($"compliance.{metric}.queued", () => Statistics?.CurrentQueuedCount ?? 0, description: $"{what} waiting for a slot.");
        meter.CreateObservableGauge(
            $"compliance.{metric}.active", () => _maxConcurrent - (Statistics?.CurrentAvailablePermits ?? 0), description: $"{what} being processed.");
        meter.CreateObservableCounter(
            $"compliance.{metric}.turned_away", () => Statistics?.TotalFailedLeases ?? 0, description: $"{what} answered 503 because the queue was full.");
    }

    /// <summary>Work running now and waiting; for tests and diagnostics.</summary>
    public RateLimiterStatistics? Statistics => _limiter.GetStatistics();

    /// <summary>Waits for a slot; dispose the lease to give it back.</summary>
    /// <exception cref="ServerBusyException">The queue is full, or no slot came free within the longest wait.</exception>
    public async Task<RateLimitLease> EnterAsync(CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(_maxQueueWait);
        RateLimitLease lease;
        try
        {
            lease = await _limiter.AcquireAsync(1, wait.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ServerBusyException($"No slot for {_what.ToLowerInvariant()} came free within {_maxQueueWait.TotalSeconds:0} s.", _retryAfter);
        }

        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        throw new ServerBusyException(
            $"{_maxConcurrent} {_what.ToLowerInvariant()} are being processed and {_queueLimit} are waiting; no more are queued.", _retryAfter);
    }

    public void Dispose()
    {
        _limiter.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The service is at capacity for this kind of work: a 503 with Retry-After, not a failure of the request.</summary>
internal sealed class ServerBusyException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

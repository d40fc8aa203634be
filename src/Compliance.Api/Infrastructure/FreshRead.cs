namespace Compliance.Api.Infrastructure;

/// <summary>
/// One database read shared by every caller that asks while it is queued, never by a caller that asks after it was
/// sent. A caller gets the result of a read that started after the caller asked: if none is in flight one starts at
/// once; if one is in flight (sent before this caller asked, so it may predate a commit this caller must see) the
/// caller joins the next read, which starts when that one ends. Under load the database then answers one read per
/// round instead of one per request, and every caller still sees every commit made before it asked (ADR-022).
/// </summary>
internal sealed class FreshRead<T>(Func<CancellationToken, Task<T>> read)
{
    private readonly Lock _gate = new();
    private Task<T>? _inFlight;
    private TaskCompletionSource<T>? _next;

    /// <summary>Whether a read is in flight (for tests).</summary>
    internal bool Busy
    {
        get
        {
            lock (_gate)
            {
                return _inFlight is not null;
            }
        }
    }

    /// <summary>A value read by a query that started no earlier than this call. The caller's cancellation stops its wait, not the shared read.</summary>
    public Task<T> ReadAsync(CancellationToken ct)
    {
        Task<T> shared;
        lock (_gate)
        {
            if (_inFlight is null)
            {
                _inFlight = Start();
                shared = _inFlight;
            }
            else
            {
                _next ??= new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = _next.Task;
            }
        }

        return ct.CanBeCanceled ? shared.WaitAsync(ct) : shared;
    }

    // Called with the gate held. The bookkeeping after the read is queued, never run inline: a read that had already
    // finished would otherwise re-enter Finished on this thread before _inFlight is set, and leave a finished task
    // marked in flight (the next caller would then wait for a read nobody starts).
    private Task<T> Start()
    {
        var task = Task.Run(() => read(CancellationToken.None));
        task.ContinueWith(static (_, state) => ((FreshRead<T>)state!).Finished(), this, CancellationToken.None,
            TaskContinuationOptions.None, TaskScheduler.Default);
        return task;
    }

    private void Finished()
    {
        TaskCompletionSource<T>? waiting;
        Task<T>? next = null;
        lock (_gate)
        {
            waiting = _next;
            _next = null;
            if (waiting is not null)
            {
                next = Start();
            }

            _inFlight = next;
        }

        if (waiting is not null)
        {
            // Everyone queued behind the finished read gets the read that started after they asked.
            next!.ContinueWith(static (t, state) =>
            {
                var tcs = (TaskCompletionSource<T>)state!;
                if (t.IsFaulted)
                {
                    tcs.TrySetException(t.Exception!.InnerExceptions);
                }
                else if (t.IsCanceled)
                {
                    tcs.TrySetCanceled();
                }
                else
                {
                    tcs.TrySetResult(t.Result);
                }
            }, waiting, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}

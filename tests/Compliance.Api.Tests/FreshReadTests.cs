using Compliance.Api.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>
/// The shared key-change read (ADR-022): callers share one read, but never one sent before they asked, so a revocation
/// committed before a request arrived is always seen by that request.
/// </summary>
public sealed class FreshReadTests
{
    [Fact]
    public async Task CallerArrivingWhileAReadIsInFlightGetsTheNextReadNotTheOlderOne()
    {
        var reads = 0;
        var firstMayFinish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = new FreshRead<int>(async _ =>
        {
            var n = Interlocked.Increment(ref reads);
            if (n == 1)
            {
                firstStarted.SetResult();
                await firstMayFinish.Task;   // the database's answer as of before the later callers asked
            }

            return n;
        });

        var early = shared.ReadAsync(CancellationToken.None);
        await firstStarted.Task;
        var late = Enumerable.Range(0, 20).Select(_ => shared.ReadAsync(CancellationToken.None)).ToArray();
        firstMayFinish.SetResult();

        Assert.Equal(1, await early);
        Assert.All(await Task.WhenAll(late), value => Assert.Equal(2, value));   // one later read for all twenty of them
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task CallerAfterAllReadsFinishedStartsAFreshRead()
    {
        var reads = 0;
        var shared = new FreshRead<int>(_ => Task.FromResult(Interlocked.Increment(ref reads)));

        Assert.Equal(1, await shared.ReadAsync(CancellationToken.None));
        await WaitUntilIdleAsync(shared);
        Assert.Equal(2, await shared.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task FailedReadFailsEveryCallerSharingItAndTheNextCallerReadsAgain()
    {
        var reads = 0;
        var shared = new FreshRead<int>(_ => Interlocked.Increment(ref reads) == 1
            ? Task.FromException<int>(new InvalidOperationException("database down"))
            : Task.FromResult(7));

        await Assert.ThrowsAsync<InvalidOperationException>(() => shared.ReadAsync(CancellationToken.None));
        await WaitUntilIdleAsync(shared);
        Assert.Equal(7, await shared.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task CancelledCallerStopsWaitingWithoutCancellingTheSharedRead()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = new FreshRead<int>(async _ =>
        {
            await release.Task;
            return 1;
        });
        using var cancel = new CancellationTokenSource();
        var patient = shared.ReadAsync(CancellationToken.None);
        var impatient = shared.ReadAsync(cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        release.SetResult();
        Assert.Equal(1, await patient);
    }

    // The bookkeeping after a read runs on the thread pool; a caller that must not share a finished read waits for it.
    private static async Task WaitUntilIdleAsync<T>(FreshRead<T> shared)
    {
        for (var i = 0; i < 200 && shared.Busy; i++)
        {
            await Task.Delay(5);
        }
    }
}

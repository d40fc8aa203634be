using Compliance.Policies.Model;

namespace Compliance.Classifiers.Tests.Guard;

/// <summary>The inline guard of the lexical path: no thread hop or timer, and still fail closed on time and on errors.</summary>
public sealed class ClassifierGuardTests
{
    private static readonly Signal Found = new("names-text", "v1", SignalKinds.LicensedCharacter, null, 1.0, new Evidence());

    [Fact]
    public async Task InlineClassifierWithinItsBudgetRunsOnTheCallersThreadAndKeepsItsSignals()
    {
        var caller = Environment.CurrentManagedThreadId;
        var ranOn = -1;
        var signals = await ClassifierGuard.RunInline("names-text", _ =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            return ValueTask.FromResult<IReadOnlyList<Signal>>([Found]);
        }, TimeSpan.FromSeconds(5), null, CancellationToken.None);

        Assert.Equal(caller, ranOn);
        Assert.Same(Found, Assert.Single(signals));
    }

    [Fact]
    public async Task InlineClassifierOverItsBudgetBecomesAClassifierErrorNotItsSignals()
    {
        string? observed = null;
        var signals = await ClassifierGuard.RunInline("names-text", _ =>
        {
            Thread.Sleep(60);   // synchronous work past the budget: the result must not be trusted
            return ValueTask.FromResult<IReadOnlyList<Signal>>([Found]);
        }, TimeSpan.FromMilliseconds(20), (name, ex) => observed = name + (ex is null ? ": timeout" : ": error"), CancellationToken.None);

        var failure = Assert.Single(signals);
        Assert.Equal(SignalKinds.ClassifierError, failure.Kind);
        Assert.Equal("timed out after 20 ms", failure.Evidence?.Detail);
        Assert.Equal("names-text: timeout", observed);
    }

    [Fact]
    public async Task InlineClassifierThatThrowsBecomesAClassifierErrorNamingTheException()
    {
        var signals = await ClassifierGuard.RunInline("names-text",
            _ => throw new InvalidOperationException("matcher broke"), TimeSpan.FromSeconds(5), null, CancellationToken.None);

        var failure = Assert.Single(signals);
        Assert.Equal(SignalKinds.ClassifierError, failure.Kind);
        Assert.Equal("InvalidOperationException: matcher broke", failure.Evidence?.Detail);
    }

    [Fact]
    public async Task InlineClassifierThatGoesAsynchronousIsStillCutShortAtItsBudget()
    {
        var started = DateTime.UtcNow;
        var signals = await ClassifierGuard.RunInline("names-text", async t =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
            return (IReadOnlyList<Signal>)[Found];
        }, TimeSpan.FromMilliseconds(50), null, CancellationToken.None);

        Assert.Equal(SignalKinds.ClassifierError, Assert.Single(signals).Kind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the guard waited for the classifier instead of its budget");
    }

    [Fact]
    public async Task CallersCancellationIsNotTurnedIntoASignal()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ClassifierGuard.RunInline("names-text",
            _ => ValueTask.FromResult<IReadOnlyList<Signal>>([Found]), TimeSpan.FromSeconds(5), null, cancelled.Token));
    }
}

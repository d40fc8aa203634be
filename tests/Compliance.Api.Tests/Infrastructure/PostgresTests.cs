namespace Compliance.Api.Tests.Infrastructure;

/// <summary>
/// A test class on the run's Postgres. When each test ends, pass or fail, every host it started is stopped: a host
/// holds its background services (scheduler, followers, sweepers), connection pools and caches, and the tests start
/// dozens. A failed assertion no longer leaves a host running for the rest of the run.
/// </summary>
public abstract class PostgresTests : IAsyncLifetime
{
    private int _mark;

    public Task InitializeAsync()
    {
        _mark = PostgresFixture.Current?.HostsStarted ?? 0;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (PostgresFixture.Current is { } fixture)
        {
            await fixture.StopHostsStartedSinceAsync(_mark);
        }
    }
}

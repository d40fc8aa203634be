using Compliance.Api.Infrastructure;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>The app role's pool prepares statements and skips the session reset unless the operator said otherwise (ADR-031).</summary>
public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void ConnectionStringWithoutTheSettingsGetsPreparedStatementsAndNoReset()
    {
        var settings = new NpgsqlConnectionStringBuilder(DatabaseExtensions.WithHotPathDefaults("Host=db;Username=app;Database=compliance"));

        Assert.Equal(32, settings.MaxAutoPrepare);
        Assert.Equal(2, settings.AutoPrepareMinUsages);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal("db", settings.Host);
    }

    [Fact]
    public void OperatorsExplicitSettingsWin()
    {
        // Behind a transaction-mode pooler prepared statements do not survive; the operator turns them off.
        var settings = new NpgsqlConnectionStringBuilder(
            DatabaseExtensions.WithHotPathDefaults("Host=db;Username=app;Max Auto Prepare=0;No Reset On Close=false"));

        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
    }
}

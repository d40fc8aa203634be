using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Classifiers;
using Compliance.Policies.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests;

/// <summary>
/// Fault injection: extra classifiers registered beside the real one that fail on purpose, to show
/// the gate turns failures and time-outs into blocks that say why.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FailClosedTests(PostgresFixture postgres) : PostgresTests
{
    private sealed class ThrowingClassifier : ITextClassifier
    {
        public string Name => "always-throws";

        public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("model file is corrupt");
    }

    private sealed class HangingClassifier : ITextClassifier
    {
        public string Name => "never-answers";

        public async ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
            return [];
        }
    }

    [Fact]
    public async Task ClassifierErrorBlocksAndSaysWhich()
    {
        var app = await postgres.CreateAppAsync("throws", o => o.Services = s => s.AddSingleton<ITextClassifier, ThrowingClassifier>());
        var world = await app.NewWorldAsync();

        var decision = await world.ScreenAsync("an innocent meadow");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var reason = decision["reasons"]![0]!;
        Assert.Equal("classifier-failure-blocks", reason["rule"]!.GetValue<string>());
        Assert.Equal("always-throws", reason["signal"]!["classifier"]!.GetValue<string>());
        Assert.Contains("model file is corrupt", reason["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ClassifierOverItsBudgetBlocksInsteadOfHanging()
    {
        var app = await postgres.CreateAppAsync("hangs", o =>
        {
            o.Services = s => s.AddSingleton<ITextClassifier, HangingClassifier>();
            o.Settings["Screening:ClassifierBudget"] = "00:00:00.200";
        });
        var world = await app.NewWorldAsync();

        var decision = await world.ScreenAsync("an innocent meadow");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Contains("timed out", decision["reasons"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task UnavailableDecisionLogMeansNoAnswerRatherThanAnUnrecordedOne()
    {
        var app = await postgres.CreateAppAsync("nolog");
        var world = await app.NewWorldAsync();
        await using (var conn = new Npgsql.NpgsqlConnection(app.Database.Owner))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("revoke insert on decisions from compliance_app", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        if (app.Database.App == app.Database.Owner)
        {
            return; // single-role external server: nothing to revoke
        }

        var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "a meadow" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await app.DisposeAsync();
    }
}

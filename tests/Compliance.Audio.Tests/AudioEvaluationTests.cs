using Xunit.Abstractions;

namespace Compliance.Audio.Tests;

/// <summary>Runs the evaluation once for the class; prints the table (see docs/audio.md for the command).</summary>
public sealed class AudioEvaluationFixture
{
    private readonly Lazy<Task<object>> _result = new(async () => await AudioEvaluation.RunAsync(CancellationToken.None));

    internal async Task<AudioEvaluationResult> ResultAsync() => (AudioEvaluationResult)await _result.Value;
}

public sealed class AudioEvaluationTests(AudioEvaluationFixture fixture, ITestOutputHelper output) : IClassFixture<AudioEvaluationFixture>
{
    [Fact]
    public async Task ExcerptsOfTenSecondsOrMoreAreFoundUnderEveryExpectedTransform()
    {
        var result = await fixture.ResultAsync();
        output.WriteLine(result.ToMarkdown());

        Assert.All(result.Transforms.Where(t => t.ExpectedCaught), row =>
            Assert.True(row.Recall >= 0.95, $"{row.Name}: recall {row.Recall:0.000} ({row.Found}/{row.Queries}) is under the 0.95 floor"));
    }

    [Fact]
    public async Task UnrelatedRecordingsSilenceAndNoiseMatchNothingAndNoExcerptMatchesAnotherWork()
    {
        var result = await fixture.ResultAsync();
        output.WriteLine(result.ToMarkdown());

        Assert.True(result.NegativeQueries >= 9);
        Assert.Equal(0, result.NegativeFalseMatches);
        Assert.All(result.Transforms, row => Assert.Equal(0, row.FalseMatches));
        Assert.Empty(result.FalseMatchDetails);
    }
}

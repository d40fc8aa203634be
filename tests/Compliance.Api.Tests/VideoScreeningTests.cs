using System.Net;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class VideoScreeningTests(PostgresFixture postgres) : PostgresTests
{
    private static int LeftoverTempFiles() => Directory.GetFiles(Path.GetTempPath(), "compliance-video-*").Length;

    [Fact]
    public async Task VideoShowingAReferenceIsBlockedWithFrameIndexAndTimestamp()
    {
        await using var app = await postgres.CreateAppAsync("video");
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Bridge Spirit");
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read("bridge-1-original.png"), "bridge.png"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);

        var response = await world.Platform.PostAsync("/v1/screen/video",
            TestImages.Form(TestVideos.PatternThenImage(Path.Combine(TestImages.Folder, "bridge-1-original.png")), "clip.mp4"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decision = await World.Json(response);
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal("video", decision["subject"]!.GetValue<string>());
        var evidence = decision["reasons"]![0]!["signal"]!["evidence"]!;
        Assert.Equal(character, decision["reasons"]![0]!["signal"]!["entity"]!["id"]!.GetValue<Guid>());
        Assert.InRange(evidence["timestampSeconds"]!.GetValue<double>(), 1.9, 4.0);
        Assert.NotNull(evidence["frameIndex"]);
        var media = decision["input"]!["media"]!;
        Assert.InRange(media["framesScreened"]!.GetValue<int>(), 4, 10);
        Assert.InRange(media["durationSeconds"]!.GetValue<double>(), 3.5, 4.5);
        Assert.Equal("video/mp4", media["mediaType"]!.GetValue<string>());
        Assert.Equal(media["durationSeconds"]!.GetValue<double>(), media["secondsCovered"]!.GetValue<double>(), precision: 3);
        Assert.InRange(media["largestGapSeconds"]!.GetValue<double>(), 0.1, 1.0);
        Assert.Empty(media["unscreenedSpans"]!.AsArray());
    }

    [Fact]
    public async Task ADeniedCharacterOnlyInTheLastSecondsOfALongClipIsNotAllowed()
    {
        // 340 s with a frame budget of 60: the schedule must widen to one frame every ~5.7 s to reach the end, where
        // the character is (with the old "stop after the budget" sampling, screening ended at 60 s and this allowed).
        await using var app = await postgres.CreateAppAsync("video_long", o =>
        {
            o.Settings["Video:MaxIntervalFrames"] = "60";
            o.Settings["Screening:ImageClassifierBudget"] = "00:00:30"; // two cores shared by other tests: no time-outs
        });
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Bridge Spirit");
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read("bridge-1-original.png"), "bridge.png"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        await world.GrantAsync(character, new { kind = "deny" });

        var response = await world.Platform.PostAsync("/v1/screen/video",
            TestImages.Form(TestVideos.LongPatternThenImage(Path.Combine(TestImages.Folder, "bridge-1-original.png")), "long.mp4"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decision = await World.Json(response);
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var signals = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).ToList();
        Assert.DoesNotContain(signals, s => s["kind"]!.GetValue<string>() is "classifier_error" or "coverage_incomplete");
        var matches = signals.Where(s => s["entity"]?["id"]?.GetValue<Guid>() == character).ToList();
        Assert.NotEmpty(matches);
        Assert.All(matches, m => Assert.InRange(m["evidence"]!["timestampSeconds"]!.GetValue<double>(), 310, 340));
        var media = decision["input"]!["media"]!;
        Assert.InRange(media["durationSeconds"]!.GetValue<double>(), 339, 341);
        Assert.Equal(media["durationSeconds"]!.GetValue<double>(), media["secondsCovered"]!.GetValue<double>(), precision: 3);
        Assert.InRange(media["framesScreened"]!.GetValue<int>(), 55, 62);
        Assert.InRange(media["largestGapSeconds"]!.GetValue<double>(), 5, 7);
        Assert.Empty(media["unscreenedSpans"]!.AsArray());
    }

    [Fact]
    public async Task AVideoRunningPastTheFrameBudgetGoesToReviewNamingTheUnscreenedSpanAndTheLogKeepsIt()
    {
        // Declares 40 s, runs 60 s: 20 scheduled frames planned over 40 s run out at ~39 s.
        await using var app = await postgres.CreateAppAsync("video_cap", o => o.Settings["Video:MaxIntervalFrames"] = "20");
        var world = await app.NewWorldAsync();

        var response = await world.Platform.PostAsync("/v1/screen/video", TestImages.Form(TestVideos.RunsPastItsDeclaredLength(), "clip.mkv"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decision = await World.Json(response);
        Assert.Equal("review", decision["outcome"]!.GetValue<string>());
        // (The test pattern also shows a tiny "face" that matches nobody; that signal alone would allow.)
        var reason = Assert.Single(decision["reasons"]!.AsArray(), r => r!["signal"]!["kind"]!.GetValue<string>() == "coverage_incomplete")!;
        Assert.Equal("incomplete-video-coverage-review", reason["rule"]!.GetValue<string>());
        Assert.Contains("frame_cap", reason["signal"]!["evidence"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("frame_cap", reason["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // What the platform was told is what the log holds.
        var stored = await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{decision["decisionId"]}"));
        var media = stored["decision"]!["input"]!["media"]!;
        Assert.Equal("video/x-matroska", media["mediaType"]!.GetValue<string>());
        Assert.Equal(20, media["framesScreened"]!.GetValue<int>());
        var span = Assert.Single(media["unscreenedSpans"]!.AsArray())!;
        Assert.Equal("frame_cap", span["reason"]!.GetValue<string>());
        Assert.InRange(span["startSeconds"]!.GetValue<double>(), 37, 40);
        Assert.InRange(span["endSeconds"]!.GetValue<double>(), 59, 60);
        Assert.InRange(media["secondsCovered"]!.GetValue<double>(), 37, 40);
        Assert.InRange(media["largestGapSeconds"]!.GetValue<double>(), 19, 23);
    }

    [Fact]
    public async Task AVideoCutMidStreamIsNeverAllowedAndSaysWhereDecodingStopped()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.Platform.PostAsync("/v1/screen/video", TestImages.Form(TestVideos.CutMidStream(), "cut.mp4"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decision = await World.Json(response);
        Assert.NotEqual("allow", decision["outcome"]!.GetValue<string>());
        var reason = Assert.Single(decision["reasons"]!.AsArray(), r => r!["signal"]!["kind"]!.GetValue<string>() == "coverage_incomplete")!;
        Assert.Contains(reason["rule"]!.GetValue<string>(), new[] { "incomplete-video-coverage-review", "mostly-unscreened-video-blocks" });
        var span = Assert.Single(decision["input"]!["media"]!["unscreenedSpans"]!.AsArray())!;
        Assert.Equal("decoder_error", span["reason"]!.GetValue<string>());
        Assert.InRange(span["startSeconds"]!.GetValue<double>(), 15, 45);
        Assert.Equal(60, span["endSeconds"]!.GetValue<double>(), precision: 1);
        Assert.Contains("decoding stopped at", span["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VideoWithNothingOwnedIsAllowed()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsync("/v1/screen/video", TestImages.Form(TestVideos.Pattern(), "pattern.mp4"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("allow", (await World.Json(response))["outcome"]!.GetValue<string>());
    }

    public static TheoryData<string, byte[], HttpStatusCode> BadVideos() => new()
    {
        { "zero bytes", [], HttpStatusCode.BadRequest },
        { "text", "this is not a video at all, just words"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "png renamed", TestImages.Read("P.png"), HttpStatusCode.UnsupportedMediaType },
        { "truncated mp4", TestVideos.Pattern()[..2000], HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(BadVideos))]
    public async Task BadVideosGetAClearProblemAndLeaveNoTemporaryFiles(string what, byte[] bytes, HttpStatusCode expected)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var before = LeftoverTempFiles();

        var response = await world.Platform.PostAsync("/v1/screen/video", TestImages.Form(bytes, what + ".mp4"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, LeftoverTempFiles());
    }
}

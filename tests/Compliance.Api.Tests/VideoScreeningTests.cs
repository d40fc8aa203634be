using System.Net;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class VideoScreeningTests(PostgresFixture postgres)
{
    private static int LeftoverTempFiles() => Directory.GetFiles(Path.GetTempPath(), "compliance-video-*").Length;

    [Fact]
    public async Task VideoShowingAReferenceIsBlockedWithFrameIndexAndTimestamp()
    {
        var app = await postgres.CreateAppAsync("video");
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
        Assert.InRange(decision["input"]!["media"]!["framesScreened"]!.GetValue<int>(), 4, 10);
        Assert.InRange(decision["input"]!["media"]!["durationSeconds"]!.GetValue<double>(), 3.5, 4.5);
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

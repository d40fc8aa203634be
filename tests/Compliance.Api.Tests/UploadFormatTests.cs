using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Tests.Shared;

namespace Compliance.Api.Tests;

/// <summary>
/// Uploads must not reach the server's own files: what an upload is comes from its bytes, never its name or declared
/// type, and only accepted video containers ever reach ffprobe or ffmpeg. The video tests run the real binaries behind
/// spies that log every command line, so "ffmpeg never opened it" is observed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class UploadFormatTests(PostgresFixture postgres) : PostgresTests
{
    private static MultipartFormDataContent Upload(byte[] bytes, string fileName, string contentType)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", fileName);
        return form;
    }

    [Fact]
    public async Task PlaylistsConcatScriptsAndRenamedImagesGet415WithoutFfmpegEverOpeningThem()
    {
        var spy = TestVideos.NewSpyBinaryFolder();
        await using var app = await postgres.CreateAppAsync("video_formats", o => o.Settings["Video:BinaryFolder"] = spy);
        var world = await app.NewWorldAsync();
        var local = TestVideos.PatternPath(); // a real video on this server, which each probe tries to make ffmpeg read
        var probes = new (string What, byte[] Bytes, string Name, string Type)[]
        {
            ("HLS playlist naming a local file", Encoding.UTF8.GetBytes($"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n{local}\n#EXT-X-ENDLIST\n"), "list.m3u8", "application/vnd.apple.mpegurl"),
            ("ffconcat script naming a local file", Encoding.UTF8.GetBytes($"ffconcat version 1.0\nfile '{local}'\n"), "concat.txt", "text/plain"),
            ("HLS playlist renamed .mp4", Encoding.UTF8.GetBytes($"#EXTM3U\n#EXTINF:3.0,\nfile:{local}\n#EXT-X-ENDLIST\n"), "clip.mp4", "video/mp4"),
            ("PNG renamed .mp4", TestImages.Read("P.png"), "clip.mp4", "video/mp4"),
        };

        foreach (var (what, bytes, name, type) in probes)
        {
            var response = await world.Platform.PostAsync("/v1/screen/video", Upload(bytes, name, type));

            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{what}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Only MP4/MOV/3GP, Matroska/WebM and AVI", (await World.Json(response))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Empty(FfmpegTestTools.SpyCalls(spy));

        // The spies do see a real video, opened with its demuxer forced and only the file protocol allowed.
        var allowed = await world.Platform.PostAsync("/v1/screen/video", Upload(TestVideos.Pattern(), "clip.bin", "application/octet-stream"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var opened = FfmpegTestTools.SpyCalls(spy).Where(c => c.Contains("compliance-video-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["ffprobe", "ffmpeg"], opened.Select(c => c.Split(' ')[0]));
        Assert.All(opened, c => Assert.Contains("-f mov -protocol_whitelist file -enable_drefs 0", c, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnImageIsRecognisedByItsBytesNotItsNameOrDeclaredType()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.Platform.PostAsync("/v1/screen/image",
            Upload(TestImages.Read("bridge-1-original.png"), "holiday.jpg", "image/jpeg"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", (await World.Json(response))["input"]!["media"]!["mediaType"]!.GetValue<string>());
    }

    public static TheoryData<string, byte[]> NotImages() => new()
    {
        { "an HLS playlist named .png", Encoding.UTF8.GetBytes("#EXTM3U\n#EXTINF:1,\n/etc/hostname\n") },
        { "an MP4 video named .png", TestVideos.Pattern() },
        { "an SVG named .png", Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"><image href=\"file:///etc/hostname\"/></svg>") },
    };

    [Theory]
    [MemberData(nameof(NotImages))]
    public async Task BytesThatAreNoAcceptedImageGet415WhateverTheirNameAndType(string what, byte[] bytes)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.Platform.PostAsync("/v1/screen/image", Upload(bytes, "photo.png", "image/png"));

        Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{what}: {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AReferenceImageIsRecognisedByItsBytesNotItsNameOrDeclaredType()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Sniffed Spirit");

        var png = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references",
            Upload(TestImages.Read("bridge-1-original.png"), "bridge.jpg", "image/jpeg"));
        var playlist = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references",
            Upload(Encoding.UTF8.GetBytes("#EXTM3U\n#EXTINF:1,\n/etc/hostname\n"), "bridge.png", "image/png"));

        Assert.Equal(HttpStatusCode.Created, png.StatusCode);
        Assert.Equal("image/png", (await World.Json(png))["mediaType"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, playlist.StatusCode);
    }

    [Fact]
    public async Task OutOfRangeVideoSettingsStopStartUpNamingTheSetting()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("video_options", o =>
        {
            o.Settings["Video:MaxIntervalFrames"] = "0";
            o.Settings["Video:MaxFileBytes"] = "0";
        }));

        var validation = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(failure.GetBaseException());
        Assert.Contains(validation.Failures, f => f.StartsWith("Video:MaxIntervalFrames:", StringComparison.Ordinal));
        Assert.Contains(validation.Failures, f => f.StartsWith("Video:MaxFileBytes:", StringComparison.Ordinal));
    }
}

using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Screening;
using Compliance.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests;

/// <summary>
/// Image decoding is admitted a few at a time (ImageDecoding:MaxConcurrent), a bounded number wait, and the rest are
/// told 503 with Retry-After: memory stays bounded however many uploads arrive at once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DecodeCapacityTests(PostgresFixture postgres) : PostgresTests
{
    private static Task<ComplianceApp> AppAsync(PostgresFixture postgres, string name, int queue) =>
        postgres.CreateAppAsync(name, o =>
        {
            o.Settings["ImageDecoding:MaxConcurrent"] = "1";
            o.Settings["ImageDecoding:QueueLimit"] = queue.ToString(System.Globalization.CultureInfo.InvariantCulture);
            o.Settings["ImageDecoding:RetryAfter"] = "00:00:07";
        });

    [Fact]
    public async Task UploadsBeyondTheQueueAre503WithRetryAfterOnEveryDecodingEndpoint()
    {
        var app = await AppAsync(postgres, "decodefull", queue: 0);
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Busy");
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Busy Owner" })))["id"]!.GetValue<Guid>();
        var owner = app.ClientWithKey(await app.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));
        var image = TestImages.Read("bridge-1-original.png");
        var gate = app.Services.GetRequiredService<DecodeGate>();

        using (await gate.EnterAsync(CancellationToken.None))
        {
            foreach (var (client, path) in new[] { (world.Platform, "/v1/screen/image"), (world.RightsHolder, $"/v1/characters/{character}/references"), (owner, "/v1/likeness/enrolments") })
            {
                var busy = await client.PostAsync(path, TestImages.Form(image, "bridge.png"));

                Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
                Assert.Equal("application/problem+json", busy.Content.Headers.ContentType?.MediaType);
                Assert.Equal(TimeSpan.FromSeconds(7), busy.Headers.RetryAfter?.Delta);
            }
        }

        var screened = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(image, "bridge.png"));
        Assert.Equal(HttpStatusCode.OK, screened.StatusCode);
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        var turnedAway = metrics.Split('\n').Single(l => l.StartsWith("compliance_image_decode_turned_away_total", StringComparison.Ordinal));
        Assert.Equal("3", turnedAway.Split(' ')[1]);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AQueuedUploadWaitsForAFreeSlotWhileOneMoreIsTurnedAway()
    {
        var app = await AppAsync(postgres, "decodequeue", queue: 1);
        var world = await app.NewWorldAsync();
        var image = TestImages.Read("bridge-1-original.png");
        var gate = app.Services.GetRequiredService<DecodeGate>();

        var slot = await gate.EnterAsync(CancellationToken.None);
        var queued = world.Platform.PostAsync("/v1/screen/image", TestImages.Form(image, "queued.png"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (gate.Statistics?.CurrentQueuedCount != 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, gate.Statistics?.CurrentQueuedCount);
        var turnedAway = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(image, "extra.png"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, turnedAway.StatusCode);
        Assert.False(queued.IsCompleted);

        slot.Dispose();

        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ImpossibleDecodeSettingsStopStartUpNamingTheSetting()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("decodebad", o => o.Settings["ImageDecoding:MaxConcurrent"] = "0"));

        Assert.Contains("ImageDecoding:MaxConcurrent", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VideoScreeningAndReferenceAudioWaitForAMediaSlotAndBeyondTheQueueAre503()
    {
        // Both start processes (ffmpeg/fpcalc, ffprobe/fpcalc) that can hold a GiB each for minutes: a node runs
        // MediaProcessing:MaxConcurrent of them, queues QueueLimit, and answers the rest 503 with Retry-After.
        var app = await postgres.CreateAppAsync("mediabusy", o =>
        {
            o.Settings["MediaProcessing:MaxConcurrent"] = "1";
            o.Settings["MediaProcessing:QueueLimit"] = "1";
            o.Settings["MediaProcessing:RetryAfter"] = "00:00:09";
        });
        var world = await app.NewWorldAsync();
        var recording = (await World.Json(await world.RightsHolder.PostAsJsonAsync("/v1/recordings", new { title = "Queued Song", artist = "XBlast" })))["id"]!.GetValue<Guid>();
        var video = TestAudio.VideoWithSoundtrack("xblast-song1.wav", 10, 4);
        var audio = File.ReadAllBytes(TestAudio.Recording("xblast-song6.wav"));
        var gate = app.Services.GetRequiredService<MediaProcessGate>();

        var slot = await gate.EnterAsync(CancellationToken.None);
        var queued = world.Platform.PostAsync("/v1/screen/video", TestImages.Form(video, "queued.mp4"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (gate.Statistics?.CurrentQueuedCount != 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, gate.Statistics?.CurrentQueuedCount);
        foreach (var (client, path, body) in new[]
                 {
                     (world.Platform, "/v1/screen/video", TestImages.Form(video, "clip.mp4")),
                     (world.RightsHolder, $"/v1/recordings/{recording}/references", TestImages.Form(audio, "song.wav")),
                 })
        {
            var busy = await client.PostAsync(path, body);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal("application/problem+json", busy.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(9), busy.Headers.RetryAfter?.Delta);
        }

        Assert.False(queued.IsCompleted);
        slot.Dispose();

        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await world.RightsHolder.PostAsync($"/v1/recordings/{recording}/references", TestImages.Form(audio, "song.wav"))).StatusCode);
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        Assert.Equal("2", metrics.Split('\n').Single(l => l.StartsWith("compliance_media_process_turned_away_total", StringComparison.Ordinal)).Split(' ')[1]);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task BadMediaProcessingSettingsStopStartUpNamingTheSetting()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("mediabad", o => o.Settings["MediaProcessing:MaxConcurrent"] = "0"));
        Assert.Contains("MediaProcessing:MaxConcurrent must be at least 1", failure.ToString(), StringComparison.Ordinal);
    }
}

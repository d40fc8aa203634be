using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Compliance.Api.Recordings;
using Compliance.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests;

/// <summary>
/// Issue 13, host half: rights holders' recordings and reference fingerprints, the soundtrack screened by the one frame
/// gate (uploaded and generated videos alike), grants deciding as for characters, usage for allowed recordings, and the
/// walls and bad input of the reference upload. Real PostgreSQL, real ffmpeg and fpcalc, real recordings from Debian
/// packages (scripts/test-audio.sh). Each test that matches audio has its own app, so no other test's references are heard.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RecordingTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task DeniedRecordingInAnUploadedSoundtrackBlocksWithItsSpanInVideoAndReference()
    {
        await using var app = await postgres.CreateAppAsync("rec_deny");
        var world = await app.NewWorldAsync();
        var recording = await RegisterAsync(world, "Song One", "xblast-song1.wav");
        await GrantRecordingAsync(world, recording, new { kind = "deny" });

        // 12 s of the song from 10 s into it, re-encoded as AAC under moving pictures nobody owns.
        var decision = await ScreenVideoAsync(world, TestAudio.VideoWithSoundtrack("xblast-song1.wav", 10, 12), "clip.mp4");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var reason = decision["reasons"]!.AsArray().Single(r => r!["rule"]!.GetValue<string>() == "denied-recording-blocks")!;
        var signal = reason["signal"]!;
        Assert.Equal("licensed_recording", signal["kind"]!.GetValue<string>());
        Assert.Equal("audio-fingerprint", signal["classifier"]!.GetValue<string>());
        Assert.Equal(recording, signal["entity"]!["id"]!.GetValue<Guid>());
        Assert.Equal("recording", signal["entity"]!["type"]!.GetValue<string>());
        Assert.True(signal["score"]!.GetValue<double>() >= 0.65, $"score {signal["score"]}");
        var evidence = signal["evidence"]!;
        Assert.InRange(evidence["timestampSeconds"]!.GetValue<double>(), 0, 2);
        Assert.InRange(evidence["endSeconds"]!.GetValue<double>(), 9, 12.5);
        Assert.InRange(evidence["referenceStartSeconds"]!.GetValue<double>(), 9, 12);
        Assert.InRange(evidence["referenceEndSeconds"]!.GetValue<double>(), 19, 22.5);
        Assert.NotNull(evidence["referenceId"]);
        var soundtrack = decision["input"]!["media"]!["soundtrack"]!;
        Assert.Equal("screened", soundtrack["status"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{64}$", soundtrack["fingerprintSha256"]!.GetValue<string>());
        var match = Assert.Single(soundtrack["matches"]!.AsArray())!;
        Assert.StartsWith("Song One ", match["title"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(recording, match["recordingId"]!.GetValue<Guid>());

        // The auditor opens the same evidence from the log.
        var opened = await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{decision["decisionId"]}"));
        Assert.Contains(opened["decision"]!["reasons"]!.AsArray(), r => r!["signal"]?["kind"]?.GetValue<string>() == "licensed_recording");
    }

    [Fact]
    public async Task AllowedRecordingIsAllowedAndNothingElseInTheVideoIsHeard()
    {
        await using var app = await postgres.CreateAppAsync("rec_allow");
        var world = await app.NewWorldAsync();
        var recording = await RegisterAsync(world, "Song Two", "xblast-song2.wav");
        await GrantRecordingAsync(world, recording, new { kind = "allow", attributionRequired = true });

        var decision = await ScreenVideoAsync(world, TestAudio.VideoWithSoundtrack("xblast-song2.wav", 5, 12), "clip.mp4");

        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Equal("licensed-recording-allows", decision["reasons"]![0]!["rule"]!.GetValue<string>());
        var obligation = Assert.Single(decision["obligations"]!.AsArray())!;
        Assert.Equal("attribution", obligation["type"]!.GetValue<string>());
        Assert.Equal(recording, obligation["entity"]!["id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task AVideoWithoutAnAudioTrackIsRecordedAsSilentAndAllowed()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();

        var decision = await ScreenVideoAsync(world, TestVideos.Pattern(), "silent.mp4");

        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        var soundtrack = decision["input"]!["media"]!["soundtrack"]!;
        Assert.Equal("none", soundtrack["status"]!.GetValue<string>());
        Assert.Contains("no audio track", soundtrack["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UndecodableAudioIsACoverageGapThatIsNeverAllowed()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();

        // The pictures are the test pattern (nothing anyone owns): only the soundtrack stands between this and allow.
        var decision = await ScreenVideoAsync(world, TestAudio.VideoWithUndecodableSoundtrack("xblast-song4.wav"), "broken-audio.mkv");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var reason = Assert.Single(decision["reasons"]!.AsArray())!;
        Assert.Equal("unscreened-soundtrack-blocks", reason["rule"]!.GetValue<string>());
        Assert.Equal("coverage_incomplete", reason["signal"]!["kind"]!.GetValue<string>());
        Assert.Equal("unscreened", decision["input"]!["media"]!["soundtrack"]!["status"]!.GetValue<string>());
        Assert.StartsWith("corrupt", decision["input"]!["media"]!["soundtrack"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVideoWithASecondAudioTrackIsNotHalfHeard()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();

        var decision = await ScreenVideoAsync(world, TestAudio.VideoWithTwoSoundtracks("xblast-song4.wav"), "two-tracks.mkv");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal("unscreened-soundtrack-blocks", Assert.Single(decision["reasons"]!.AsArray())!["rule"]!.GetValue<string>());
        Assert.StartsWith("multiple_audio_streams", decision["input"]!["media"]!["soundtrack"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerationWhosePromptPassesIsBlockedForItsDeniedSoundtrack()
    {
        await using var app = await postgres.CreateAppAsync("rec_gen_deny");
        var world = await app.NewWorldAsync();
        var recording = await RegisterAsync(world, "Song Three", "xblast-song3.wav");
        await GrantRecordingAsync(world, recording, new { kind = "deny" });

        var body = GenerationJobs.Small("A paper boat drifts down a rainy street");
        body["durationSeconds"] = 10;
        body["soundtrack"] = "xblast-song3";
        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id, TimeSpan.FromSeconds(180));

        Assert.Equal("blocked", GenerationJobs.State(job));
        var prompt = await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{job["decisions"]!["prompt"]}"));
        Assert.Equal("allow", prompt["decision"]!["outcome"]!.GetValue<string>());
        var frames = await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{job["decisions"]!["frames"]}"));
        Assert.Equal("block", frames["decision"]!["outcome"]!.GetValue<string>());
        var heard = frames["decision"]!["reasons"]!.AsArray().Single(r => r!["signal"]?["kind"]?.GetValue<string>() == "licensed_recording")!;
        Assert.Equal(recording, heard["signal"]!["entity"]!["id"]!.GetValue<Guid>());
        Assert.Equal("denied-recording-blocks", heard["rule"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await world.Platform.GetAsync($"/v1/generations/{id}/content")).StatusCode);
    }

    [Fact]
    public async Task GenerationWithARevenueShareSoundtrackIsReleasedAndRecordsUsageForTheRecording()
    {
        await using var app = await postgres.CreateAppAsync("rec_gen_usage");
        var world = await app.NewWorldAsync();
        var recording = await RegisterAsync(world, "Song Five", "xblast-song5.wav");
        await GrantRecordingAsync(world, recording, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 700 });

        var body = GenerationJobs.Small("A lighthouse blinks over a calm sea");
        body["durationSeconds"] = 10;
        body["soundtrack"] = "xblast-song5";
        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id, TimeSpan.FromSeconds(180));

        Assert.Equal("released", GenerationJobs.State(job));
        var usage = (await JsonArray(await world.RightsHolder.GetAsync("/v1/usage")));
        var recorded = Assert.Single(usage, u => u!["generationId"]!.GetValue<Guid>() == id)!;
        Assert.Equal(recording, recorded["characterId"]!.GetValue<Guid>());
        Assert.Equal("recording", recorded["workType"]!.GetValue<string>());
        Assert.Equal(700, recorded["revenueShareBps"]!.GetValue<int>());
        Assert.InRange(recorded["secondsOnScreen"]!.GetValue<double>(), 5, 10);
        // The released file carries the soundtrack the gate heard.
        var content = await world.Platform.GetAsync($"/v1/generations/{id}/content");
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
    }

    [Fact]
    public async Task AnUnknownSoundtrackNameIsRefusedWithTheNamesOnOffer()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var body = GenerationJobs.Small("A quiet forest");

        foreach (var name in new[] { "no-such-song", "../../etc/passwd", "xblast-song1.wav" })
        {
            body["soundtrack"] = name;
            var response = await GenerationJobs.PostAsync(world.Platform, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("xblast-song1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PlatformsCannotRegisterRecordingsAndHoldersCannotTouchEachOthers()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.PostAsJsonAsync("/v1/recordings", new { title = "Not Mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Auditor.PostAsJsonAsync("/v1/recordings", new { title = "Not Mine" })).StatusCode);
        var recording = await CreateRecordingAsync(world, "Walled Song");

        // Another holder: cannot see it, upload references to it, list them, or grant it.
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherRightsHolder.GetAsync($"/v1/recordings/{recording}")).StatusCode);
        var upload = await world.OtherRightsHolder.PostAsync($"/v1/recordings/{recording}/references",
            TestImages.Form(File.ReadAllBytes(TestAudio.Recording("xblast-song6.wav")), "song.wav"));
        Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherRightsHolder.GetAsync($"/v1/recordings/{recording}/references")).StatusCode);
        var grant = await world.OtherRightsHolder.PostAsJsonAsync("/v1/grants", new { recordingId = recording, tenantId = world.TenantId, kind = "allow" });
        Assert.Equal(HttpStatusCode.NotFound, grant.StatusCode);
        Assert.DoesNotContain((await JsonArray(await world.OtherRightsHolder.GetAsync("/v1/recordings"))), r => r!["id"]!.GetValue<Guid>() == recording);
        // A platform cannot upload references either.
        var byPlatform = await world.Platform.PostAsync($"/v1/recordings/{recording}/references",
            TestImages.Form(File.ReadAllBytes(TestAudio.Recording("xblast-song6.wav")), "song.wav"));
        Assert.Equal(HttpStatusCode.Forbidden, byPlatform.StatusCode);
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from recording_fingerprints where recording_id = @id", new { id = recording }));
    }

    [Fact]
    public async Task ACorrectedTitleNamesTheRecordingInMatchesOnEveryNodeAndOnlyItsHolderMayCorrectIt()
    {
        await using var app = await postgres.CreateAppAsync("rec_rename");
        var world = await app.NewWorldAsync();
        var recording = await RegisterAsync(world, "Sogn Three", "xblast-song3.wav");
        await GrantRecordingAsync(world, recording, new { kind = "deny" });
        await using var second = await postgres.CreateAppOnAsync(app.Database);
        var bank = second.Services.GetRequiredService<RecordingBankIndex>();
        await bank.RefreshAsync();

        // The walls: another holder and a platform cannot correct it; bad bodies are 400s.
        var fix = new { title = "Song Three", artist = "XBlast Orchestra", isrc = "GB-AYE-05-00012" };
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherRightsHolder.PutAsJsonAsync($"/v1/recordings/{recording}", fix)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.PutAsJsonAsync($"/v1/recordings/{recording}", fix)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.RightsHolder.PutAsJsonAsync($"/v1/recordings/{Guid.NewGuid()}", fix)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.RightsHolder.PutAsJsonAsync($"/v1/recordings/{recording}", new { title = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.RightsHolder.PutAsJsonAsync($"/v1/recordings/{recording}", new { title = "Song", isrc = "not-an-isrc" })).StatusCode);

        var corrected = await world.RightsHolder.PutAsJsonAsync($"/v1/recordings/{recording}", fix);
        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
        var view = await World.Json(corrected);
        Assert.Equal("Song Three", view["title"]!.GetValue<string>());
        Assert.Equal("GBAYE0500012", view["isrc"]!.GetValue<string>());
        var other = await world.RightsHolder.PostAsJsonAsync("/v1/recordings", new { title = "Another", isrc = "GBAYE0500012" });
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);

        // The other node names it by its new title after its next refresh (the follower's, on the catalog notification);
        // the grant (by id) still decides.
        await bank.RefreshAsync();
        var platform = second.ClientWithKey(await second.CreateKeyAsync("platform", world.TenantId));
        var response = await platform.PostAsync("/v1/screen/video", TestImages.Form(TestAudio.VideoWithSoundtrack("xblast-song3.wav", 5, 12), "clip.mp4"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var decision = await World.Json(response);
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var match = Assert.Single(decision["input"]!["media"]!["soundtrack"]!["matches"]!.AsArray())!;
        Assert.Equal("Song Three", match["title"]!.GetValue<string>());
        var signal = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).Single(s => s["kind"]!.GetValue<string>() == "licensed_recording");
        Assert.Equal("Song Three", signal["entity"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task RecordingsAndCharactersStayApart()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var recording = await CreateRecordingAsync(world, "Apart Song");

        // Not a character: not listed with them, not given reference images, not found by name in a prompt.
        Assert.DoesNotContain((await JsonArray(await world.RightsHolder.GetAsync("/v1/characters"))), c => c!["id"]!.GetValue<Guid>() == recording);
        Assert.Equal(HttpStatusCode.NotFound, (await world.RightsHolder.GetAsync($"/v1/characters/{recording}")).StatusCode);
        var image = await world.RightsHolder.PostAsync($"/v1/characters/{recording}/references", TestImages.Form(TestImages.Read("bridge-1-original.png"), "b.png"));
        Assert.Equal(HttpStatusCode.NotFound, image.StatusCode);
        var title = (await World.Json(await world.RightsHolder.GetAsync($"/v1/recordings/{recording}")))["title"]!.GetValue<string>();
        Assert.Equal("allow", (await world.ScreenAsync($"We hum {title} on the way home"))["outcome"]!.GetValue<string>());
        // ... and a character id is not a recording.
        var (character, _) = await world.CharacterAsync("Not A Song");
        Assert.Equal(HttpStatusCode.NotFound, (await world.RightsHolder.GetAsync($"/v1/recordings/{character}")).StatusCode);
        var grant = await world.RightsHolder.PostAsJsonAsync("/v1/grants", new { recordingId = character, tenantId = world.TenantId, kind = "deny" });
        Assert.Equal(HttpStatusCode.NotFound, grant.StatusCode);
    }

    [Fact]
    public async Task IsrcIsValidatedAndOwnedOnce()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var isrc = $"QZ-K{Random.Shared.Next(10, 99)}-26-{Random.Shared.Next(10000, 99999)}";

        var bad = await world.RightsHolder.PostAsJsonAsync("/v1/recordings", new { title = "Bad Code", isrc = "NOT-AN-ISRC" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var created = await world.RightsHolder.PostAsJsonAsync("/v1/recordings", new { title = "Coded Song " + Guid.NewGuid().ToString("N")[..6], artist = "The Testers", isrc });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(isrc.Replace("-", "", StringComparison.Ordinal), (await World.Json(created))["isrc"]!.GetValue<string>());
        var again = await world.OtherRightsHolder.PostAsJsonAsync("/v1/recordings", new { title = "Same Code", isrc = isrc.ToLowerInvariant() });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var both = await world.RightsHolder.PostAsJsonAsync("/v1/grants", new { characterId = Guid.NewGuid(), recordingId = Guid.NewGuid(), tenantId = world.TenantId, kind = "deny" });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
    }

    [Fact]
    public async Task ReferenceUploadKeepsOnlyTheFingerprintAndRefusesTheSameAudioTwice()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var recording = await CreateRecordingAsync(world, "Kept Song");
        var bytes = File.ReadAllBytes(TestAudio.Recording("xblast-song6.wav"));

        var first = await world.RightsHolder.PostAsync($"/v1/recordings/{recording}/references", TestImages.Form(bytes, "upload.bin"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var reference = await World.Json(first);
        Assert.Matches("^[0-9a-f]{64}$", reference["fingerprintSha256"]!.GetValue<string>());
        Assert.True(reference["subFingerprints"]!.GetValue<int>() > 100);
        var again = await world.RightsHolder.PostAsync($"/v1/recordings/{recording}/references", TestImages.Form(bytes, "again.wav"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // The audio itself is nowhere: not in the database (the row is the fingerprint's size), not in the blob store.
        var stored = await GenerationJobs.ScalarAsync<int>(app, "select length(fingerprint) from recording_fingerprints where recording_id = @id", new { id = recording });
        Assert.Equal(reference["subFingerprints"]!.GetValue<int>() * 4, stored);
        Assert.True(stored < bytes.Length / 50, $"{stored} bytes kept of a {bytes.Length}-byte upload");
        Assert.False(Directory.Exists(ComplianceApp.DataRoot) && Directory.EnumerateFiles(ComplianceApp.DataRoot, "*", SearchOption.AllDirectories)
            .Any(f => new FileInfo(f).Length == bytes.Length), "the audio was kept in the data folder");

        Assert.Equal(HttpStatusCode.NoContent, (await world.RightsHolder.DeleteAsync($"/v1/recordings/{recording}/references/{reference["id"]}")).StatusCode);
        Assert.Empty((await JsonArray(await world.RightsHolder.GetAsync($"/v1/recordings/{recording}/references"))));
    }

    public static TheoryData<string, HttpStatusCode> BadReferences() => new()
    {
        { "png", HttpStatusCode.UnsupportedMediaType },
        { "text", HttpStatusCode.UnsupportedMediaType },
        { "zero-length", HttpStatusCode.BadRequest },
        { "two-hours", HttpStatusCode.UnprocessableEntity },
        { "300-channels", HttpStatusCode.UnprocessableEntity },
        { "hls-playlist", HttpStatusCode.UnsupportedMediaType },
        { "ffconcat", HttpStatusCode.UnsupportedMediaType },
        { "truncated-mp4", HttpStatusCode.UnprocessableEntity },
        { "too-short", HttpStatusCode.UnprocessableEntity },
    };

    [Theory]
    [MemberData(nameof(BadReferences))]
    public async Task BadReferenceAudioIsAClearProblemAndNothingIsStored(string what, HttpStatusCode expected)
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var recording = await CreateRecordingAsync(world, "Guarded Song");
        // A real audio file on the server's own disk: a playlist or concat script naming it must not get it read.
        var local = TestAudio.Recording("xblast-song6.wav");
        var bytes = what switch
        {
            "png" => TestImages.Read("bridge-1-original.png"),
            "text" => Encoding.UTF8.GetBytes("this is a song, honestly"),
            "zero-length" => [],
            "two-hours" => TestAudio.TwoHoursOfSilence(),
            "300-channels" => TestAudio.WavWithChannels(300),
            "hls-playlist" => Encoding.UTF8.GetBytes($"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:60,\n{local}\n#EXT-X-ENDLIST\n"),
            "ffconcat" => Encoding.UTF8.GetBytes($"ffconcat version 1.0\nfile '{local}'\n"),
            "truncated-mp4" => TestAudio.VideoWithSoundtrack("xblast-song6.wav", 0, 20)[..4000],
            "too-short" => TestAudio.WavWithChannels(1),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        var started = DateTime.UtcNow;
        var response = await world.RightsHolder.PostAsync($"/v1/recordings/{recording}/references", TestImages.Form(bytes, "song.wav"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await World.Json(response);
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.GetValue<string>()));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), $"{what} took {DateTime.UtcNow - started}");
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from recording_fingerprints where recording_id = @id", new { id = recording }));
    }

    private static async Task<JsonArray> JsonArray(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    private static async Task<Guid> CreateRecordingAsync(World world, string title)
    {
        var response = await world.RightsHolder.PostAsJsonAsync("/v1/recordings", new { title = $"{title} {Guid.NewGuid().ToString("N")[..6]}", artist = "XBlast" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await World.Json(response))["id"]!.GetValue<Guid>();
    }

    /// <summary>Registers a recording and uploads the whole test recording as its reference.</summary>
    private static async Task<Guid> RegisterAsync(World world, string title, string file)
    {
        var recording = await CreateRecordingAsync(world, title);
        var upload = await world.RightsHolder.PostAsync($"/v1/recordings/{recording}/references",
            TestImages.Form(File.ReadAllBytes(TestAudio.Recording(file)), Path.GetFileName(file)));
        Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        return recording;
    }

    private static async Task GrantRecordingAsync(World world, Guid recording, object terms)
    {
        var body = System.Text.Json.JsonSerializer.SerializeToNode(terms)!.AsObject();
        body["recordingId"] = recording;
        body["tenantId"] = world.TenantId;
        var response = await world.RightsHolder.PostAsJsonAsync("/v1/grants", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var grant = await World.Json(response);
        Assert.Equal(recording, grant["recordingId"]!.GetValue<Guid>());
        Assert.Equal("recording", grant["workType"]!.GetValue<string>());
    }

    private static async Task<JsonObject> ScreenVideoAsync(World world, byte[] video, string name)
    {
        var response = await world.Platform.PostAsync("/v1/screen/video", TestImages.Form(video, name));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await World.Json(response);
    }
}

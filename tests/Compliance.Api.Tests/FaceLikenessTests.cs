using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Faces;
using Compliance.Imaging.Decoding;
using Compliance.Storage.Blobs;
using Compliance.Storage.Local;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SkiaSharp;

namespace Compliance.Api.Tests;

/// <summary>
/// Faces, end to end, on real photographs (public-domain portraits from Debian packages, fetched by
/// scripts/face-test-images.sh) and the real face models (scripts/face-models.sh).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FaceLikenessTests(PostgresFixture postgres) : PostgresTests
{
    private static readonly string Faces = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "test-images", "faces");

    private static byte[] Photo(string name)
    {
        var path = Path.Combine(Faces, name);
        return File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"{path} is missing: run scripts/face-test-images.sh (scripts/test.sh does).", path);
    }

    /// <summary>A different copy of the same photo: 70% size, re-encoded as JPEG at quality 50.</summary>
    private static byte[] Reencoded(string name)
    {
        using var original = SKBitmap.Decode(Photo(name));
        using var smaller = original.Resize(new SKImageInfo(original.Width * 7 / 10, original.Height * 7 / 10), SKSamplingOptions.Default);
        using var image = SKImage.FromBitmap(smaller);
        return image.Encode(SKEncodedImageFormat.Jpeg, 50).ToArray();
    }

    private static async Task<(World World, Guid Profile, HttpClient Owner)> EnrolledAsync(ComplianceApp app)
    {
        var world = await app.NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Eileen Test" })))["id"]!.GetValue<Guid>();
        var owner = app.ClientWithKey(await app.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));
        var enrol = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(Photo("astronaut.png"), "me.png"));
        Assert.Equal(HttpStatusCode.Created, enrol.StatusCode);
        return (world, profile, owner);
    }

    private static async Task<JsonObject> ScreenAsync(World world, byte[] image, string account = "viewer-1")
    {
        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(image, "frame.jpg", ("account", account)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await World.Json(response);
    }

    [Fact]
    public async Task EnrolledFaceInAnotherCopyIsBlockedWithoutConsentWithBoxSpoofAndModels()
    {
        var app = await postgres.CreateAppAsync("faces");
        var (world, profile, _) = await EnrolledAsync(app);

        var decision = await ScreenAsync(world, Reencoded("astronaut.png"));

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var reason = decision["reasons"]!.AsArray().First(r => r!["signal"]!["kind"]!.GetValue<string>() == "likeness")!;
        Assert.Equal("likeness-without-consent-blocks", reason["rule"]!.GetValue<string>());
        var signal = reason["signal"]!;
        Assert.Equal(profile, signal["entity"]!["id"]!.GetValue<Guid>());
        Assert.InRange(signal["evidence"]!["similarity"]!.GetValue<double>(), 0.5, 1.0);
        Assert.Equal(4, signal["evidence"]!["faceBox"]!.AsArray().Count);
        Assert.NotNull(signal["evidence"]!["spoofScore"]);
        var models = signal["modelVersion"]!.GetValue<string>();
        Assert.Contains("fr_detect@", models, StringComparison.Ordinal);
        Assert.Contains("fr_feature@", models, StringComparison.Ordinal);
        Assert.Contains("deepfake:not-configured", models, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AFaceEnrolledByAnotherModelVersionIsEmbeddedAgainFromItsPhotoOnceAndRecorded()
    {
        // An enrolment row written under an older face-model version (ADR-038 changed how the models' inputs are drawn,
        // ADR-043 versions that): its photo is the astronaut, its stored embedding another person's. A node must not
        // compare the stored vector (the astronaut would pass unmatched) but analyse the stored photo again, record the
        // result, and a later node must read the record rather than the photo.
        var app = await postgres.CreateAppAsync("facereembed");
        var (world, profile, owner) = await EnrolledAsync(app);
        var pipeline = app.Services.GetRequiredService<FacePipeline>();
        var decoder = app.Services.GetRequiredService<SafeImageDecoder>();
        var other = Assert.Single(pipeline.Analyze(decoder.Decode(Photo("grace_hopper.jpg")))).EmbeddingCopy();
        var oldVersion = pipeline.Version.Replace(" " + FacePipeline.InputRecipe, "", StringComparison.Ordinal);
        Assert.NotEqual(pipeline.Version, oldVersion);
        var enrolled = Assert.Single((await owner.GetFromJsonAsync<List<Dictionary<string, object>>>("/v1/likeness/enrolments"))!);
        Assert.Equal(pipeline.Version, enrolled["modelVersion"].ToString());
        var stale = Guid.NewGuid();
        var db = app.Services.GetRequiredService<NpgsqlDataSource>();
        string blob;
        await using (var conn = await db.OpenConnectionAsync())
        {
            blob = await conn.QuerySingleAsync<string>(
                """
                insert into likeness_enrolments (public_id, profile_id, blob_sha256, face_box, detection_score, sharpness, spoof_score, embedding, model_version)
                select @stale, profile_id, blob_sha256, face_box, detection_score, sharpness, spoof_score, @other, @oldVersion
                from likeness_enrolments where public_id = @enrolled
                returning blob_sha256
                """,
                new { stale, other, oldVersion, enrolled = Guid.Parse(enrolled["id"].ToString()!) });
        }

        // Only the stale row is left to match; another node starting on the database loads the bank from scratch.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/likeness/enrolments/{enrolled["id"]}")).StatusCode);
        await using (var second = await postgres.CreateAppOnAsync(app.Database))
        {
            var platform = second.ClientWithKey(await second.CreateKeyAsync("platform", world.TenantId));
            var decision = await World.Json(await platform.PostAsync("/v1/screen/image", TestImages.Form(Reencoded("astronaut.png"), "frame.jpg")));
            Assert.Equal("block", decision["outcome"]!.GetValue<string>());
            var signal = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).First(s => s["kind"]!.GetValue<string>() == "likeness");
            Assert.Equal(profile, signal["entity"]!["id"]!.GetValue<Guid>());
            Assert.Contains(" " + FacePipeline.InputRecipe + " ", signal["modelVersion"]!.GetValue<string>(), StringComparison.Ordinal);
            // Grace Hopper's vector is what the row holds; she is not matched, because it is not what the node compares.
            Assert.Equal("allow", (await World.Json(await platform.PostAsync("/v1/screen/image", TestImages.Form(Photo("grace_hopper.jpg"), "frame.jpg"))))["outcome"]!.GetValue<string>());
        }

        await using (var conn = await db.OpenConnectionAsync())
        {
            var recorded = await conn.QuerySingleAsync<(string Version, float[] Embedding)>(
                "select r.model_version, r.embedding from enrolment_embeddings_recomputed r join likeness_enrolments e on e.id = r.enrolment_id where e.public_id = @stale",
                new { stale });
            Assert.Equal(pipeline.Version, recorded.Version);
            var own = Assert.Single(pipeline.Analyze(decoder.Decode(Photo("astronaut.png")))).EmbeddingCopy();
            Assert.InRange(recorded.Embedding.Zip(own, (a, b) => a * b).Sum(), 0.999, 1.001);
            await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("update enrolment_embeddings_recomputed set embedding = @other", new { other }));
            await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("delete from enrolment_embeddings_recomputed"));
        }

        // With the photo gone, a third node still protects the astronaut: it reads the recorded vector.
        var store = app.Services.GetRequiredService<LocalBlobStore>();
        Assert.Equal(BlobDeletion.Deleted, store.DeleteIfUntouchedSince(blob, DateTime.UtcNow.AddMinutes(1)));
        await using (var third = await postgres.CreateAppOnAsync(app.Database))
        {
            var platform = third.ClientWithKey(await third.CreateKeyAsync("platform", world.TenantId));
            Assert.Equal("block", (await World.Json(await platform.PostAsync("/v1/screen/image", TestImages.Form(Reencoded("astronaut.png"), "frame.jpg"))))["outcome"]!.GetValue<string>());
        }

        await app.DisposeAsync();
    }

    [Fact]
    public async Task ConsentAllowsAndRevocationBlocksTheNextRequest()
    {
        var app = await postgres.CreateAppAsync("faceconsent");
        var (world, _, owner) = await EnrolledAsync(app);
        await owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "tenant", allowedTenants = new[] { world.TenantId } });
        Assert.Equal("allow", (await ScreenAsync(world, Reencoded("astronaut.png")))["outcome"]!.GetValue<string>());

        await owner.PostAsJsonAsync("/v1/likeness/consent/revoke", new { reason = "no more" });

        Assert.Equal("block", (await ScreenAsync(world, Reencoded("astronaut.png")))["outcome"]!.GetValue<string>());
        var mine = await World.Json(await owner.GetAsync("/v1/likeness/decisions"));
        Assert.Equal(2, mine["items"]!.AsArray().Count);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ADifferentPersonIsNotMatchedButTheirFaceIsRecorded()
    {
        var app = await postgres.CreateAppAsync("otherface");
        var (world, _, _) = await EnrolledAsync(app);

        var decision = await ScreenAsync(world, Photo("grace_hopper.jpg"));

        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        var reason = Assert.Single(decision["reasons"]!.AsArray())!;
        Assert.Equal("unmatched-face-allows", reason["rule"]!.GetValue<string>());
        Assert.Equal("face_detected", reason["signal"]!["kind"]!.GetValue<string>());
        Assert.NotNull(reason["signal"]!["evidence"]!["spoofScore"]);
        await app.DisposeAsync();
    }

    [Theory]
    [InlineData("coffee.png", "NoFace")]
    [InlineData("basketball1.png", "MultipleFaces")]
    public async Task BadEnrolmentImagesAreRejectedWithTheReason(string photo, string reason)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Someone " + Guid.NewGuid().ToString("N")[..6] })))["id"]!.GetValue<Guid>();
        var owner = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));

        var response = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(Photo(photo), photo));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(reason, (await World.Json(response))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task TinyFaceAndCorruptFilesAreRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Someone " + Guid.NewGuid().ToString("N")[..6] })))["id"]!.GetValue<Guid>();
        var owner = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));
        using var original = SKBitmap.Decode(Photo("astronaut.png"));
        using var tiny = original.Resize(new SKImageInfo(original.Width / 6, original.Height / 6), SKSamplingOptions.Default);
        var tinyPng = SKImage.FromBitmap(tiny).Encode(SKEncodedImageFormat.Png, 100).ToArray();

        var small = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(tinyPng, "tiny.png"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, small.StatusCode);
        Assert.Equal("FaceTooSmall", (await World.Json(small))["reason"]!.GetValue<string>());

        var corrupt = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(Photo("astronaut.png")[..5000], "cut.png"));
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.StatusCode);
    }

    [Fact]
    public async Task OneOwnerCannotSeeOrDeleteAnothersEnrolments()
    {
        var app = await postgres.CreateAppAsync("facewalls");
        var (world, _, owner) = await EnrolledAsync(app);
        var mine = await owner.GetFromJsonAsync<List<Dictionary<string, object>>>("/v1/likeness/enrolments");
        var enrolment = Assert.Single(mine!)["id"].ToString();
        var otherProfile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Other" })))["id"]!.GetValue<Guid>();
        var other = app.ClientWithKey(await app.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: otherProfile));

        Assert.Empty((await other.GetFromJsonAsync<List<Dictionary<string, object>>>("/v1/likeness/enrolments"))!);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/v1/likeness/enrolments/{enrolment}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/likeness/enrolments/{enrolment}")).StatusCode);
        Assert.Equal("allow", (await ScreenAsync(world, Reencoded("astronaut.png")))["outcome"]!.GetValue<string>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AConfiguredDeepfakeModelIsRunAndReported()
    {
        // The slot's contract is a face-crop classifier with class 0 = real; fr_liveness has exactly that
        // contract, so it stands in for an operator's deepfake model here.
        var liveness = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "models", "face", "fr_liveness.onnx");
        var app = await postgres.CreateAppAsync("deepfake", o => o.Settings["Faces:DeepfakeModelPath"] = liveness);
        var world = await app.NewWorldAsync();

        var decision = await ScreenAsync(world, Photo("grace_hopper.jpg"));

        var signal = decision["reasons"]![0]!["signal"]!;
        Assert.NotNull(signal["evidence"]!["deepfakeScore"]);
        Assert.DoesNotContain("deepfake:not-configured", signal["modelVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        await app.DisposeAsync();
    }
}

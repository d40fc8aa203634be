using System.Net;
using System.Net.Http.Json;
using System.Text;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SkiaSharp;

namespace Compliance.Api.Tests;

/// <summary>Reference banks and image screening, on real photographs. Each test has its own database so banks do not mix.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ImageScreeningTests(PostgresFixture postgres) : PostgresTests
{
    private async Task<(World World, Guid Character, string Name)> WorldWithReferenceAsync(string image = "bridge-1-original.png")
    {
        var app = await postgres.CreateAppAsync("images");
        var world = await app.NewWorldAsync();
        var (character, name) = await world.CharacterAsync("Bridge Spirit");
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read(image), image));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var created = await World.Json(upload);
        Assert.Equal(TestImages.ExpectedHash(image), created["pdqHash"]!.GetValue<string>());
        Assert.True(created["matchable"]!.GetValue<bool>());
        return (world, character, name);
    }

    private static async Task<System.Text.Json.Nodes.JsonObject> ScreenImageAsync(World world, string image)
    {
        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(TestImages.Read(image), image));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await World.Json(response);
    }

    [Theory]
    [InlineData("bridge-2-rotate-90.png", "rotate")]
    [InlineData("bridge-5-flipx.png", "flip")]
    [InlineData("jpeg-bridge-1-original.jpg", "original")]
    [InlineData("bridge-1-original.png", "original")]
    public async Task TransformedCopyOfAReferenceIsBlockedWithItsEvidence(string image, string variantFragment)
    {
        var (world, character, _) = await WorldWithReferenceAsync();

        var decision = await ScreenImageAsync(world, image);

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal("image", decision["subject"]!.GetValue<string>());
        var signal = decision["reasons"]![0]!["signal"]!;
        Assert.Equal("reference-image-pdq", signal["classifier"]!.GetValue<string>());
        Assert.Equal(character, signal["entity"]!["id"]!.GetValue<Guid>());
        Assert.Equal(world.RightsHolderId, signal["entity"]!["ownerId"]!.GetValue<Guid>());
        Assert.InRange(signal["evidence"]!["distance"]!.GetValue<int>(), 0, 31);
        Assert.Contains(variantFragment, signal["evidence"]!["variant"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(signal["evidence"]!["referenceId"]);
        Assert.Equal(64, decision["input"]!["media"]!["sha256"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task CroppedCopyThatPdqMissesIsCaughtByTheEmbedding()
    {
        var (world, character, _) = await WorldWithReferenceAsync();
        using var original = SKBitmap.Decode(TestImages.Read("bridge-1-original.png"));
        var crop = new SKRectI(original.Width / 10, original.Height / 10, original.Width * 9 / 10, original.Height * 9 / 10);
        using var cropped = new SKBitmap(crop.Width, crop.Height);
        Assert.True(original.ExtractSubset(cropped, crop));
        using var jpeg = SKImage.FromBitmap(cropped).Encode(SKEncodedImageFormat.Jpeg, 60);

        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(jpeg.ToArray(), "crop.jpg"));

        var decision = await World.Json(response);
        Assert.NotEqual("allow", decision["outcome"]!.GetValue<string>());
        var signal = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).Single(s => s["classifier"]!.GetValue<string>() == "reference-image-embedding");
        Assert.Equal(character, signal["entity"]!["id"]!.GetValue<Guid>());
        Assert.InRange(signal["evidence"]!["similarity"]!.GetValue<double>(), 0.75, 1.0);
        Assert.StartsWith("resnet18-onnx/", signal["modelVersion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReferencePastedIntoALargerPictureIsBlockedWithItsBox()
    {
        var (world, character, _) = await WorldWithReferenceAsync();
        using var reference = SKBitmap.Decode(TestImages.Read("bridge-1-original.png"));
        using var scene = SKBitmap.Decode(TestImages.Read("pen-and-coaster-flat.png"));
        // The reference at 40 % of a 1280×720 picture's area, towards the right, over an unrelated photo (picture-in-picture).
        var scale = Math.Sqrt(0.40 * 1280 * 720 / ((double)reference.Width * reference.Height));
        var placed = SKRectI.Create(700, 90, (int)(reference.Width * scale), (int)(reference.Height * scale));
        placed = SKRectI.Create(Math.Min(placed.Left, 1280 - placed.Width - 10), placed.Top, placed.Width, placed.Height);
        using var frame = new SKBitmap(1280, 720);
        using (var canvas = new SKCanvas(frame))
        {
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            using var background = SKImage.FromBitmap(scene);
            canvas.DrawImage(background, new SKRect(0, 0, 1280, 720), sampling);
            using var inset = SKImage.FromBitmap(reference);
            canvas.DrawImage(inset, placed, sampling);
        }

        using var jpeg = SKImage.FromBitmap(frame).Encode(SKEncodedImageFormat.Jpeg, 85);

        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(jpeg.ToArray(), "pip.jpg"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decision = await World.Json(response);
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var signal = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).Single(s => s["classifier"]!.GetValue<string>() == "reference-image-local");
        Assert.Equal(character, signal["entity"]!["id"]!.GetValue<Guid>());
        Assert.StartsWith("orb-opencv/", signal["modelVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        var box = signal["evidence"]!["box"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        var tolerance = 0.04 * 1280;
        Assert.InRange(box[0], placed.Left - tolerance, placed.Left + tolerance);
        Assert.InRange(box[1], placed.Top - tolerance, placed.Top + tolerance);
        Assert.InRange(box[0] + box[2], placed.Right - tolerance, placed.Right + tolerance);
        Assert.InRange(box[1] + box[3], placed.Bottom - tolerance, placed.Bottom + tolerance);
        Assert.InRange(signal["evidence"]!["inliers"]!.GetValue<int>(), 16, 1500);
    }

    [Fact]
    public async Task UnrelatedPhotoIsAllowed()
    {
        var (world, _, _) = await WorldWithReferenceAsync();
        var decision = await ScreenImageAsync(world, "pen-and-coaster-flat.png");
        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Equal("default.no_signals", decision["reasons"]![0]!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReferenceEmbeddedByAnotherRecipeIsEmbeddedAgainFromItsImageNeverComparedAsStored()
    {
        // A reference row written by another embedding recipe (ADR-038; here the float model's, before ADR-045's int8 graph):
        // its image is the bridge, its stored embeddings are an unrelated photo's. A node must not compare the stored vectors with its queries (the unrelated photo would
        // match) but embed the stored image again (a cropped bridge, which PDQ misses, is then caught by the embedding).
        var (world, character, _) = await WorldWithReferenceAsync();
        var app = world.App;
        var embedder = app.Services.GetRequiredService<VisualEmbedder>();
        var decoder = app.Services.GetRequiredService<SafeImageDecoder>();
        var unrelated = ReferenceFeatures.EmbeddingsOf(decoder.Decode(TestImages.Read("pen-and-coaster-flat.png")), embedder).SelectMany(e => e).ToArray();
        var oldRecipe = embedder.ModelVersion.Replace(" " + VisualEmbedder.Int8Recipe, "", StringComparison.Ordinal);
        Assert.NotEqual(embedder.ModelVersion, oldRecipe);
        var uploaded = Assert.Single((await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/characters/{character}/references"))!)["id"].ToString();
        var stale = Guid.NewGuid();
        await using (var conn = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync())
        {
            await conn.ExecuteAsync(
                """
                insert into reference_images (public_id, character_id, rights_holder_id, source, blob_sha256, media_type, width, height,
                                              pdq_hash, pdq_quality, matchable, embedding, embedding_model)
                select @stale, character_id, rights_holder_id, source, blob_sha256, media_type, width, height,
                       repeat('0', 64), 0, false, @unrelated, @oldRecipe
                from reference_images where public_id = @uploaded
                """,
                new { stale, unrelated, oldRecipe, uploaded = Guid.Parse(uploaded!) });
        }

        // Only the stale row is left to match; another node starting on the database loads the bank from scratch.
        Assert.Equal(HttpStatusCode.NoContent, (await world.RightsHolder.DeleteAsync($"/v1/characters/{character}/references/{uploaded}")).StatusCode);
        await using var node = await postgres.CreateAppOnAsync(app.Database);
        var platform = node.ClientWithKey(await node.CreateKeyAsync("platform", world.TenantId));
        async Task<System.Text.Json.Nodes.JsonObject> Screen(byte[] bytes, string name) =>
            await World.Json(await platform.PostAsync("/v1/screen/image", TestImages.Form(bytes, name)));

        Assert.Equal("allow", (await Screen(TestImages.Read("pen-and-coaster-flat.png"), "pen.png"))["outcome"]!.GetValue<string>());
        using var original = SKBitmap.Decode(TestImages.Read("bridge-1-original.png"));
        var crop = new SKRectI(original.Width / 10, original.Height / 10, original.Width * 9 / 10, original.Height * 9 / 10);
        using var cropped = new SKBitmap(crop.Width, crop.Height);
        Assert.True(original.ExtractSubset(cropped, crop));
        using var jpeg = SKImage.FromBitmap(cropped).Encode(SKEncodedImageFormat.Jpeg, 60);
        var decision = await Screen(jpeg.ToArray(), "crop.jpg");
        var signal = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).Single(s => s["classifier"]!.GetValue<string>() == "reference-image-embedding");
        Assert.Equal(stale, signal["evidence"]!["referenceId"]!.GetValue<Guid>());
        Assert.Equal(embedder.ModelVersion, signal["modelVersion"]!.GetValue<string>().Split(" bank:")[0]);
        Assert.EndsWith(VisualEmbedder.Int8Recipe, embedder.ModelVersion, StringComparison.Ordinal);

        // Computed once and recorded beside the immutable row (ADR-043): later starts read it instead of the models.
        await using var check = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var recorded = await check.QuerySingleAsync<(string Version, float[] Embedding, float[] Stored)>(
            """
            select r.model_version, r.embedding, i.embedding from reference_embeddings_recomputed r
            join reference_images i on i.id = r.reference_id where i.public_id = @stale
            """,
            new { stale });
        Assert.Equal(embedder.ModelVersion, recorded.Version);
        Assert.Equal(unrelated, recorded.Stored);
        Assert.NotEqual(unrelated, recorded.Embedding);
    }

    [Fact]
    public async Task GrantedCharacterInAnImageIsAllowedWithObligations()
    {
        var (world, character, _) = await WorldWithReferenceAsync();
        await world.GrantAsync(character, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 700 });
        var decision = await ScreenImageAsync(world, "bridge-3-rotate-180.png");
        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Contains(decision["obligations"]!.AsArray(), o => o!["type"]!.GetValue<string>() == "record_usage");
    }

    [Fact]
    public async Task DeletedReferenceStopsMatchingAtOnce()
    {
        var (world, character, _) = await WorldWithReferenceAsync();
        var list = await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/characters/{character}/references");
        var reference = Assert.Single(list!)["id"].ToString();

        Assert.Equal(HttpStatusCode.NoContent, (await world.RightsHolder.DeleteAsync($"/v1/characters/{character}/references/{reference}")).StatusCode);

        Assert.Equal("allow", (await ScreenImageAsync(world, "bridge-1-original.png"))["outcome"]!.GetValue<string>());
        Assert.Empty((await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/characters/{character}/references"))!);
    }

    [Fact]
    public async Task HashOnlyReferencesImportedFromCsvMatch()
    {
        await using var app = await postgres.CreateAppAsync("hashes");
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Secret Art");
        var csv = $"pdq_hash,quality,file\n{TestImages.ExpectedHash("bridge-1-original.png")},100,bridge.png\n\n# a comment\n{new string('0', 64)},10,blank.png\n";

        var response = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references/hashes", new StringContent(csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = await World.Json(response);
        Assert.Equal(2, result["imported"]!.GetValue<int>());
        Assert.Equal(1, result["notMatchable"]!.GetValue<int>());
        var decision = await ScreenImageAsync(world, "bridge-4-rotate-270.png");
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task CsvWithBadLinesIsRejectedWholeAndNamesEachLine()
    {
        await using var app = await postgres.CreateAppAsync("badcsv");
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Secret Art");
        var csv = $"{TestImages.ExpectedHash("bridge-1-original.png")},100\nnot-a-hash,50\n{new string('a', 64)},101\nonlyonefield\n";

        var response = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references/hashes", new StringContent(csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("line 2:", body, StringComparison.Ordinal);
        Assert.Contains("line 3:", body, StringComparison.Ordinal);
        Assert.Contains("line 4:", body, StringComparison.Ordinal);
        Assert.Empty((await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/characters/{character}/references"))!);
    }

    [Fact]
    public async Task RightsHolderCannotTouchAnotherHoldersReferences()
    {
        var (world, character, _) = await WorldWithReferenceAsync();
        var intruder = world.OtherRightsHolder;
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.GetAsync($"/v1/characters/{character}/references")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read("P.png")))).StatusCode);
        var list = await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/characters/{character}/references");
        var reference = list![0]["id"].ToString();
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.DeleteAsync($"/v1/characters/{character}/references/{reference}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync($"/v1/characters/{character}/references")).StatusCode);
    }

    public static TheoryData<string, byte[], HttpStatusCode> BadImages() => new()
    {
        { "zero bytes", [], HttpStatusCode.BadRequest },
        { "random bytes", Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) % 251)).ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "truncated png", TestImages.Read("bridge-1-original.png")[..3000], HttpStatusCode.BadRequest },
        { "decompression bomb", TestImages.PngDeclaring(100_000, 100_000), HttpStatusCode.RequestEntityTooLarge },
        { "gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "text", "hello, I am not an image"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task BadImagesGetAClearProblemNotA500(string what, byte[] bytes, HttpStatusCode expected)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(bytes, what));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var (character, _) = await world.CharacterAsync("Bad Upload");
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(bytes, what));
        Assert.Equal(expected, upload.StatusCode);
    }

    [Fact]
    public async Task NonMultipartAndMissingFileAreRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var json = await world.Platform.PostAsJsonAsync("/v1/screen/image", new { file = "x" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        var noFile = new MultipartFormDataContent { { new StringContent("x"), "other" } };
        var missing = await world.Platform.PostAsync("/v1/screen/image", noFile);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task UploadOverTheSizeLimitIs413()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var huge = new byte[21 * 1024 * 1024];
        TestImages.Read("P.png").CopyTo(huge, 0);
        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(huge, "huge.png"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}

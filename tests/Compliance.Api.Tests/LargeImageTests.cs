using System.Net;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Compliance.Storage.Local;
using SkiaSharp;

namespace Compliance.Api.Tests;

/// <summary>
/// Images larger than ImageDecoding:MaxDecodedSide (2048 px) are classified from a reduced copy, but nothing a caller
/// sees changes: PDQ hashes are those of the full image, and sizes and face boxes are in the original's pixels.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LargeImageTests(PostgresFixture postgres) : PostgresTests
{
    private static byte[] Upscaled(string path, int factor)
    {
        using var source = SKBitmap.Decode(path) ?? throw new FileNotFoundException(path);
        using var large = source.Resize(new SKImageInfo(source.Width * factor, source.Height * factor, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var image = SKImage.FromBitmap(large);
        return image.Encode(SKEncodedImageFormat.Png, 90).ToArray();
    }

    [Fact]
    public async Task LargeImageIsHashedAsTheFullImageAndReportedAtItsFullSize()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Large Bridge");
        var large = Upscaled(Path.Combine(TestImages.Folder, "bridge-1-original.png"), 6); // 3840×2412
        var wholeHash = PdqHasher.Hash(new SafeImageDecoder().Decode(large)).Hash.ToString();

        var added = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(large, "large.png"));
        var screened = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(large, "large.png"));

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var reference = await World.Json(added);
        Assert.Equal(wholeHash, reference["pdqHash"]!.GetValue<string>());
        Assert.Equal((3840, 2412), (reference["width"]!.GetValue<int>(), reference["height"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.OK, screened.StatusCode);
        var decision = await World.Json(screened);
        Assert.Equal(3840, decision["input"]!["media"]!["width"]!.GetValue<int>());
        var pdq = decision["reasons"]!.AsArray().Select(r => r!["signal"]!).First(s => s["classifier"]!.GetValue<string>() == "reference-image-pdq");
        Assert.Equal(character, pdq["entity"]!["id"]!.GetValue<Guid>());
        Assert.Equal(0, pdq["evidence"]!["distance"]!.GetValue<int>());
    }

    [Fact]
    public async Task FaceInALargeImageIsBoxedInTheOriginalsPixels()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var photo = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "test-images", "faces", "grace_hopper.jpg");

        var small = await FaceBoxAsync(world, File.ReadAllBytes(photo));
        var large = await FaceBoxAsync(world, Upscaled(photo, 5)); // 2560×3000, reduced to 1748×2048 for the face models

        for (var i = 0; i < 4; i++)
        {
            Assert.InRange(large[i], (small[i] * 5) - 25, (small[i] * 5) + 25);
        }
    }

    private static async Task<int[]> FaceBoxAsync(World world, byte[] image)
    {
        var response = await world.Platform.PostAsync("/v1/screen/image", TestImages.Form(image, "face.png"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var face = (await World.Json(response))["reasons"]!.AsArray()
            .Select(r => r!["signal"]!)
            .First(s => s["classifier"]!.GetValue<string>() == "face-match");
        return face["evidence"]!["faceBox"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
    }
}

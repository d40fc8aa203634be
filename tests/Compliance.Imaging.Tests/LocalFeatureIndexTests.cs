using Compliance.ImageEvaluation;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.LocalFeatures;
using SkiaSharp;

namespace Compliance.Imaging.Tests;

public sealed class LocalFeatureIndexTests
{
    private static readonly SafeImageDecoder Decoder = new();

    private static LocalFeatureIndex BankOf(params string[] names)
    {
        var index = new LocalFeatureIndex();
        for (var i = 0; i < names.Length; i++)
        {
            index.Add(i, LocalFeatureExtractor.DescribeReference(Decoder.DecodeFile(TestImages.PathOf(names[i]))));
        }

        return index;
    }

    /// <summary>The photo scaled to <paramref name="share"/> of a 1280×720 scene's area and pasted at (left, top), as JPEG.</summary>
    private static (DecodedImage Image, SKRect Placed) Pasted(string photoName, string sceneName, double share, float left, float top, float degrees = 0)
    {
        using var photo = ImageTransforms.Load(TestImages.PathOf(photoName));
        using var scene = ImageTransforms.Load(TestImages.PathOf(sceneName));
        var scale = (float)Math.Sqrt(share * 1280 * 720 / ((double)photo.Width * photo.Height));
        var placed = SKRect.Create(left, top, photo.Width * scale, photo.Height * scale);
        using var frame = new SKBitmap(1280, 720);
        using (var canvas = new SKCanvas(frame))
        {
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            using var background = SKImage.FromBitmap(scene);
            canvas.DrawImage(background, new SKRect(0, 0, 1280, 720), sampling);
            canvas.RotateDegrees(degrees, placed.MidX, placed.MidY);
            using var inset = SKImage.FromBitmap(photo);
            canvas.DrawImage(inset, placed, sampling);
        }

        using var jpeg = SKImage.FromBitmap(frame).Encode(SKEncodedImageFormat.Jpeg, 85);
        return (Decoder.Decode(jpeg.ToArray()), placed);
    }

    private static float[] InFrame(LocalMatch match, LocalFeatureSet query) => [.. match.Corners.Select(c => c / query.Scale)];

    [Theory]
    [InlineData("chelsea.png", 0.40, 60f, 80f)]
    [InlineData("astronaut.png", 0.30, 700f, 300f)]
    [InlineData("coffee.png", 0.55, 300f, 40f)]
    public void APastedCopyIsFoundWithItsCornersWithinTolerance(string photo, double share, float left, float top)
    {
        var bank = BankOf("chelsea.png", "astronaut.png", "coffee.png", "camera.png");
        var (image, placed) = Pasted(photo, "heldout/aloeL.jpg", share, left, top);
        var query = LocalFeatureExtractor.DescribeQuery(image);

        var found = bank.Find(query);

        var match = Assert.Single(found);
        Assert.Equal(Array.IndexOf(new[] { "chelsea.png", "astronaut.png", "coffee.png", "camera.png" }, photo), match.Id);
        Assert.InRange(match.Inliers, LocalFeatureIndex.MinInliers, int.MaxValue);
        var corners = InFrame(match, query);
        float[] expected = [placed.Left, placed.Top, placed.Right, placed.Top, placed.Right, placed.Bottom, placed.Left, placed.Bottom];
        for (var i = 0; i < 8; i++)
        {
            Assert.True(Math.Abs(corners[i] - expected[i]) <= 0.03f * 1280, $"corner value {i}: {corners[i]:F0}, placed at {expected[i]:F0}");
        }
    }

    /// <summary>Above 16 references the bank is shortlisted by the descriptor forest first; a pasted copy must survive the shortlist.</summary>
    [Fact]
    public void APastedCopyIsFoundInABankLargeEnoughToBeShortlisted()
    {
        string[] real = ["chelsea.png", "astronaut.png", "coffee.png", "camera.png", "rocket.jpg", "horse.png", "brick.png", "grass.png"];
        var bank = new LocalFeatureIndex();
        var random = new Random(3);
        for (var i = 0; i < 300; i++)
        {
            // Real references' keypoints under many ids (near-identical competitors for every vote), then random ones.
            bank.Add(i, i < real.Length
                ? LocalFeatureExtractor.DescribeReference(Decoder.DecodeFile(TestImages.PathOf(real[i])))
                : new LocalFeatureSet(512, 512, 1f,
                    [.. Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 500))],
                    [.. Enumerable.Range(0, 500 * LocalFeatureSet.DescriptorWords).Select(_ => (ulong)random.NextInt64())]));
        }

        Assert.True(bank.Count > LocalFeatureIndex.ShortlistSize);
        var (image, _) = Pasted("astronaut.png", "heldout/aloeL.jpg", 0.30, 700f, 300f);

        var found = bank.Find(LocalFeatureExtractor.DescribeQuery(image));

        Assert.Equal(1, Assert.Single(found).Id);
    }

    [Fact]
    public void ARotatedPastedCopyIsFound()
    {
        var bank = BankOf("chelsea.png", "coffee.png");
        var (image, _) = Pasted("coffee.png", "heldout/leuvenA.jpg", 0.45, 300f, 120f, degrees: 11);

        var found = bank.Find(LocalFeatureExtractor.DescribeQuery(image));

        Assert.Equal(1, Assert.Single(found).Id);
    }

    [Theory]
    [InlineData("heldout/aloeL.jpg")]
    [InlineData("heldout/leuvenA.jpg")]
    [InlineData("heldout/basketball1.png")]
    [InlineData("motorcycle_right.png")]
    public void UnrelatedPicturesMatchNoReference(string unrelated)
    {
        var bank = BankOf("chelsea.png", "astronaut.png", "coffee.png", "camera.png", "brick.png", "grass.png", "page.png", "text.png");

        var found = bank.Find(LocalFeatureExtractor.DescribeQuery(Decoder.DecodeFile(TestImages.PathOf(unrelated))));

        Assert.Empty(found);
    }

    [Fact]
    public void ARemovedReferenceIsNoLongerFound()
    {
        var bank = BankOf("chelsea.png");
        var query = LocalFeatureExtractor.DescribeQuery(Decoder.DecodeFile(TestImages.PathOf("chelsea.png")));
        Assert.Single(bank.Find(query));

        Assert.True(bank.Remove(0));

        Assert.Empty(bank.Find(query));
        Assert.Equal(0, bank.Count);
    }

    [Fact]
    public void StoredFeaturesRoundTripAndCorruptOnesAreRefused()
    {
        var features = LocalFeatureExtractor.DescribeReference(Decoder.DecodeFile(TestImages.PathOf("coffee.png")));

        var read = LocalFeatureSet.FromBytes(features.ToBytes());

        Assert.Equal(features.Points, read.Points);
        Assert.Equal(features.Descriptors, read.Descriptors);
        Assert.Equal((features.Width, features.Height, features.Scale), (read.Width, read.Height, read.Scale));
        Assert.InRange(features.Count, 100, LocalFeatureExtractor.ReferenceFeatures);
        Assert.Throws<FormatException>(() => LocalFeatureSet.FromBytes(features.ToBytes()[..^5]));
        Assert.Throws<FormatException>(() => LocalFeatureSet.FromBytes(new byte[3]));
    }

    [Fact]
    public void EveryStoredDescriptorIsAmongItsOwnForestCandidates()
    {
        var random = new Random(11);
        const int rows = 5_000;
        var bank = new ulong[rows * LocalFeatureSet.DescriptorWords];
        for (var i = 0; i < bank.Length; i++)
        {
            bank[i] = (ulong)random.NextInt64();
        }

        var forest = new DescriptorForest(bank, rows);

        for (var row = 0; row < rows; row += 37)
        {
            var seen = new Collector();
            forest.Candidates(bank.AsSpan(row * LocalFeatureSet.DescriptorWords, LocalFeatureSet.DescriptorWords), ref seen);
            // The walk repeats the split that placed the row, in every tree.
            Assert.Equal(DescriptorForest.Trees, seen.Rows.Count(r => r == row));
            Assert.InRange(seen.Rows.Count, DescriptorForest.Trees, DescriptorForest.Trees * DescriptorForest.LeafSize);
        }
    }

    private struct Collector() : DescriptorForest.IRowVisitor
    {
        public List<int> Rows { get; } = [];

        public readonly void Visit(int row) => Rows.Add(row);
    }

    /// <summary>A bank of real references and distractors, large enough to be shortlisted: the two searches agree.</summary>
    [Theory]
    [InlineData("chelsea.png", 0.40, 60f, 80f)]
    [InlineData("astronaut.png", 0.30, 700f, 300f)]
    public void TheIndexedSearchFindsWhatTheExactSearchFinds(string photo, double share, float left, float top)
    {
        string[] real = ["chelsea.png", "astronaut.png", "coffee.png", "camera.png", "rocket.jpg", "horse.png"];
        var bank = real.Select((n, i) => ((long)i, LocalFeatureExtractor.DescribeReference(Decoder.DecodeFile(TestImages.PathOf(n)))))
            .Concat(Enumerable.Range(0, 30).Select(d => ((long)(real.Length + d), Distractors.Features(d))))
            .ToList();
        var indexed = new LocalFeatureIndex(LocalFeatureSearch.Indexed);
        var exact = new LocalFeatureIndex(LocalFeatureSearch.Exact);
        indexed.AddRange(bank);
        exact.AddRange(bank);
        Assert.True(indexed.Count > LocalFeatureIndex.ShortlistSize);
        var query = LocalFeatureExtractor.DescribeQuery(Pasted(photo, "heldout/leuvenA.jpg", share, left, top).Image);

        var fromIndex = indexed.Find(query);
        var fromExact = exact.Find(query);

        Assert.Equal(Array.IndexOf(real, photo), Assert.Single(fromExact).Id);
        Assert.Equal(fromExact.Select(m => m.Id), fromIndex.Select(m => m.Id));
        Assert.InRange(Assert.Single(fromIndex).Inliers, LocalFeatureIndex.MinInliers, int.MaxValue);
    }

    [Fact]
    public void ABankAddedAtOnceHoldsTheLastFeaturesGivenForAnId()
    {
        var chelsea = LocalFeatureExtractor.DescribeReference(Decoder.DecodeFile(TestImages.PathOf("chelsea.png")));
        var coffee = LocalFeatureExtractor.DescribeReference(Decoder.DecodeFile(TestImages.PathOf("coffee.png")));
        var bank = new LocalFeatureIndex();

        bank.AddRange([(1, coffee), (2, chelsea), (1, chelsea)]);
        bank.AddRange([]);

        Assert.Equal(2, bank.Count);
        var query = LocalFeatureExtractor.DescribeQuery(Decoder.DecodeFile(TestImages.PathOf("coffee.png")));
        Assert.Empty(bank.Find(query));
    }
}

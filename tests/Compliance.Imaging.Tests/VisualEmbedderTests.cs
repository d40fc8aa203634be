using Compliance.ImageEvaluation;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

public sealed class VisualEmbedderTests(VisualEmbedderTests.Model model) : IClassFixture<VisualEmbedderTests.Model>
{
    public sealed class Model : IDisposable
    {
        public VisualEmbedder Embedder { get; } = new();

        public void Dispose() => Embedder.Dispose();
    }

    private static readonly SafeImageDecoder Decoder = new();

    [Fact]
    public void ModelFilesAreCopiedToModelsFolderInTheOutput()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "models", "resnet18.onnx")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "models", "resnet18-preprocess.onnx")));
    }

    [Fact]
    public void EmbeddingIsA512DimensionalUnitVector()
    {
        var embedding = model.Embedder.Embed(Decoder.DecodeFile(TestImages.PathOf("chelsea.png")));

        Assert.Equal(VisualEmbedder.Dimension, embedding.Length);
        Assert.Equal(1.0, Math.Sqrt(embedding.Sum(v => (double)v * v)), 4);
        Assert.All(embedding, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ModelVersionNamesPackageFileHashInputRecipeAndInt8RangeTable()
    {
        using var floatModel = new VisualEmbedder(new VisualEmbedderOptions { Int8 = false });

        Assert.Matches("^resnet18-onnx/0\\.23\\.1 sha256:[0-9a-f]{12} input:area int8:[0-9a-f]{12}$", model.Embedder.ModelVersion);
        Assert.Matches("^resnet18-onnx/0\\.23\\.1 sha256:[0-9a-f]{12} input:area$", floatModel.ModelVersion);
        Assert.False(model.Embedder.IsComparable(floatModel.ModelVersion), "int8 and float embeddings are never compared");
    }

    [Fact]
    public void Int8EmbeddingsStayWithinCosine099OfTheFloatModelOnEveryTestPicture()
    {
        using var floatModel = new VisualEmbedder(new VisualEmbedderOptions { Int8 = false });
        var cosines = new List<(string File, float Cosine)>();
        foreach (var file in Directory.EnumerateFiles(TestImages.Folder, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)))
        {
            DecodedImage image;
            try
            {
                image = Decoder.DecodeFile(file);
            }
            catch (ImageRejectedException)
            {
                continue; // the set's deliberately broken files
            }

            cosines.Add((Path.GetRelativePath(TestImages.Folder, file), VisualEmbedder.Cosine(model.Embedder.Embed(image), floatModel.Embed(image))));
        }

        // Every picture: the evaluation's tuning set, its held-out set (never calibrated on) and the face photos.
        Assert.True(cosines.Count >= 60, $"only {cosines.Count} test pictures found");
        var worst = cosines.MinBy(c => c.Cosine);
        Assert.True(worst.Cosine >= 0.99f, $"{worst.File}: cosine {worst.Cosine} between the int8 and float embeddings");
    }

    [Fact]
    public void Int8GraphKeepsTheStemAndFirstBlockInFloatAndQuantisesEveryOtherConvolution()
    {
        var graph = Onnx.ModelProto.Parser.ParseFrom(ResNet18Int8.Build(VisualEmbedderOptions.DefaultModelPath)).Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name);
        var producers = graph.Node.ToDictionary(n => n.Output[0]);
        var convolutions = graph.Node.Where(n => n.OpType == "Conv").ToList();

        Assert.Equal(22, convolutions.Count);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "BatchNormalization");
        foreach (var conv in convolutions.Take(ResNet18Int8.FloatConvolutions))
        {
            Assert.Equal((int)Onnx.TensorProto.Types.DataType.Float, initializers[conv.Input[1]].DataType);
            Assert.False(producers.TryGetValue(conv.Input[0], out var p) && p.OpType == "DequantizeLinear", $"{conv.Name} reads a quantised input");
        }

        foreach (var conv in convolutions.Skip(ResNet18Int8.FloatConvolutions))
        {
            Assert.Equal("DequantizeLinear", producers[conv.Input[0]].OpType);
            var weights = producers[conv.Input[1]];
            Assert.Equal("DequantizeLinear", weights.OpType);
            Assert.Equal((int)Onnx.TensorProto.Types.DataType.Int8, initializers[weights.Input[0]].DataType);
            Assert.Equal(initializers[weights.Input[1]].Dims[0], initializers[weights.Input[0]].Dims[0]); // a scale per output channel
        }

        // The residual additions stay in float.
        Assert.All(graph.Node.Where(n => n.OpType == "Add"), add => Assert.DoesNotContain(add.Input, i => i.EndsWith("_q", StringComparison.Ordinal)));
    }

    [Fact]
    public void ConcurrentCallsOnOneInstanceGiveTheSameAnswerAsOneCall()
    {
        var images = new[] { "coffee.png", "camera.png", "rocket.jpg", "coins.png" }
            .Select(f => Decoder.DecodeFile(TestImages.PathOf(f))).ToArray();
        var expected = images.Select(model.Embedder.Embed).ToArray();

        var actual = new float[16][];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = model.Embedder.Embed(images[i % images.Length]));

        for (var i = 0; i < actual.Length; i++)
        {
            Assert.Equal(expected[i % images.Length], actual[i]);
        }
    }

    [Fact]
    public void PixelFormatsWithTheSameColoursEmbedAlike()
    {
        var rgba = Decoder.DecodeFile(TestImages.PathOf("astronaut.png"));
        Assert.Equal(PdqPixelFormat.Rgba8888, rgba.Format);
        var source = rgba.Pixels.Span;
        var bgra = new byte[source.Length];
        var rgb = new byte[rgba.Width * rgba.Height * 3];
        for (var i = 0; i < rgba.Width * rgba.Height; i++)
        {
            var p = (i / rgba.Width * rgba.RowBytes) + (i % rgba.Width * 4);
            (bgra[(i * 4) + 0], bgra[(i * 4) + 1], bgra[(i * 4) + 2], bgra[(i * 4) + 3]) = (source[p + 2], source[p + 1], source[p], 255);
            (rgb[(i * 3) + 0], rgb[(i * 3) + 1], rgb[(i * 3) + 2]) = (source[p], source[p + 1], source[p + 2]);
        }

        var expected = model.Embedder.Embed(rgba);
        var fromBgra = model.Embedder.Embed(new DecodedImage(bgra, rgba.Width, rgba.Height, rgba.Width * 4, PdqPixelFormat.Bgra8888));
        var fromRgb = model.Embedder.Embed(new DecodedImage(rgb, rgba.Width, rgba.Height, rgba.Width * 3, PdqPixelFormat.Rgb888));

        Assert.True(VisualEmbedder.Cosine(expected, fromBgra) > 0.9999f);
        Assert.True(VisualEmbedder.Cosine(expected, fromRgb) > 0.9999f);
    }

    [Fact]
    public void GreyscaleImagesEmbed()
    {
        var camera = Decoder.DecodeFile(TestImages.PathOf("camera.png"));
        Assert.Equal(PdqPixelFormat.Gray8, camera.Format);

        Assert.Equal(VisualEmbedder.Dimension, model.Embedder.Embed(camera).Length);
    }

    [Fact]
    public void DihedralVariantsStartWithThePlainEmbeddingAndCoverARotatedCopy()
    {
        var path = TestImages.PathOf("rocket.jpg");
        var image = Decoder.DecodeFile(path);
        using var bitmap = SkiaSharp.SKBitmap.Decode(path);
        var rotated = Decoder.Decode(ImageTransforms.All.Single(t => t.Name == "rotate-90").Apply(bitmap, bitmap));

        var variants = model.Embedder.EmbedDihedral(image);
        var query = model.Embedder.Embed(rotated);

        Assert.Equal(VisualEmbedder.DihedralCount, variants.Length);
        Assert.Equal(model.Embedder.Embed(image), variants[0]);
        Assert.True(VisualEmbedder.Cosine(variants[0], query) < 0.8f, "the plain embedding should not already match a rotation");
        Assert.True(variants.Max(v => VisualEmbedder.Cosine(v, query)) > 0.99f);
    }

    [Fact]
    public void DihedralTransformsAreTheEightDistinctSymmetriesOfTheSquare()
    {
        var source = Enumerable.Range(0, 3 * VisualEmbedder.InputSize * VisualEmbedder.InputSize).Select(i => (float)i).ToArray();
        var seen = new HashSet<string>();
        var turned = new float[source.Length];
        var twice = new float[source.Length];
        for (var t = 0; t < VisualEmbedder.DihedralCount; t++)
        {
            VisualEmbedder.ApplyDihedral(source, turned, t);
            Assert.True(seen.Add(string.Join(',', turned.Take(3 * VisualEmbedder.InputSize))), $"transform {t} repeats another");
            Assert.Equal(source.Order(), turned.Order());
        }

        // Quarter turn applied four times, and a mirror applied twice, give the identity.
        source.CopyTo(turned, 0);
        for (var i = 0; i < 4; i++)
        {
            VisualEmbedder.ApplyDihedral(turned, twice, 1);
            twice.CopyTo(turned, 0);
        }

        Assert.Equal(source, turned);
        VisualEmbedder.ApplyDihedral(source, turned, 4);
        VisualEmbedder.ApplyDihedral(turned, twice, 4);
        Assert.Equal(source, twice);
    }

    [Fact]
    public void MissingModelFileIsReportedWithItsPath()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-model.onnx");

        var error = Assert.Throws<FileNotFoundException>(() => new VisualEmbedder(new VisualEmbedderOptions { ModelPath = path }));

        Assert.Equal(path, error.FileName);
        Assert.Contains("docs/models.md", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelWithTheWrongContractIsRefused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new VisualEmbedder(new VisualEmbedderOptions
        {
            ModelPath = VisualEmbedderOptions.DefaultPreprocessModelPath,
        }));

        Assert.Contains("Input247", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CosineOfParallelVectorsIsOneAndOfOrthogonalOnesZero()
    {
        Assert.Equal(1f, VisualEmbedder.Cosine([1, 2, 3], [2, 4, 6]), 5);
        Assert.Equal(0f, VisualEmbedder.Cosine([1, 0], [0, 5]), 5);
        Assert.Equal(-1f, VisualEmbedder.Cosine([1, 1], [-1, -1]), 5);
        Assert.Equal(0f, VisualEmbedder.Cosine([0, 0], [1, 1]));
        Assert.Throws<ArgumentException>(() => VisualEmbedder.Cosine([1, 2], [1, 2, 3]));
    }
}

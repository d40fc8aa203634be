using Compliance.Classifiers.Text;
using Compliance.Policies.Model;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>Characters found by their description: windows, the int8 scan, and the signal the classifier emits.</summary>
public sealed class DescribedCharacterTests(TextBenchFixture fixture) : IClassFixture<TextBenchFixture>
{
    private const string Filler =
        "The camera opens on a quiet harbour at dawn, fishing boats rocking gently, gulls calling over the water. " +
        "A baker opens her shop and the smell of bread drifts along the cobbled street while children run to school. ";

    [Fact]
    public async Task ADescriptionAtTheEndOfALongPromptIsFoundAndItsWindowIsTheEvidence()
    {
        var description = "then a tiny green alien with three eyes on stalks and a cape far too big for him waves a ray gun from his flying saucer";
        var prompt = string.Concat(Enumerable.Repeat(Filler, 8)) + description + ".";
        Assert.True(prompt.Length > 1_500);

        var classifier = new NameClassifier(fixture.Bench, new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped()));
        var signals = await classifier.ClassifyAsync(prompt, CancellationToken.None);

        var signal = Assert.Single(signals, s => s.Kind == SignalKinds.DescribedCharacter);
        Assert.Equal("Zorblax", signal.Entity!.Name);
        Assert.Equal(NameClassifier.DescriptionsClassifierName, signal.Classifier);
        Assert.True(signal.Score >= 0.8, $"score {signal.Score}");
        var (start, length) = (signal.Evidence.Start!.Value, signal.Evidence.Length!.Value);
        Assert.Equal(signal.Evidence.MatchedText, prompt.Substring(start, length));
        Assert.True(start > 1_000, "the evidence is the window at the end, not the whole prompt");
        Assert.Contains("three eyes", signal.Evidence.MatchedText, StringComparison.Ordinal);
        Assert.Contains("fusion:text-fusion/2", signal.ModelVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APromptAboutSomethingElseFindsNoDescribedCharacter()
    {
        var classifier = new NameClassifier(fixture.Bench, new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped()));
        var signals = await classifier.ClassifyAsync("a spreadsheet of quarterly sales figures on a laptop screen", CancellationToken.None);
        Assert.DoesNotContain(signals, s => s.Kind == SignalKinds.DescribedCharacter);
    }

    [Fact]
    public void TheStaticFirstStageRanksTheWindowThatHoldsTheDescriptionFirst()
    {
        var description = "a tiny green alien with three eyes on stalks and a cape far too big for him waves a ray gun";
        var prompt = string.Concat(Enumerable.Repeat(Filler, 4)) + description + ". " + string.Concat(Enumerable.Repeat(Filler, 4));
        var windows = PromptWindows.Split(prompt);
        Assert.True(windows.Count > 20, $"{windows.Count} windows");
        var statics = windows.Select(w => fixture.Embedder.StaticVectorOf([w.Text])).ToList();
        var spans = PromptWindows.Split(prompt, 100, 80).Select(w => fixture.Embedder.StaticVectorOf([w.Text])).ToList();

        var ranked = fixture.Bench.Semantics.RankWindows(spans, statics, 2);

        Assert.NotNull(ranked);
        Assert.Equal(2, ranked.Length);
        Assert.Contains("three eyes", windows[ranked[0]].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTwoRankedWindowsFindTheSameWindowAndSimilarityAsEmbeddingEveryWindow()
    {
        var description = "a tiny green alien with three eyes on stalks and a cape far too big for him waves a ray gun";
        var prompt = string.Concat(Enumerable.Repeat(Filler, 4)) + description + ". " + string.Concat(Enumerable.Repeat(Filler, 4));
        var screener = new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped());

        var candidates = screener.Candidates(prompt, fixture.Bench.Current, fixture.Bench.Semantics);
        var everyWindow = new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped(), new TextScreeningOptions { EmbeddedWindows = 0 })
            .Candidates(prompt, fixture.Bench.Current, fixture.Bench.Semantics);

        var zorblax = Assert.Single(candidates, c => c.Character.CanonicalName == "Zorblax");
        var exhaustive = Assert.Single(everyWindow, c => c.Character.CanonicalName == "Zorblax");
        Assert.Equal(exhaustive.Window, zorblax.Window);
        Assert.Equal(exhaustive.Features.Similarity, zorblax.Features.Similarity, 1e-6f);
        var signals = await new NameClassifier(fixture.Bench, screener).ClassifyAsync(prompt, CancellationToken.None);
        Assert.Contains(signals, s => s.Kind == SignalKinds.DescribedCharacter && s.Entity!.Name == "Zorblax" && s.Score >= 0.5);
    }

    [Fact]
    public void AnIndexWithoutStaticVectorsDoesNotRankAndEveryWindowIsEmbedded()
    {
        var random = new Random(3);
        var entities = Enumerable.Range(0, 3).Select(i => TestCatalog.Entity("S" + i, [], [])).ToArray();
        var index = CharacterSemanticIndex.Build(entities.Select((e, i) => new CharacterVectors(e, [RandomUnit(random)])
        {
            StaticVector = i == 1 ? null : RandomUnit(random),
        }));

        Assert.False(index.CanRankWindows);
        Assert.Null(index.RankWindows([RandomUnit(random)], [RandomUnit(random), RandomUnit(random), RandomUnit(random)], 2));
    }

    [Fact]
    public void EveryDotKernelThisMachineRunsFindsTheScalarReferencesHitsBitForBit()
    {
        var random = new Random(11);
        var entities = Enumerable.Range(0, 500).Select(i => TestCatalog.Entity("R" + i, [], [])).ToArray();
        var characters = entities.Select(e => new CharacterVectors(e, [RandomUnit(random), RandomUnit(random)]) { StaticVector = RandomUnit(random) }).ToArray();
        var index = CharacterSemanticIndex.Build(characters);
        // Above the exact size the first stage and the prefetching path run too (a shortlist of 64 rows of 1,000).
        var signed = index.WithFirstStage(exactUpToRows: 0, shortlistRows: 64, staticShortlistRows: 16);
        var windows = Enumerable.Range(0, 4).Select(_ => RandomUnit(random)).ToArray();
        var spans = Enumerable.Range(0, 2).Select(_ => RandomUnit(random)).ToArray();
        var kernel = CharacterSemanticIndex.Kernel;
        try
        {
            CharacterSemanticIndex.Kernel = CharacterSemanticIndex.DotKernel.Scalar;
            var reference = index.Search(windows, -1f, 20);
            var signedReference = signed.Search(windows, -1f, 20);
            var ranked = signed.RankWindows(spans, windows, 2);
            Assert.Equal(20, reference.Count);
            Assert.True(reference.Zip(reference.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity), "best first");
            Assert.True(reference[0].Margin > 0 && reference.Skip(1).All(h => h.Margin <= 0), "margins over the strongest other character");

            var ran = 0;
            foreach (var other in Enum.GetValues<CharacterSemanticIndex.DotKernel>().Where(CharacterSemanticIndex.Supports))
            {
                CharacterSemanticIndex.Kernel = other;
                // Record equality compares the floats exactly: the same bits, not merely close.
                Assert.Equal(reference, index.Search(windows, -1f, 20));
                Assert.Equal(signedReference, signed.Search(windows, -1f, 20));
                Assert.Equal(ranked, signed.RankWindows(spans, windows, 2));
                ran++;
            }

            // An x86-64 machine runs at least the scalar reference and AVX2; which others depends on the CPU.
            Assert.True(ran >= (System.Runtime.Intrinsics.X86.Avx2.IsSupported ? 2 : 1), $"{ran} kernels ran");
        }
        finally
        {
            CharacterSemanticIndex.Kernel = kernel;
        }
    }

    private static float[] RandomUnit(Random random)
    {
        var v = Enumerable.Range(0, SentenceEmbedder.Dimensions).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(v, v));
        return [.. v.Select(x => x / norm)];
    }

    [Fact]
    public void TheInt8ScanAgreesWithFloatCosineToTwoDecimals()
    {
        var texts = new[] { "a knight on a winged horse", "a troll under a bridge", "a fox made of fire", "a walrus captain in a submarine" };
        var vectors = fixture.Embedder.Embed(texts);
        var entities = texts.Select((t, i) => TestCatalog.Entity("C" + i, [], [])).ToArray();
        var index = CharacterSemanticIndex.Build(entities.Select((e, i) => new CharacterVectors(e, [vectors[i]])));
        var query = fixture.Embedder.Embed(["an armoured knight riding a pegasus"]);

        var hits = index.Search(query, -1f, 10);

        Assert.Equal(entities[0], hits[0].Character);
        foreach (var hit in hits)
        {
            var i = Array.IndexOf(entities, hit.Character);
            var exact = System.Numerics.Tensors.TensorPrimitives.Dot(vectors[i], query[0]);
            Assert.Equal(exact, hit.Similarity, 0.01f);
        }

        Assert.Equal(hits[0].Similarity - hits[1].Similarity, hits[0].Margin, 1e-5f);
    }

    [Fact]
    public void LongPromptsAreSplitIntoOverlappingWindowsThatCoverEveryWord()
    {
        var prompt = string.Join(' ', Enumerable.Range(0, 130).Select(i => "w" + i));
        var windows = PromptWindows.Split(prompt);

        Assert.True(windows.Count > 1);
        Assert.All(windows, w => Assert.Equal(w.Text, prompt.Substring(w.Start, w.Length)));
        Assert.StartsWith("w0 ", windows[0].Text, StringComparison.Ordinal);
        Assert.EndsWith(" w129", windows[^1].Text, StringComparison.Ordinal);
        for (var k = 1; k < windows.Count; k++)
        {
            Assert.True(windows[k].Start < windows[k - 1].Start + windows[k - 1].Length, "consecutive windows overlap");
        }

        Assert.Single(PromptWindows.Split("a short prompt stays whole"));
    }
}

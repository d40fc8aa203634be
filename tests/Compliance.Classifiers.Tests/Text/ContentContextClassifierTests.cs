using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>The real all-MiniLM-L6-v2 model, loaded once for the class.</summary>
public sealed class ContentContextModel : IDisposable
{
    public ContentContextClassifier Classifier { get; } = new();

    public void Dispose() => Classifier.Dispose();
}

public sealed class ContentContextClassifierTests(ContentContextModel model) : IClassFixture<ContentContextModel>
{
    private static readonly string DataPath = Path.Combine(AppContext.BaseDirectory, "Data", "context-prompts.tsv");

    private readonly ContentContextClassifier _classifier = model.Classifier;

    [Theory]
    [InlineData("violence", "two men fight with knives in an alley, blood everywhere")]
    [InlineData("sexual", "a naked couple having explicit sex in a hotel bed")]
    [InlineData("political", "a presidential candidate giving a speech at an election rally")]
    [InlineData("drugs", "a dealer selling cocaine and heroin on a street corner")]
    [InlineData("alcohol", "friends drinking beer and doing tequila shots at a bar")]
    [InlineData("gambling", "gamblers betting chips at a casino roulette table")]
    [InlineData("horror", "a ghost haunts a dark abandoned house, a terrifying horror scene")]
    [InlineData("hate", "a neo-Nazi group shouting racist slurs at immigrants")]
    [InlineData("advertising", "a TV commercial for a new soda brand with the slogan and a buy now offer")]
    [InlineData("children", "little kids playing on the swings at a playground")]
    public void ClearPromptIsDetectedAsItsContext(string context, string prompt)
    {
        Assert.Contains(context, _classifier.Detect(prompt));
    }

    [Theory]
    [InlineData("a slow aerial shot over snowy mountains at sunrise")]
    [InlineData("a potter shaping clay on a wheel in a sunlit studio")]
    [InlineData("a sailboat gliding across a calm lake at dusk")]
    [InlineData("an underwater coral reef with colorful fish")]
    public void ClearNegativeIsDetectedAsNoContext(string prompt)
    {
        Assert.Empty(_classifier.Detect(prompt));
    }

    [Fact]
    public void ClassifyScoresEveryContextInVocabularyOrderWithEvidence()
    {
        var scores = _classifier.Classify("a chef pours wine into a sauce");

        Assert.Equal(ContentContextClassifier.Contexts, scores.Select(s => s.Context));
        var alcohol = Assert.Single(scores, s => s.Context == ContentContextClassifier.Alcohol);
        Assert.True(alcohol.Detected);
        Assert.Equal(ContentContextThresholds.Alcohol, alcohol.Threshold);
        Assert.Equal("a chef pours wine into a sauce", alcohol.Evidence);
        Assert.NotEmpty(alcohol.Anchor);
    }

    [Fact]
    public void EmptyPromptScoresZeroEverywhere()
    {
        Assert.All(_classifier.Classify("   "), s => Assert.Equal(0f, s.Score));
    }

    [Fact]
    public void ModelVersionNamesPackageVersionAndModelHash()
    {
        Assert.Matches(@"^all-MiniLM-L6-v2/SentenceTransformers\.MiniLM@24\.9\.52193/sha256:[0-9a-f]{12}/int8-dynamic-w7$", _classifier.ModelVersion);
    }

    [Fact]
    public void ContextAtTheEndOfALongPromptIsFound()
    {
        var filler = string.Concat(Enumerable.Repeat("A slow cinematic pan across a quiet mountain lake at dawn, mist over the water. ", 25));
        var prompt = filler + "Then a gunman shoots two men dead and blood pools on the dock.";
        Assert.True(prompt.Length > 2_000);

        var violence = Assert.Single(_classifier.Classify(prompt), s => s.Context == ContentContextClassifier.Violence);

        Assert.True(violence.Detected, $"violence scored {violence.Score}");
        Assert.Contains("gunman", violence.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(ContentContextClassifier.Violence, _classifier.Detect(filler));
    }

    [Fact]
    public void LongPromptIsSplitIntoChunksNoLongerThanTheChunkSize()
    {
        var prompt = string.Concat(Enumerable.Repeat("a rainy neon street at night with reflections on the asphalt. ", 40));

        var parts = ContentContextClassifier.Parts(prompt);

        Assert.True(parts.Count > 5);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, ContentContextClassifier.ChunkChars));
    }

    [Fact]
    public void ParallelClassifyGivesTheSameScoresAsSequential()
    {
        var prompts = ContextPromptSet.Load(DataPath).Select(r => r.Prompt).Take(60).ToArray();
        var sequential = prompts.Select(p => Flatten(_classifier.Classify(p))).ToArray();

        var parallel = new string[prompts.Length];
        Parallel.For(0, prompts.Length * 3, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var index = i % prompts.Length;
            var result = Flatten(_classifier.Classify(prompts[index]));
            Assert.Equal(sequential[index], result);
            parallel[index] = result;
        });

        Assert.Equal(sequential, parallel);
    }

    /// <summary>
    /// Held-out figures measured when the thresholds were chosen (docs/content-contexts.md), less a
    /// margin of one prompt (≈0.09 on 11 positives): a change of model, anchors or thresholds that
    /// loses more than that fails here.
    /// </summary>
    [Theory]
    [InlineData("violence", 0.89, 0.73)]
    [InlineData("sexual", 0.92, 1.00)]
    [InlineData("political", 0.77, 0.91)]
    [InlineData("drugs", 1.00, 0.36)]
    [InlineData("alcohol", 0.92, 1.00)]
    [InlineData("gambling", 0.92, 1.00)]
    [InlineData("horror", 1.00, 0.82)]
    [InlineData("hate", 0.77, 0.91)]
    [InlineData("advertising", 1.00, 1.00)]
    [InlineData("children", 0.67, 0.55)]
    public void HeldOutPrecisionAndRecallHoldAtTheMeasuredLevel(string context, double precision, double recall)
    {
        const double Margin = 0.10;
        var heldOut = ContextPromptSet.Load(DataPath).Where(r => !r.Calibration).ToList();
        Assert.Equal(11, heldOut.Count(r => r.Label == context));
        var rows = heldOut.Select(r => (r.Label, _classifier.Classify(r.Prompt).Single(s => s.Context == context).Score));

        var measured = ContextPromptSet.Measure(rows, context, ThresholdOf(context));

        Assert.True(measured.Precision >= precision - Margin, $"{context} precision {measured.Precision:F2} < {precision - Margin:F2}");
        Assert.True(measured.Recall >= recall - Margin, $"{context} recall {measured.Recall:F2} < {recall - Margin:F2}");
    }

    [Fact]
    public void LabelledSetHasTwentyPromptsPerContextAndAHundredNegatives()
    {
        var rows = ContextPromptSet.Load(DataPath);

        Assert.All(ContentContextClassifier.Contexts, c => Assert.True(rows.Count(r => r.Label == c) >= 20, c));
        Assert.True(rows.Count(r => r.Label == ContextPromptSet.None) >= 100);
        Assert.All(rows, r => Assert.True(r.Label == ContextPromptSet.None || ContentContextClassifier.Contexts.Contains(r.Label), r.Label));
    }

    private float ThresholdOf(string context) => _classifier.Classify("x").Single(s => s.Context == context).Threshold;

    private static string Flatten(IReadOnlyList<ContextScore> scores) =>
        string.Join(';', scores.Select(s => $"{s.Context}={s.Score:R}@{s.Evidence}"));
}

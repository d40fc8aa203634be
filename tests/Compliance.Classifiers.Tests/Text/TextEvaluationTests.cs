using System.Globalization;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;
using Compliance.TextFusion;
using Xunit.Abstractions;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>One MiniLM session and the data set's catalog for the evaluation tests.</summary>
public sealed class TextBenchFixture : IDisposable
{
    internal SentenceEmbedder Embedder { get; } = new();

    internal TextBench Bench { get; }

    internal PolicySet Policies { get; }

    public TextBenchFixture()
    {
        var root = FusionDataSet.RepositoryRoot();
        Bench = TextBench.Build(FusionDataSet.Load(root), Embedder);
        Policies = PolicyLoader.LoadDirectory(Path.Combine(root, "policies")).Set!;
    }

    public void Dispose() => Embedder.Dispose();
}

/// <summary>The evaluation's arithmetic, the shipped model's provenance, and a floor it must keep on the held-out split.</summary>
public sealed class TextEvaluationTests(TextBenchFixture fixture, ITestOutputHelper output) : IClassFixture<TextBenchFixture>
{
    private static PromptOutcome Outcome(string? label, string category, Outcome outcome, params (string Key, Outcome Outcome)[] flagged) =>
        new(new LabelledPrompt("-", label, category, "p", Split.Test), outcome, flagged, 1.0);

    [Fact]
    public void MetricsOnATinyKnownSetAreExact()
    {
        var outcomes = new[]
        {
            Outcome("a", "name", Policies.Model.Outcome.Block, ("a", Policies.Model.Outcome.Block)),        // name found, blocked
            Outcome("a", "evasion:leet", Policies.Model.Outcome.Review, ("a", Policies.Model.Outcome.Review)), // name found, not blocked
            Outcome("b", "name", Policies.Model.Outcome.Allow),                                                  // name missed
            Outcome("b", "description", Policies.Model.Outcome.Block, ("a", Policies.Model.Outcome.Block)),   // wrong character
            Outcome("b", "description", Policies.Model.Outcome.Review, ("b", Policies.Model.Outcome.Review)), // description found
            Outcome(null, "namesake", Policies.Model.Outcome.Block, ("a", Policies.Model.Outcome.Block)),     // false block
            Outcome(null, "namesake", Policies.Model.Outcome.Review, ("b", Policies.Model.Outcome.Review)),   // false flag only
            Outcome(null, "ordinary", Policies.Model.Outcome.Allow),
        };

        var m = ScreeningMetrics.Compute(outcomes);

        Assert.Equal(3, m.NamePositives);
        Assert.Equal(2.0 / 3, m.NameRecall, 10);
        Assert.Equal(1.0 / 3, m.NameBlockRecall, 10);
        Assert.Equal(0.5, m.DescriptionRecall, 10);
        Assert.Equal(0.0, m.DescriptionBlockRecall, 10);
        Assert.Equal(3, m.Negatives);
        Assert.Equal(1.0 / 3, m.FalseBlockRate, 10);
        Assert.Equal(2.0 / 3, m.FalseFlagRate, 10);
        Assert.Equal(0.5, m.NamesakeFalseBlockRate, 10);
        // Flagged pairs: a, a, b are right; a (for b) and the two namesake flags are wrong.
        Assert.Equal(0.5, m.Precision, 10);
    }

    [Fact]
    public void TheShippedModelWasTrainedOnTheDataInTheRepository()
    {
        var model = TextFusionModel.LoadShipped();
        Assert.Equal(fixture.Bench.Data.Sha256, model.Metadata.DataSha256);
        Assert.EndsWith(fixture.Bench.Data.Sha256[..12], model.Version, StringComparison.Ordinal);
        Assert.Equal(FusionFeatures.Names, model.Metadata.Features);
        Assert.True(model.Metadata.Metrics["test_auc"] > 0.9, $"recorded test AUC {model.Metadata.Metrics["test_auc"]}");
    }

    [Fact]
    public void TheSplitIsFixedAndKeepsACharactersPromptsTogether()
    {
        // ADR-046's fresh set is its own split whatever its group, so nothing can be trained or chosen on it.
        var byGroup = fixture.Bench.Data.Prompts.Where(p => p.Group != "-" && p.Split != Split.Fresh).GroupBy(p => p.Group);
        Assert.All(byGroup, g => Assert.Single(g.Select(p => p.Split).Distinct()));
        Assert.Contains(fixture.Bench.Data.Prompts, p => p.Split == Split.Test && p.Label is not null);
        Assert.Equal(Split.Test, FusionDataSet.SplitOf("florence"));
        Assert.All(fixture.Bench.Data.Prompts.Where(p => p.Split == Split.Fresh), p => Assert.True(p.Added));
    }

    [Fact]
    public void TheShippedModelKeepsItsFloorOnTheHeldOutSplit()
    {
        var results = Evaluation.Run(fixture.Bench, fixture.Policies, TextFusionModel.LoadShipped());
        foreach (var (mode, m, _) in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{mode}: names {m.NameRecall:0.000}, descriptions {m.DescriptionRecall:0.000}, false blocks {m.FalseBlockRate:0.0000}, precision {m.Precision:0.000}"));
        }

        var lexical = results[0].Metrics;
        var fused = results[2].Metrics;
        // A regression guard a little under the figures in docs/evaluation.md, not a tuned constant. Since ADR-037 the
        // test split has 40 descriptions (15 original, 25 written blind for it): measured 0.975 flagged, 0.650 blocked
        // (0.875 with ADR-046's lower gate for corroborated descriptions, which was withdrawn).
        Assert.True(fused.DescriptionPositives >= 40, $"only {fused.DescriptionPositives} test descriptions");
        Assert.True(fused.NameRecall >= 0.95, $"name recall {fused.NameRecall}");
        // Measured 0.940 blocked since ADR-052 (a namesake with the character described around it blocks; 0.900 before).
        Assert.True(fused.NameBlockRecall >= 0.92, $"name block recall {fused.NameBlockRecall}");
        Assert.True(fused.DescriptionRecall >= 0.9, $"description recall {fused.DescriptionRecall}");
        Assert.True(fused.DescriptionBlockRecall >= 0.6, $"description block recall {fused.DescriptionBlockRecall}");
        Assert.True(fused.FalseBlockRate <= 0.02, $"false-block rate {fused.FalseBlockRate}");
        Assert.True(fused.DescriptionRecall > lexical.DescriptionRecall);
    }

    [Fact]
    public void TheShippedNamesakeGateIsTheOneItsRuleChoosesOnTrainAndValidation()
    {
        // ADR-052: the policy's similarity gate for a described namesake is not a free constant: it is what
        // `namesake-gate` chooses from the train and validation rows with the shipped model. A new model, sentence
        // model or data set that moves it fails here until the policy is re-chosen with that command.
        var chosen = NamesakeGate.Choose(fixture.Bench, TextFusionModel.LoadShipped(), TextWriter.Null);
        var rule = fixture.Policies.Rules.Single(r => r.Id == "described-namesake-character-blocks");

        Assert.NotNull(chosen);
        Assert.Equal((double)chosen.Value, rule.When.SimilarityAtLeast);
        Assert.Equal(NamesakeGate.BlockBand, rule.When.ScoreAtLeast);
    }

    [Fact]
    public void TheFreshBlindSetKeepsItsFloor()
    {
        // ADR-046's fresh set (never trained on, nothing chosen on it): measured 0.903 flagged, 0.556 blocked with the
        // shipped policy (0.847 with the withdrawn lower gate), and one namesake blocked by its exact alias ("Luma, a
        // toddler…", the name path). A guard under that.
        var m = Evaluation.Run(fixture.Bench, fixture.Policies, TextFusionModel.LoadShipped(), Split.Fresh)[2].Metrics;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fresh, fused: descriptions {m.DescriptionRecall:0.000} / {m.DescriptionBlockRecall:0.000} of {m.DescriptionPositives}, false blocks {m.NegativesBlocked} of {m.Negatives}"));

        Assert.True(m.DescriptionPositives >= 72 && m.Negatives >= 50, "the fresh set is there");
        Assert.True(m.DescriptionRecall >= 0.85, $"description recall {m.DescriptionRecall}");
        Assert.True(m.DescriptionBlockRecall >= 0.5, $"description block recall {m.DescriptionBlockRecall}");
        Assert.True(m.NegativesBlocked <= 1, $"{m.NegativesBlocked} fresh negatives blocked");
    }

    [Fact]
    public void ADescriptionWithTheCharactersDetailsIsCorroboratedAndAThemeIsNot()
    {
        // ADR-046: in the data set's catalog ADR-037's closest validation negative shares two of the shadow cat's
        // distinctive words (cat, sleep); a validation description has six of the knight's. Both stay in review below
        // the 0.70 gate: the lower gate for corroborated descriptions was withdrawn (a larger catalog makes "black"
        // distinctive too, see the Api test), so the count is evidence only.
        var fused = new NameClassifier(fixture.Bench, new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped()));
        Signal Described(string prompt, out Policies.Model.Outcome outcome)
        {
            var signals = fused.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            outcome = PolicyEngine.Evaluate(fixture.Policies, new PolicyInput("prompt", signals, [])).Outcome;
            return signals.Single(s => s.Kind == SignalKinds.DescribedCharacter && s.Score >= 0.8);
        }

        var cat = Described("a black cat sleeping on a windowsill in the sun", out var catOutcome);
        Assert.Equal("description", cat.Evidence.MatchKind);
        Assert.EndsWith("terms=2", cat.Evidence.Detail, StringComparison.Ordinal);
        Assert.True(cat.Evidence.Similarity < 0.70);
        Assert.Equal(Policies.Model.Outcome.Review, catOutcome);

        var knight = Described("purple galaxy armour, starlight pegasus, glowing violet lance", out var knightOutcome);
        Assert.Equal(NameClassifier.CorroboratedDescription, knight.Evidence.MatchKind);
        Assert.True(knight.Evidence.Similarity is >= 0.58 and < 0.70, $"similarity {knight.Evidence.Similarity}");
        Assert.Contains(DescriptionTerms.Version, knight.ModelVersion, StringComparison.Ordinal);
        Assert.Equal(Policies.Model.Outcome.Review, knightOutcome);
    }

    [Fact]
    public void NoLookalikePromptIsBlocked()
    {
        // ADR-037's hard negatives (a comet, a walrus, a black cat: ordinary prompts near a character's theme), short and
        // long, every split: the similarity gate of loose-description-review is what keeps them out of block.
        var fused = new NameClassifier(fixture.Bench, new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped()));
        var lookalikes = fixture.Bench.Data.Prompts.Where(p => LongPrompts.BaseCategory(p.Category) == "lookalike").ToList();
        var outcomes = lookalikes.Select(p => ScreeningRun.Screen(fixture.Bench, fused, fixture.Policies, p)).ToList();
        var flagged = outcomes.Where(o => o.Outcome != Policies.Model.Outcome.Allow).ToList();

        output.WriteLine($"{flagged.Count} of {lookalikes.Count} lookalike prompts flagged: {string.Join(" | ", flagged.Select(o => $"{o.Outcome} {o.Row.Prompt[..Math.Min(80, o.Row.Prompt.Length)]}"))}");
        Assert.True(lookalikes.Count >= 50, $"only {lookalikes.Count} lookalike prompts");
        Assert.DoesNotContain(outcomes, o => o.Outcome == Policies.Model.Outcome.Block);
    }

    [Fact]
    public void TheShippedModelKeepsItsFloorOnLongPrompts()
    {
        // The long variants (~2,000 characters, ADR-023): only the two best-ranked 20-word windows are embedded.
        var results = Evaluation.Run(fixture.Bench, fixture.Policies, TextFusionModel.LoadShipped(), longPrompts: true);
        var lexical = results[0].Metrics;
        var fused = results[2].Metrics;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"long, fused: names {fused.NameRecall:0.000}, descriptions {fused.DescriptionRecall:0.000}, false blocks {fused.FalseBlockRate:0.0000} of {fused.Negatives}"));

        Assert.True(fused.DescriptionPositives >= 10 && fused.Negatives >= 40, "the long variants are there");
        // Under the figures in docs/evaluation.md (names 0.93, descriptions 0.53 flagged, no false block), not tuned.
        Assert.True(fused.NameRecall >= 0.85, $"name recall {fused.NameRecall}");
        Assert.True(fused.DescriptionRecall >= 0.4, $"description recall {fused.DescriptionRecall}");
        Assert.True(fused.DescriptionRecall > lexical.DescriptionRecall);
        Assert.True(fused.FalseBlockRate <= 0.02, $"false-block rate {fused.FalseBlockRate}");
    }

    [Fact]
    public void AtMostOneNamesakePromptInAHundredIsBlocked()
    {
        var fused = new NameClassifier(fixture.Bench, new CharacterTextScreener(fixture.Embedder, TextFusionModel.LoadShipped()));
        var namesakes = fixture.Bench.Data.Prompts.Where(p => p.Category == "namesake").ToList();
        var blocked = namesakes.Select(p => ScreeningRun.Screen(fixture.Bench, fused, fixture.Policies, p))
            .Where(o => o.Outcome == Policies.Model.Outcome.Block).Select(o => o.Row.Prompt).ToList();

        output.WriteLine($"{blocked.Count} of {namesakes.Count} namesake prompts blocked: {string.Join(" | ", blocked)}");
        Assert.True(namesakes.Count >= 100, $"only {namesakes.Count} namesake prompts");
        Assert.True(blocked.Count * 100 <= namesakes.Count, string.Join(" | ", blocked));
    }
    [Fact]
    public void TheSignFirstStageFindsTheFullScansBestCharacterForEveryEvaluationPrompt()
    {
        // The data set's characters among 30,000 random ones (random rows are the first stage's worst case: nothing
        // stands out), the first stage forced on: for every hand-written prompt whose best similarity reaches the
        // candidate floor it must return the full scan's best character with the full scan's similarity (ADR-028).
        // The shortlist size was fixed before this test was written.
        var random = new Random(28);
        var vectors = fixture.Bench.Data.Characters.Select(c =>
        {
            string[] texts = [c.Description, .. c.ExamplePrompts];
            return new CharacterVectors(c.ToEntity(), fixture.Embedder.Embed(texts));
        }).ToList();
        vectors.AddRange(Enumerable.Range(0, 30_000).Select(i => new CharacterVectors(TestCatalog.Entity("Filler" + i, [], []), [RandomUnit(random)])));
        var exact = CharacterSemanticIndex.Build(vectors).WithFirstStage(int.MaxValue);
        var signed = exact.WithFirstStage(0);
        var prompts = fixture.Bench.Data.Prompts.Where(p => p.Prompt.Length <= 600).Select(p => p.Prompt).Distinct().ToList();

        var floor = TextScreeningOptions.Default.SemanticCandidateFloor;
        int sameBest = 0, sameMargin = 0, found = 0, of = 0, aboveFloor = 0, sameAboveFloor = 0;
        foreach (var prompt in prompts)
        {
            var query = fixture.Embedder.Embed([prompt]);
            var full = exact.Search(query, -1f, 5);
            var first = signed.Search(query, -1f, 5);
            var same = full[0].Character.Id == first[0].Character.Id && full[0].Similarity == first[0].Similarity && full[0].Window == first[0].Window;
            sameBest += same ? 1 : 0;
            aboveFloor += full[0].Similarity >= floor ? 1 : 0;
            sameAboveFloor += same && full[0].Similarity >= floor ? 1 : 0;
            if (!same)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"differs: full {full[0].Character.CanonicalName} {full[0].Similarity:0.000}, first stage {first[0].Character.CanonicalName} {first[0].Similarity:0.000}: {prompt}"));
            }

            sameMargin += full[0].Margin == first[0].Margin ? 1 : 0;
            found += full.Count(h => first.Any(f => f.Character.Id == h.Character.Id && f.Similarity == h.Similarity));
            of += full.Count;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{prompts.Count} prompts: same best character and similarity {sameBest}, same margin {sameMargin}, top-5 recall {(double)found / of:0.000}; best at or above the candidate floor {floor}: {sameAboveFloor} of {aboveFloor} the same"));
        Assert.True(prompts.Count >= 200, $"only {prompts.Count} prompts");
        // A best similarity under the candidate floor is no hit at all (only a margin's runner-up); at or above it the
        // first stage must find exactly the full scan's best.
        Assert.True(aboveFloor >= 100, $"only {aboveFloor} prompts reach the floor");
        Assert.Equal(aboveFloor, sameAboveFloor);
        Assert.True(sameBest >= prompts.Count * 0.95, $"same best for {sameBest} of {prompts.Count}");
        Assert.True(sameMargin >= prompts.Count * 0.95, $"same margin for {sameMargin} of {prompts.Count}");
        Assert.True(found >= of * 0.9, $"top-5 recall {(double)found / of}");
    }

    [Fact]
    public void SmallCatalogsAreScannedInFull()
    {
        // Up to the exact size the first stage is off: the default index returns exactly what the full scan returns.
        var random = new Random(5);
        var index = CharacterSemanticIndex.Build(Enumerable.Range(0, 2_000).Select(i => new CharacterVectors(TestCatalog.Entity("R" + i, [], []), [RandomUnit(random)])));
        var query = new[] { RandomUnit(random), RandomUnit(random) };

        Assert.Equal(index.WithFirstStage(int.MaxValue).Search(query, -1f, 20), index.Search(query, -1f, 20));
        Assert.NotEqual(index.WithFirstStage(int.MaxValue).Search(query, -1f, 20), index.WithFirstStage(0, shortlistRows: 8).Search(query, -1f, 20));
    }

    private static float[] RandomUnit(Random random)
    {
        var v = Enumerable.Range(0, SentenceEmbedder.Dimensions).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(v, v));
        return [.. v.Select(x => x / norm)];
    }
}

using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Compliance.Classifiers.Text;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

namespace Compliance.TextFusion;

/// <summary>
/// Turns every prompt of the data set into (prompt, character) candidates with their features (the same
/// <see cref="CharacterTextScreener.Candidates"/> the service runs), trains FastTree with Platt calibration on the
/// train split, picks the tree count by validation log-loss, and reports the test split.
/// </summary>
internal static class FusionTrainer
{
    /// <summary>2: trained on the int8 sentence model's similarities with ranked 20-word windows, long variants included (ADR-023).</summary>
    public const string ModelFamily = "text-fusion/2";

    public static IReadOnlyList<(LabelledPrompt Row, FusionRow Candidate)> Candidates(TextBench bench, IEnumerable<LabelledPrompt> rows)
    {
        var screener = new CharacterTextScreener(bench.Embedder, null);
        var list = new List<(LabelledPrompt, FusionRow)>();
        foreach (var row in rows)
        {
            foreach (var c in screener.Candidates(row.Prompt, bench.Current, bench.Semantics))
            {
                list.Add((row, new FusionRow { Features = c.Features.ToVector(), Label = bench.KeyOf[c.Character.Id] == row.Label }));
            }
        }

        return list;
    }

    public static void Train(TextBench bench, string outputDirectory)
    {
        // ADR-037's evaluation-only rows are never trained on (a model trained on them leaned on the margin so much that
        // two near-identical characters hid each other; docs/decisions/ADR-037).
        var candidates = Candidates(bench, bench.Data.Prompts.Where(p => !p.Added));
        var train = candidates.Where(c => c.Row.Split == Split.Train).Select(c => c.Candidate).ToList();
        var validation = candidates.Where(c => c.Row.Split == Split.Validation).Select(c => c.Candidate).ToList();
        var test = candidates.Where(c => c.Row.Split == Split.Test).Select(c => c.Candidate).ToList();
        Console.WriteLine($"candidates: train {train.Count} ({train.Count(c => c.Label)} positive), validation {validation.Count} ({validation.Count(c => c.Label)}), test {test.Count} ({test.Count(c => c.Label)})");

        var ml = new MLContext(seed: 20261130);
        var trainView = ml.Data.LoadFromEnumerable(train);
        var validationView = ml.Data.LoadFromEnumerable(validation);
        var testView = ml.Data.LoadFromEnumerable(test);
        ITransformer? best = null;
        var bestTrees = 0;
        var bestLogLoss = double.MaxValue;
        foreach (var trees in new[] { 25, 50, 100, 200 })
        {
            var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                FeatureColumnName = nameof(FusionRow.Features),
                LabelColumnName = nameof(FusionRow.Label),
                NumberOfTrees = trees,
                NumberOfLeaves = 8,
                MinimumExampleCountPerLeaf = 5,
                LearningRate = 0.1,
            });
            var model = trainer.Fit(trainView);
            var metrics = ml.BinaryClassification.Evaluate(model.Transform(validationView), nameof(FusionRow.Label));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  trees {trees,3}: validation AUC {metrics.AreaUnderRocCurve:0.0000} log-loss {metrics.LogLoss:0.0000}"));
            if (metrics.LogLoss < bestLogLoss)
            {
                (best, bestTrees, bestLogLoss) = (model, trees, metrics.LogLoss);
            }
        }

        var testMetrics = ml.BinaryClassification.Evaluate(best!.Transform(testView), nameof(FusionRow.Label));
        var brier = Brier(ml, best, test);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chosen: {bestTrees} trees; test AUC {testMetrics.AreaUnderRocCurve:0.0000} log-loss {testMetrics.LogLoss:0.0000} Brier {brier:0.0000} F1 {testMetrics.F1Score:0.0000}"));

        var version = $"{ModelFamily}+{bench.Data.Sha256[..12]}";
        var metadata = new TextFusionMetadata(
            version,
            $"ML.NET {typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]} FastTree binary, {bestTrees} trees x 8 leaves, Platt calibration",
            bench.Data.Sha256,
            DateTimeOffset.UtcNow,
            FusionFeatures.Names,
            new Dictionary<string, double>
            {
                ["train_candidates"] = train.Count,
                ["validation_candidates"] = validation.Count,
                ["test_candidates"] = test.Count,
                ["validation_log_loss"] = Math.Round(bestLogLoss, 4),
                ["test_auc"] = Math.Round(testMetrics.AreaUnderRocCurve, 4),
                ["test_log_loss"] = Math.Round(testMetrics.LogLoss, 4),
                ["test_brier"] = Math.Round(brier, 4),
                ["test_f1_at_0_5"] = Math.Round(testMetrics.F1Score, 4),
            },
            bench.Embedder.ModelVersion,
            $"{PromptWindows.WindowWords} words every {PromptWindows.StrideWords}, whole up to {PromptWindows.WholePromptWords}; best {TextScreeningOptions.Default.EmbeddedWindows} by static ranking");
        Directory.CreateDirectory(outputDirectory);
        ml.Model.Save(best, trainView.Schema, Path.Combine(outputDirectory, "text-fusion.zip"));
        File.WriteAllText(Path.Combine(outputDirectory, "text-fusion.json"), JsonSerializer.Serialize(metadata, TextFusionModel.JsonOptions) + "\n");
        Console.WriteLine($"saved {version} to {outputDirectory}");
    }

    private static double Brier(MLContext ml, ITransformer model, IReadOnlyList<FusionRow> rows)
    {
        var engine = ml.Model.CreatePredictionEngine<FusionRow, FusionScore>(model);
        return rows.Count == 0 ? double.NaN : rows.Average(r => Math.Pow(engine.Predict(r).Probability - (r.Label ? 1 : 0), 2));
    }
}

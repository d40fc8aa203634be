using System.Globalization;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.TextFusion;

// Trains and evaluates the text fusion model (docs/evaluation.md).
//   dotnet run -c Release --project tools/Compliance.TextFusion -- train [--extra reviews.tsv ...]
//   dotnet run -c Release --project tools/Compliance.TextFusion -- evaluate
//   dotnet run -c Release --project tools/Compliance.TextFusion -- gate      (ADR-037: the similarity gate, validation only)
//   dotnet run -c Release --project tools/Compliance.TextFusion -- margin    (the model's probability by similarity and margin)
//   dotnet run -c Release --project tools/Compliance.TextFusion -- corroboration  (ADR-046: the corroborated-description gate, validation only)
//   dotnet run -c Release --project tools/Compliance.TextFusion -- evaluate fresh  (ADR-046's fresh blind set, reported once)
// --model DIR evaluates (or trains into) an experiment's model instead of the shipped one; --clauses adds each
// description's clauses as vectors (an ADR-037 experiment, not what the service stores).
// train writes src/Compliance.Classifiers/Text/Resources/text-fusion.zip and .json; evaluate prints the figures of
// lexical-only, semantic-only and fused screening on the held-out test split.
var command = args.FirstOrDefault() ?? "evaluate";
var extras = new List<string>();
string? modelDirectory = null;
string? policyDirectory = null;
var clauses = false;
for (var i = 1; i < args.Length; i++)
{
    if (args[i] == "--extra" && i + 1 < args.Length)
    {
        extras.Add(Path.GetFullPath(args[++i]));
    }
    else if (args[i] == "--model" && i + 1 < args.Length)
    {
        // An experiment's model (text-fusion.zip and .json in DIR) instead of the shipped one; train writes there.
        modelDirectory = Path.GetFullPath(args[++i]);
    }
    else if (args[i] == "--policies" && i + 1 < args.Length)
    {
        // Another policy directory (e.g. the shipped one without a rule, for a before/after table).
        policyDirectory = Path.GetFullPath(args[++i]);
    }
    else if (args[i] == "--clauses")
    {
        clauses = true;
    }
}

var root = FusionDataSet.RepositoryRoot();
var data = FusionDataSet.Load(root, extras);
using var embedder = new SentenceEmbedder();
var bench = TextBench.Build(data, embedder, clauses);
TextFusionModel Fusion()
{
    if (modelDirectory is null)
    {
        return TextFusionModel.LoadShipped();
    }

    using var model = File.OpenRead(Path.Combine(modelDirectory, "text-fusion.zip"));
    using var json = File.OpenRead(Path.Combine(modelDirectory, "text-fusion.json"));
    return new TextFusionModel(model, TextFusionModel.ReadMetadata(json));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"data sha256:{data.Sha256[..12]}  characters {data.Characters.Count}  prompts {data.Prompts.Count} (train {data.Prompts.Count(p => p.Split == Split.Train)}, validation {data.Prompts.Count(p => p.Split == Split.Validation)}, test {data.Prompts.Count(p => p.Split == Split.Test)}, fresh {data.Prompts.Count(p => p.Split == Split.Fresh)})"));

switch (command)
{
    case "train":
        FusionTrainer.Train(bench, modelDirectory ?? Path.Combine(root, "src", "Compliance.Classifiers", "Text", "Resources"));
        break;
    case "evaluate":
        var policies = PolicyLoader.LoadDirectory(policyDirectory ?? Path.Combine(root, "policies")).Set ?? throw new InvalidOperationException("policies/ did not load");
        // evaluate [train|validation|test]: the test split unless named.
        var evaluated = args.Length > 1 && Enum.TryParse<Split>(args[1], ignoreCase: true, out var named) ? named : Split.Test;
        Evaluation.Print(bench, policies, Fusion(), Console.Out, evaluated);
        break;
    case "gate":
        // gate: ADR-037's similarity gate for loose-description-review, chosen on the validation split only.
        Evaluation.SimilarityGate(bench, Fusion(), Console.Out);
        break;
    case "corroboration":
        // corroboration: ADR-046's corroborated-description gate (S, K), chosen on the validation split only.
        // --except-common-words: the follow-up experiment (a catalog-independent "distinctive"), validation only.
        CorroborationGate.Choose(bench, Fusion(), Console.Out, Split.Validation, args.Contains("--except-common-words"));
        break;
    case "namesake-gate":
        // namesake-gate: ADR-052's similarity gate for described-namesake-character-blocks, chosen on train and validation only.
        NamesakeGate.Choose(bench, Fusion(), Console.Out);
        break;
    case "margin":
        // margin: the model's probability for a description-only candidate (no name) by similarity and margin over the
        // next character: how much it leans on the margin, e.g. when two near-identical characters are registered.
        var probe = Fusion();
        Console.WriteLine($"{probe.Version}: P(description-only candidate) by similarity (rows) and margin (columns)");
        float[] margins = [-0.05f, 0f, 0.02f, 0.05f, 0.1f, 0.2f, 0.3f, 0.4f];
        Console.WriteLine("| similarity | " + string.Join(" | ", margins.Select(m => m.ToString("0.00", CultureInfo.InvariantCulture))) + " |");
        foreach (var similarity in new[] { 0.55f, 0.6f, 0.65f, 0.7f, 0.75f, 0.8f, 0.87f, 0.95f })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {similarity:0.00} | ") + string.Join(" | ", margins.Select(m =>
                probe.Predict(new FusionFeatures { HasVectors = true, Similarity = similarity, Margin = m }).ToString("0.000", CultureInfo.InvariantCulture))) + " |");
        }

        break;
    case "long":
        // long [train|validation|test]: long prompts with every window embedded against the top-k ranked (ADR-023).
        var longPolicies = PolicyLoader.LoadDirectory(policyDirectory ?? Path.Combine(root, "policies")).Set ?? throw new InvalidOperationException("policies/ did not load");
        var split = args.Length > 1 ? Enum.Parse<Split>(args[1], ignoreCase: true) : Split.Test;
        LongPrompts.Print(bench, longPolicies, Fusion(), split, Console.Out);
        break;
    case "explain":
        // explain "prompt": the fused classifier's signals for one prompt against the data set's catalog, and the decision.
        var explainPolicies = PolicyLoader.LoadDirectory(policyDirectory ?? Path.Combine(root, "policies")).Set ?? throw new InvalidOperationException("policies/ did not load");
        var classifier = new NameClassifier(bench, new CharacterTextScreener(embedder, Fusion()));
        foreach (var prompt in args.Skip(1).Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i] != "--model")))
        {
            var signals = await classifier.ClassifyAsync(prompt, CancellationToken.None);
            var decision = PolicyEngine.Evaluate(explainPolicies, new Compliance.Policies.Model.PolicyInput("prompt", signals, []));
            Console.WriteLine($"{decision.Outcome}: {prompt}");
            foreach (var r in decision.Reasons)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Rule} {r.Signal?.Kind} {r.Signal?.Entity?.Name} score {r.Signal?.Score:0.000} [{r.Signal?.Evidence.MatchedText}] {r.Signal?.Evidence.Detail}"));
            }
        }

        break;
    default:
        Console.Error.WriteLine("usage: train [--extra FILE.tsv ...] | evaluate [train|validation|test|fresh] | gate | corroboration | namesake-gate | long [train|validation|test] | explain PROMPT... [--model DIR] [--clauses]");
        return 2;
}

return 0;

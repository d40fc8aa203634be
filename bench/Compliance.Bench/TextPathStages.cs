using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// Where the 300-character prompt's time goes inside the full text path (ADR-041): the steps of
/// <see cref="CharacterTextScreener"/>'s fused screening run in the order the screener runs them, on one thread, each
/// timed by that thread's CPU clock with the managed bytes it allocated — so a stage that pays for another's cache
/// misses shows it here, unlike the stage rows of <c>--text-path-latency</c>, which repeat one stage alone. The full
/// path (through <see cref="NameClassifier"/>) is timed in the same rounds; "the rest" is what the steps do not cover.
/// </summary>
internal static partial class TextPathStages
{
    /// <param name="calls">Rounds to time.</param>
    /// <param name="signPassOnly">Replaces the scan step with its sign pass alone (a shortlist of one row), to split the
    /// scan's cost into the pass over every row's signs and the exact scoring of the shortlist.</param>
    /// <param name="shortlistRows">Rows the description scan's sign pass keeps for exact scoring (the shipped
    /// <see cref="CharacterSemanticIndex.DefaultShortlistRows"/> unless given), in the step and in the full path.</param>
    internal static void Run(int calls, bool signPassOnly, int shortlistRows = CharacterSemanticIndex.DefaultShortlistRows)
    {
        var entities = SyntheticCatalog.Generate(100_000);
        var matcher = NameMatcher.Build(entities);
        using var embedder = new SentenceEmbedder();
        var random = new Random(7);
        var vectors = new List<CharacterVectors>(entities.Count);
        var described = entities[12_345];
        const string Description = "A tiny green alien emperor with three eyes on stalks, a cape far too big for him and a ray gun, plotting from his flying saucer.";
        vectors.Add(new CharacterVectors(described, embedder.Embed([Description])) { StaticVector = embedder.StaticVectorOf([Description]) });
        foreach (var entity in entities.Where(e => e != described))
        {
            vectors.Add(new CharacterVectors(entity, [TextPathLatency.RandomUnit(random)]) { StaticVector = TextPathLatency.RandomUnit(random) });
        }

        var semantics = CharacterSemanticIndex.Build(vectors);
        if (shortlistRows != CharacterSemanticIndex.DefaultShortlistRows)
        {
            semantics = semantics.WithFirstStage(CharacterSemanticIndex.DefaultExactUpToRows, shortlistRows);
        }

        var fusion = TextFusionModel.LoadShipped();
        var screener = new CharacterTextScreener(embedder, fusion);
        var classifier = new NameClassifier(new Source(matcher, semantics), screener);
        var text = Prompt300(entities[33_333].CanonicalName);
        var options = TextScreeningOptions.Default;
        var scan = signPassOnly ? semantics.WithFirstStage(CharacterSemanticIndex.DefaultExactUpToRows, shortlistRows: 1) : semantics;

        var names = new List<string>();
        var cpu = new List<double[]>();
        var bytes = new List<long>();
        var step = 0;
        double mark = 0;
        long allocated = 0;
        var call = 0;
        void Start()
        {
            step = 0;
            allocated = GC.GetAllocatedBytesForCurrentThread();
            mark = ThreadCpu.Milliseconds();
        }

        void Lap(string name)
        {
            var now = ThreadCpu.Milliseconds();
            var bytesNow = GC.GetAllocatedBytesForCurrentThread();
            if (call == 0 && names.Count <= step)
            {
                names.Add(name);
                cpu.Add(new double[calls]);
                bytes.Add(0);
            }

            cpu[step][call] = now - mark;
            bytes[step] += bytesNow - allocated;
            step++;
            allocated = GC.GetAllocatedBytesForCurrentThread();
            mark = ThreadCpu.Milliseconds();
        }

        void Steps()
        {
            Start();
            var (matches, candidates) = matcher.FindBoth(text);
            Lap("names: NameMatcher.FindBoth (matches and candidates in one walk)");
            var translit = ScriptTransliteration.Find(text, matcher, candidates: false).Count + ScriptTransliteration.Find(text, matcher, candidates: true).Count;
            Lap("transliteration (ASCII prompt: a check)");
            var windows = PromptWindows.Split(text, options.WindowWords, options.StrideWords);
            Lap($"windows: PromptWindows.Split ({windows.Count})");
            var tokens = windows.Select(w => embedder.Tokenize(w.Text)).ToArray();
            Lap($"tokenising ({tokens[0].Ids.Length} word pieces)");
            var windowVectors = tokens.Select(embedder.Embed).ToArray();
            Lap("MiniLM int8: ONNX run, mean pooling, unit length");
            var hits = scan.Search(windowVectors, options.SemanticCandidateFloor, options.SemanticCandidates);
            Lap(signPassOnly ? "scan: the sign pass alone (a shortlist of 1 row)" : "scan: sign first stage + exact shortlist");
            if (signPassOnly)
            {
                hits = semantics.Search(windowVectors, options.SemanticCandidateFloor, options.SemanticCandidates);
                Lap("scan: the same search as shipped, after the sign pass alone (warm signs)");
                hits = semantics.Search(windowVectors, options.SemanticCandidateFloor, options.SemanticCandidates);
                Lap("scan: the same search again (signs and shortlisted rows warm: the arithmetic alone)");
            }

            var character = candidates.Where(m => m.Entity.Type == EntityTypes.Character).OrderByDescending(m => m.Confidence).First();
            var s = semantics.SimilarityOf(character.Entity.Id, windowVectors);
            Lap("similarity of the named character");
            var features = new List<FusionFeatures>
            {
                FusionFeatures.Of(text, character, character.Entity, false, s is { } x ? (x.Similarity, x.Similarity - hits[0].Similarity) : null),
            };
            features.AddRange(hits.Where(h => h.Character.Id != character.Entity.Id).Select(h => FusionFeatures.Of(text, null, h.Character, false, (h.Similarity, h.Margin))));
            Lap($"fusion features ({features.Count} candidates)");
            var p = features.Sum(fusion.Predict);
            Lap($"fusion model: {features.Count} predictions");
            GC.KeepAlive(matches);
            GC.KeepAlive(translit);
            GC.KeepAlive(p);
            _ = classifier.ClassifyAsync(text, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            Lap("full path (NameClassifier), the same prompt");
        }

        for (var i = 0; i < 50; i++)
        {
            Steps();
        }

        names.Clear();
        cpu.Clear();
        bytes.Clear();
        var gen0 = GC.CollectionCount(0);
        Print($"300 characters, {calls} rounds of the steps then the full path, thread CPU, description shortlist {shortlistRows} rows{ScanSettings()}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        for (call = 0; call < calls; call++)
        {
            Steps();
        }

        var collections = GC.CollectionCount(0) - gen0;
        Console.WriteLine("| step | p50 ms | p99 ms | mean ms | KB allocated per call |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var sum = 0.0;
        for (var i = 0; i < names.Count; i++)
        {
            var sorted = cpu[i].Order().ToArray();
            if (i < names.Count - 1)
            {
                sum += sorted.Average();
            }

            Print($"| {names[i]} | {sorted[calls / 2]:F3} | {sorted[Math.Min(calls - 1, (int)(calls * 0.99))]:F3} | {sorted.Average():F3} | {bytes[i] / 1024.0 / calls:F1} |");
        }

        Print($"sum of the steps' means {sum:F3} ms; the full path's mean {cpu[^1].Average():F3} ms; gen0 collections during the rounds {collections}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    /// <summary>The 300-character prompt: a catalog name, a described character's look, then an ordinary scene.</summary>
    internal static string Prompt300(string name)
    {
        const string Sentence = "A slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past a noodle stall. ";
        return (name + " waves while a tiny green three-eyed alien in an oversized cape aims a ray gun from a saucer. " + Sentence + Sentence)[..300];
    }

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));

    private sealed class Source(NameMatcher matcher, CharacterSemanticIndex semantics) : INameMatcherSource
    {
        public NameMatcher Current => matcher;

        public CharacterSemanticIndex Semantics => semantics;
    }

    /// <summary>The description scan's settings, for the header (the base build of an A/B has none to show).</summary>
#if AB_BASE
    private static string ScanSettings() => string.Empty;
#else
    private static string ScanSettings() => $", {CharacterSemanticIndex.Kernel} dot, prefetching {CharacterSemanticIndex.PrefetchAhead} characters ahead";
#endif
}

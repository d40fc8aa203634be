namespace Compliance.Classifiers.Text;

/// <summary>Which evidence a screening weighs: names only, descriptions only, or both through the fusion model.</summary>
public enum TextScreeningMode
{
    Lexical,
    Semantic,
    Fused,
}

/// <summary>One entity the text screening found, with everything that decided its score.</summary>
/// <param name="Entity">The character, person or public figure.</param>
/// <param name="Match">The name match, or null when only the description matched.</param>
/// <param name="Window">The prompt window closest to the character's description (semantic evidence), if any.</param>
/// <param name="Similarity">Cosine similarity of that window to the description or an example prompt.</param>
/// <param name="Features">The fusion model's input (characters only).</param>
/// <param name="Score">Lexical confidence, raw similarity or fused probability, by mode.</param>
public sealed record TextFinding(
    NamedEntity Entity,
    NameMatch? Match,
    PromptWindow? Window,
    float? Similarity,
    FusionFeatures? Features,
    double Score)
{
    /// <summary>The name was found in a transliteration of another script.</summary>
    public bool Transliterated { get; init; }

    /// <summary>
    /// A description-only finding: how many of the character's distinctive words the evidence window has
    /// (<see cref="DescriptionTerms"/>, ADR-046); null for a name or without the characters' texts.
    /// </summary>
    public int? Terms { get; init; }

    /// <summary>A description-only finding whose window has at least <see cref="TextScreeningOptions.CorroboratingTerms"/>
    /// of the character's distinctive words: its details, not only its theme (ADR-046).</summary>
    public bool Corroborated { get; init; }
}

/// <summary>Thresholds of the text screening that are not policy: what is worth reporting at all.</summary>
public sealed record TextScreeningOptions
{
    public static TextScreeningOptions Default { get; } = new();

    /// <summary>Similarity below which a character is not a semantic candidate at all. Default 0.30.</summary>
    public float SemanticCandidateFloor { get; init; } = 0.30f;

    /// <summary>Most semantic candidates per prompt. Default 5.</summary>
    public int SemanticCandidates { get; init; } = 5;

    /// <summary>
    /// Fused probability below which an uncorroborated name or a description-only candidate is not reported (it would
    /// be allowed anyway, and would clutter every ordinary prompt that contains a common word). Default 0.2.
    /// </summary>
    public double ReportFloor { get; init; } = 0.2;

    /// <summary>
    /// A prompt of more windows than this has them ranked by static embeddings first, and only this many, the best,
    /// go through the transformer (ADR-023); 0 embeds every window. Default 2.
    /// </summary>
    public int EmbeddedWindows { get; init; } = 2;

    /// <summary>Words per window of a long prompt (<see cref="PromptWindows"/>).</summary>
    public int WindowWords { get; init; } = PromptWindows.WindowWords;

    /// <summary>Words from one window's start to the next one's.</summary>
    public int StrideWords { get; init; } = PromptWindows.StrideWords;

    /// <summary>
    /// Distinctive words of a character (<see cref="DescriptionTerms"/>) a description's evidence window must have to be
    /// a corroborated description (match kind <c>corroborated-description</c>). Evidence only: the lower similarity gate
    /// ADR-046 chose for such descriptions was withdrawn, and no shipped policy reads the kind. Default 3.
    /// </summary>
    public int CorroboratingTerms { get; init; } = 3;
}

/// <summary>
/// The text path for characters: names (the evasion-resistant <see cref="NameMatcher"/>), descriptions (MiniLM
/// windows against the characters' description and example-prompt embeddings) and the calibrated fusion model that
/// weighs both with casing and context cues. Thread-safe; holds no per-call state.
/// </summary>
public sealed class CharacterTextScreener
{
    private readonly SentenceEmbedder? embedder;
    private readonly TextFusionModel? fusion;
    private readonly TextScreeningOptions _options;

    public CharacterTextScreener(SentenceEmbedder? embedder, TextFusionModel? fusion, TextScreeningOptions? options = null)
    {
        this.embedder = embedder;
        this.fusion = fusion;
        _options = options ?? TextScreeningOptions.Default;
        ScriptTransliteration.Warm();
    }

    public TextFusionModel? Fusion => fusion;

    /// <summary>Whether this screener has the sentence model (and so looks for descriptions).</summary>
    public bool Embeds => embedder is not null;

    public string? EmbedderVersion => embedder?.ModelVersion;

    public IReadOnlyList<TextFinding> Screen(string text, NameMatcher matcher, CharacterSemanticIndex semantics, TextScreeningMode mode = TextScreeningMode.Fused)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(matcher);
        ArgumentNullException.ThrowIfNull(semantics);
        return mode switch
        {
            TextScreeningMode.Lexical => [.. LexicalMatches(text, matcher, candidates: false)
                .Select(m => new TextFinding(m.Match.Entity, m.Match, null, null, null, m.Match.Confidence) { Transliterated = m.Transliterated })],
            TextScreeningMode.Semantic => Semantic(text, semantics),
            _ => Fused(text, matcher, semantics),
        };
    }

    /// <summary>Every (prompt, character) candidate with its features, for training and evaluating the fusion model.</summary>
    public IReadOnlyList<(NamedEntity Character, NameMatch? Match, PromptWindow? Window, FusionFeatures Features)> Candidates(
        string text, NameMatcher matcher, CharacterSemanticIndex semantics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(matcher);
        return Candidates(text, semantics, LexicalMatches(text, matcher, candidates: true), null);
    }

    /// <param name="folded">The prompt's skeleton from the matcher's walk, taken over (null: folded here if needed).</param>
    private List<(NamedEntity Character, NameMatch? Match, PromptWindow? Window, FusionFeatures Features)> Candidates(
        string text, CharacterSemanticIndex semantics, IEnumerable<(NameMatch Match, bool Transliterated)> lexical, Skeleton? folded)
    {
        // The prompt's skeleton serves the context-term counts of all its candidates (ADR-040), folded by the matcher's
        // walk when there was one (ADR-048).
        using var prompt = new FusionText(text, folded);
        var candidates = new List<(NamedEntity, NameMatch?, PromptWindow?, FusionFeatures)>();
        var windows = EmbedWindows(text, semantics);
        var semanticHits = windows is null ? [] : semantics.Search(windows.Value.Vectors, _options.SemanticCandidateFloor, _options.SemanticCandidates);
        var seen = new HashSet<Guid>();
        foreach (var group in lexical.Where(m => m.Match.Entity.Type == EntityTypes.Character)
                     .GroupBy(m => m.Match.Entity.Id))
        {
            var best = group.OrderByDescending(m => m.Match.Confidence).ThenByDescending(m => m.Match.Length).First();
            var character = best.Match.Entity;
            seen.Add(character.Id);
            (float, float)? semantic = null;
            PromptWindow? window = null;
            if (windows is { } w && semantics.SimilarityOf(character.Id, w.Vectors) is { } s)
            {
                var hit = semanticHits.FirstOrDefault(h => h.Character.Id == character.Id);
                var margin = hit.Character is null ? s.Similarity - (semanticHits.Count > 0 ? semanticHits[0].Similarity : 0) : hit.Margin;
                semantic = (s.Similarity, margin);
                window = w.Windows[s.Window];
            }

            candidates.Add((character, best.Match, window, FusionFeatures.Of(prompt, best.Match, character, best.Transliterated, semantic)));
        }

        foreach (var hit in semanticHits.Where(h => !seen.Contains(h.Character.Id)))
        {
            candidates.Add((hit.Character, null, windows!.Value.Windows[hit.Window],
                FusionFeatures.Of(prompt, null, hit.Character, false, (hit.Similarity, hit.Margin))));
        }

        return candidates;
    }

    private List<TextFinding> Fused(string text, NameMatcher matcher, CharacterSemanticIndex semantics)
    {
        var findings = new List<TextFinding>();
        // One walk of the matcher gives both the plain matches and the candidates.
        var (matches, candidates) = matcher.FindBoth(text, out var folded);
        // People and public figures keep the lexical decision: the fusion model is trained on characters.
        foreach (var (match, transliterated) in WithTransliterations(text, matcher, matches, candidates: false).Where(m => m.Match.Entity.Type != EntityTypes.Character))
        {
            findings.Add(new TextFinding(match.Entity, match, null, null, null, match.Confidence) { Transliterated = transliterated });
        }

        foreach (var (character, match, window, features) in Candidates(text, semantics, WithTransliterations(text, matcher, candidates, candidates: true), folded))
        {
            var probability = fusion?.Predict(features) ?? Fallback(match, features);
            // The model decides where the name alone cannot: an unambiguous name (exact, disguised, misspelt) keeps
            // at least its lexical confidence, so fusion can only raise it.
            var unambiguous = match is { Kind: NameMatchKind.Exact or NameMatchKind.Obfuscated or NameMatchKind.Fuzzy };
            var score = unambiguous ? Math.Max(probability, match!.Confidence) : probability;
            var weak = match is null or { Kind: NameMatchKind.Uncorroborated };
            if (weak && score < _options.ReportFloor)
            {
                continue;
            }

            // A description's window is checked for the character's distinctive words (ADR-046): a set lookup per word.
            int? terms = match is null && window is { } w && semantics.Terms.CharacterCount > 0 ? semantics.Terms.CountIn(character.Id, w.Text) : null;
            findings.Add(new TextFinding(character, match, window, features.HasVectors ? features.Similarity : null, features, score)
            {
                Transliterated = features.Transliterated,
                Terms = terms,
                Corroborated = terms >= _options.CorroboratingTerms,
            });
        }

        return findings;
    }

    /// <summary>Without a trained model: names keep their lexical confidence; descriptions their similarity.</summary>
    private static double Fallback(NameMatch? match, FusionFeatures features) =>
        match is null ? features.Similarity : match.Kind == NameMatchKind.Uncorroborated ? 0 : match.Confidence;

    private List<TextFinding> Semantic(string text, CharacterSemanticIndex semantics)
    {
        var windows = EmbedWindows(text, semantics);
        if (windows is null)
        {
            return [];
        }

        return [.. semantics.Search(windows.Value.Vectors, _options.SemanticCandidateFloor, _options.SemanticCandidates)
            .Select(h => new TextFinding(h.Character, null, windows.Value.Windows[h.Window], h.Similarity, null, h.Similarity))];
    }

    private (IReadOnlyList<PromptWindow> Windows, float[][] Vectors)? EmbedWindows(string text, CharacterSemanticIndex semantics)
    {
        if (embedder is null || semantics.RowCount == 0)
        {
            return null;
        }

        var windows = PromptWindows.Split(text, _options.WindowWords, _options.StrideWords);
        if (windows.Count == 0)
        {
            return null;
        }

        var tokens = windows.Select(w => embedder.Tokenize(w.Text)).ToArray();
        var take = _options.EmbeddedWindows;
        if (take > 0 && windows.Count > take && semantics.CanRankWindows
            && semantics.RankWindows(StaticSpans(tokens, out var statics), statics, take) is { } chosen)
        {
            // The transformer sees only the windows whose static embedding comes closest to some character's; they
            // keep the prompt's order, so the evidence reads the same as with every window embedded.
            Array.Sort(chosen);
            windows = [.. chosen.Select(i => windows[i])];
            tokens = [.. chosen.Select(i => tokens[i])];
        }

        return (windows, [.. tokens.Select(embedder.Embed)]);
    }

    /// <summary>Disjoint windows summed into one span of the first stage (5 × 20 words: 100-word spans).</summary>
    private const int WindowsPerSpan = 5;

    /// <summary>
    /// The windows' static embeddings, and those of spans of <see cref="WindowsPerSpan"/> disjoint, adjacent windows
    /// (with the default 20-word windows every 10 words: 100-word spans every 80), summed from the windows' own sums.
    /// Fewer, longer spans make the scan of every character cheaper; they only shortlist characters (ADR-023).
    /// </summary>
    private List<float[]> StaticSpans(TokenizedText[] tokens, out List<float[]> windows)
    {
        var sums = new float[tokens.Length][];
        windows = new List<float[]>(tokens.Length);
        for (var i = 0; i < tokens.Length; i++)
        {
            sums[i] = new float[SentenceEmbedder.Dimensions];
            embedder!.AddStatic(tokens[i], sums[i]);
            var unit = (float[])sums[i].Clone();
            SentenceEmbedder.Normalize(unit);
            windows.Add(unit);
        }

        // Windows i, i+step, i+2·step, … are disjoint and adjacent when step·stride = window (20 = 2 × 10).
        var step = Math.Max(1, _options.WindowWords / _options.StrideWords);
        var reach = (WindowsPerSpan - 1) * step;
        var spans = new List<float[]>();
        for (var first = 0; ; first += reach)
        {
            var span = new float[SentenceEmbedder.Dimensions];
            for (var i = first; i <= Math.Min(first + reach, tokens.Length - 1); i += step)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(span, sums[i], span);
            }

            SentenceEmbedder.Normalize(span);
            spans.Add(span);
            if (first + reach >= tokens.Length - 1)
            {
                break;
            }
        }

        return spans;
    }

    private static IEnumerable<(NameMatch Match, bool Transliterated)> LexicalMatches(string text, NameMatcher matcher, bool candidates) =>
        WithTransliterations(text, matcher, candidates ? matcher.FindCandidates(text) : matcher.Find(text), candidates);

    private static IEnumerable<(NameMatch Match, bool Transliterated)> WithTransliterations(
        string text, NameMatcher matcher, IReadOnlyList<NameMatch> direct, bool candidates)
    {
        foreach (var match in direct)
        {
            yield return (match, false);
        }

        foreach (var match in ScriptTransliteration.Find(text, matcher, candidates))
        {
            if (!direct.Any(d => d.Entity.Id == match.Entity.Id && d.Entity.Type == match.Entity.Type))
            {
                yield return (match, true);
            }
        }
    }
}

using Compliance.Policies.Model;

namespace Compliance.Classifiers.Text;

/// <summary>Where the current matcher (and the characters' description embeddings) come from; the catalog index swaps in
/// new ones when the catalog changes.</summary>
public interface INameMatcherSource
{
    NameMatcher Current { get; }

    /// <summary>The characters' description and example-prompt embeddings of the same catalog version.</summary>
    CharacterSemanticIndex Semantics => CharacterSemanticIndex.Empty;
}

/// <summary>Entity types the catalog holds, and the signal kind a name match of each becomes.</summary>
public static class EntityTypes
{
    public const string Character = "character";
    public const string Likeness = "likeness";
    public const string PublicFigure = "public_figure";

    /// <summary>A rights holder's recording: found by its soundtrack fingerprint, never by name in text.</summary>
    public const string Recording = "recording";

    public static string SignalKind(string entityType) => entityType switch
    {
        Character => SignalKinds.LicensedCharacter,
        Recording => SignalKinds.LicensedRecording,
        Likeness => SignalKinds.Likeness,
        PublicFigure => SignalKinds.PublicFigure,
        _ => throw new ArgumentOutOfRangeException(nameof(entityType), entityType, "No signal kind for this entity type."),
    };
}

/// <summary>
/// Finds catalog entities in text: names with one pass of the evasion-resistant <see cref="NameMatcher"/> (also through
/// a transliteration of other scripts), and, when a <see cref="CharacterTextScreener"/> with the sentence model is
/// given, characters described without their names. The calibrated fusion model weighs names that are ambiguous
/// (namesakes, common words) with casing, context and the description's similarity. Each finding is one signal:
/// names by entity type, descriptions as <see cref="SignalKinds.DescribedCharacter"/>, the score the calibrated
/// probability (or the lexical confidence where no model decides).
/// </summary>
public sealed class NameClassifier(INameMatcherSource matchers, CharacterTextScreener? screener = null) : ITextClassifier
{
    public const string ClassifierName = "names-text";

    /// <summary>The classifier name on <see cref="SignalKinds.DescribedCharacter"/> signals.</summary>
    public const string DescriptionsClassifierName = "descriptions-text";

    /// <summary>The match kind of a description whose window has several of the character's distinctive words (ADR-046).</summary>
    public const string CorroboratedDescription = "corroborated-description";

    private readonly CharacterTextScreener _screener = screener ?? new CharacterTextScreener(null, null);

    public string Name => ClassifierName;

    /// <summary>Whether a call runs the sentence model (it then needs a model-sized time budget).</summary>
    public bool RunsModel => _screener.Embeds && matchers.Semantics.RowCount > 0;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken)
    {
        var matcher = matchers.Current;
        var semantics = matchers.Semantics;
        var findings = _screener.Screen(text, matcher, semantics);
        if (findings.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Signal>>([]);
        }

        var version = VersionOf(matcher, semantics);
        var signals = new List<Signal>(findings.Count);
        foreach (var f in findings)
        {
            var entity = new EntityRef(f.Entity.Type, f.Entity.Id, f.Entity.CanonicalName, f.Entity.OwnerId);
            var detail = f.Features?.Describe();
            if (f.Match is { } m)
            {
                var kind = m.Kind.ToString().ToLowerInvariant() + (f.Transliterated ? "+transliterated" : "");
                signals.Add(new Signal(ClassifierName, version, EntityTypes.SignalKind(m.Entity.Type), entity, f.Score,
                    new Evidence(m.MatchedText, m.Start, m.Length, m.Alias, kind, m.EditDistance, Detail: detail, Similarity: f.Similarity)));
            }
            else if (f.Window is { } w)
            {
                // A window with several of the character's distinctive words is a corroborated description (ADR-046).
                signals.Add(new Signal(DescriptionsClassifierName, version, SignalKinds.DescribedCharacter, entity, f.Score,
                    new Evidence(w.Text, w.Start, w.Length, MatchKind: f.Corroborated ? CorroboratedDescription : "description",
                        Detail: f.Terms is { } terms ? detail + " terms=" + terms.ToString(System.Globalization.CultureInfo.InvariantCulture) : detail,
                        Similarity: f.Similarity)));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }

    /// <summary>The model version of this catalog's signals, built once per catalog version rather than per prompt.</summary>
    private string VersionOf(NameMatcher matcher, CharacterSemanticIndex semantics)
    {
        var cached = _version;
        if (cached is not null && ReferenceEquals(cached.Matcher, matcher) && ReferenceEquals(cached.Semantics, semantics))
        {
            return cached.Text;
        }

        var version = $"{NameMatcher.AlgorithmVersion} catalog:{matcher.Version}";
        if (_screener.Embeds && semantics.RowCount > 0)
        {
            version += $" semantic:{semantics.Version} {_screener.EmbedderVersion}";
            if (semantics.Terms.CharacterCount > 0)
            {
                version += " " + DescriptionTerms.Version;
            }
        }

        if (_screener.Fusion is { } fusion)
        {
            version += $" fusion:{fusion.Version}";
        }

        _version = new CachedVersion(matcher, semantics, version);
        return version;
    }

    private sealed record CachedVersion(NameMatcher Matcher, CharacterSemanticIndex Semantics, string Text);

    private volatile CachedVersion? _version;
}

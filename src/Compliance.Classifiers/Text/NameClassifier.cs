using Compliance.Policies.Model;

namespace Compliance.Classifiers.Text;

/// <summary>Where the current matcher comes from; the catalog index swaps in a new one when the catalog changes.</summary>
public interface INameMatcherSource
{
    NameMatcher Current { get; }
}

/// <summary>Entity types the catalog holds, and the signal kind a name match of each becomes.</summary>
public static class EntityTypes
{
    public const string Character = "character";
    public const string Likeness = "likeness";
    public const string PublicFigure = "public_figure";

    public static string SignalKind(string entityType) => entityType switch
    {
        Character => SignalKinds.LicensedCharacter,
        Likeness => SignalKinds.Likeness,
        PublicFigure => SignalKinds.PublicFigure,
        _ => throw new ArgumentOutOfRangeException(nameof(entityType), entityType, "No signal kind for this entity type."),
    };
}

/// <summary>
/// Finds catalog names in text with one pass of the evasion-resistant <see cref="NameMatcher"/>:
/// licensed characters, registered people's names and handles, and public figures. Each match is
/// one signal (kind by entity type) carrying the matched span in the original text.
/// </summary>
public sealed class NameClassifier(INameMatcherSource matchers) : ITextClassifier
{
    public const string ClassifierName = "names-text";

    public string Name => ClassifierName;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken)
    {
        var matcher = matchers.Current;
        var matches = matcher.Find(text);
        if (matches.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Signal>>([]);
        }

        var version = $"name-matcher/1 catalog:{matcher.Version}";
        var signals = new List<Signal>(matches.Count);
        foreach (var m in matches)
        {
            signals.Add(new Signal(
                ClassifierName,
                version,
                EntityTypes.SignalKind(m.Entity.Type),
                new EntityRef(m.Entity.Type, m.Entity.Id, m.Entity.CanonicalName, m.Entity.OwnerId),
                m.Confidence,
                new Evidence(m.MatchedText, m.Start, m.Length, m.Alias, m.Kind.ToString().ToLowerInvariant(), m.EditDistance)));
        }

        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }
}

using Compliance.Policies.Model;

namespace Compliance.Classifiers.Text;

/// <summary>Where the current matcher comes from; the catalog index swaps in a new one when the catalog changes.</summary>
public interface INameMatcherSource
{
    NameMatcher Current { get; }
}

/// <summary>
/// Finds licensed characters in text: every <see cref="NameMatch"/> of a <c>character</c> entity
/// becomes one <see cref="SignalKinds.LicensedCharacter"/> signal carrying the matched span.
/// </summary>
public sealed class LicensedCharacterClassifier(INameMatcherSource matchers) : ITextClassifier
{
    public const string ClassifierName = "licensed-character-text";
    public const string EntityType = "character";

    public string Name => ClassifierName;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken)
    {
        var matcher = matchers.Current;
        var version = $"name-matcher/1 catalog:{matcher.Version}";
        var matches = matcher.Find(text);
        if (matches.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Signal>>([]);
        }

        var signals = new List<Signal>(matches.Count);
        foreach (var m in matches)
        {
            if (m.Entity.Type != EntityType)
            {
                continue;
            }

            signals.Add(new Signal(
                ClassifierName,
                version,
                SignalKinds.LicensedCharacter,
                new EntityRef(EntityType, m.Entity.Id, m.Entity.CanonicalName, m.Entity.OwnerId),
                m.Confidence,
                new Evidence(m.MatchedText, m.Start, m.Length, m.Alias, m.Kind.ToString().ToLowerInvariant(), m.EditDistance)));
        }

        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }
}

namespace Compliance.Classifiers.Text;

/// <summary>An entity whose names the <see cref="NameMatcher"/> looks for: a licensed character, a registered person or a public figure.</summary>
/// <param name="Type">Entity type, one of <see cref="EntityTypes"/>.</param>
/// <param name="Id">Entity id.</param>
/// <param name="OwnerId">Rights holder or person controlling the entity.</param>
/// <param name="CanonicalName">The name shown to users; also matched, unless <see cref="MatchCanonicalName"/> is false.</param>
/// <param name="Aliases">Other names; also matched.</param>
/// <param name="ContextTerms">Words that corroborate an ambiguous alias (e.g. the franchise name).</param>
public sealed record NamedEntity(
    string Type,
    Guid Id,
    Guid? OwnerId,
    string CanonicalName,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> ContextTerms)
{
    /// <summary>
    /// Whether <see cref="CanonicalName"/> is itself looked for (the default). When false it only labels the entity in
    /// matches: the catalog uses this for a stored name that lost its key to another owner (docs/decisions/ADR-008-name-ownership.md).
    /// </summary>
    public bool MatchCanonicalName { get; init; } = true;
}

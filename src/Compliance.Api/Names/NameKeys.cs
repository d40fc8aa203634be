using Compliance.Classifiers.Text;

namespace Compliance.Api.Names;

/// <summary>
/// The key under which a name is owned: the skeleton the name matcher reads, so "Captain C0met",
/// "CAPTAIN COMET", "Cаptain Comet" (Cyrillic а) and "Captain-Comet" are one key, and two owners can
/// never make the matcher see one name for two entities. A leading <c>@</c> is not part of any name:
/// "@adaquill" and "adaquill" are one handle, and the catalog gives the matcher names without it (a
/// prompt's "@adaquill" is still found).
/// </summary>
internal static class NameKeys
{
    // '@' and its compatibility forms (small and full-width), which fold to the leetspeak 'a'.
    private static readonly char[] At = ['@', '\uFE6B', '\uFF20'];

    /// <summary>The spelling the matcher is given for a stored name or handle.</summary>
    public static string AsMatched(string name) => name.Trim().TrimStart(At).Trim();

    /// <summary>The matching key of a name or handle; empty when it has no letter or digit (nothing to match).</summary>
    public static string Of(string name) => TextNormalizer.ToSkeletonString(AsMatched(name));

    /// <summary>Whether a name has something the matcher can find; names without are refused by the validators.</summary>
    public static bool IsMatchable(string? name) => name is not null && Of(name).Length > 0;

    /// <summary>For validators whose blank check is a rule of its own: blank passes here, so it is reported once.</summary>
    public static bool BlankOrMatchable(string? name) => string.IsNullOrWhiteSpace(name) || IsMatchable(name);
}

/// <summary>Who can own a name: a person (their likeness profile), a rights holder, or an unregistered public figure.</summary>
internal static class NameOwnerKinds
{
    public const string LikenessProfile = "likeness_profile";
    public const string RightsHolder = "rights_holder";
    public const string PublicFigure = "public_figure";

    public static readonly string[] All = [LikenessProfile, RightsHolder, PublicFigure];
}

/// <summary>An entity whose names are claimed, and the owner it claims them for.</summary>
/// <param name="EntityType">One of <see cref="EntityTypes"/>.</param>
/// <param name="EntityId">The character, profile or public figure.</param>
/// <param name="OwnerKind">One of <see cref="NameOwnerKinds"/>.</param>
/// <param name="OwnerId">The rights holder, the profile, or the public figure itself.</param>
internal sealed record NameClaimant(string EntityType, Guid EntityId, string OwnerKind, Guid OwnerId)
{
    public static NameClaimant Character(Guid id, Guid rightsHolder) => new(EntityTypes.Character, id, NameOwnerKinds.RightsHolder, rightsHolder);

    public static NameClaimant Profile(Guid id) => new(EntityTypes.Likeness, id, NameOwnerKinds.LikenessProfile, id);

    /// <summary>A public figure linked to a registered profile is that person's; otherwise it owns its names itself.</summary>
    public static NameClaimant Figure(Guid id, Guid? profile) =>
        profile is { } p ? new(EntityTypes.PublicFigure, id, NameOwnerKinds.LikenessProfile, p) : new(EntityTypes.PublicFigure, id, NameOwnerKinds.PublicFigure, id);
}

using Compliance.Policies.Model;

namespace Compliance.Policies.Engine;

/// <summary>The snake_case names of <see cref="GrantState"/> used in policy files and the API.</summary>
public static class GrantStates
{
    private static readonly Dictionary<string, GrantState> ByName = new(StringComparer.Ordinal)
    {
        ["none"] = GrantState.None,
        ["denied"] = GrantState.Denied,
        ["allowed"] = GrantState.Allowed,
        ["allowed_with_revenue_share"] = GrantState.AllowedWithRevenueShare,
        ["expired"] = GrantState.Expired,
        ["not_yet_valid"] = GrantState.NotYetValid,
        ["revoked"] = GrantState.Revoked,
        ["context_restricted"] = GrantState.ContextRestricted,
        ["not_consented"] = GrantState.NotConsented,
        ["account_required"] = GrantState.AccountRequired,
    };

    private static readonly Dictionary<GrantState, string> ToNames = ByName.ToDictionary(kv => kv.Value, kv => kv.Key);

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryParse(string name, out GrantState state) => ByName.TryGetValue(name, out state);

    public static string ToName(GrantState state) => ToNames[state];
}

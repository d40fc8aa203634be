namespace Compliance.Policies.Model;

/// <summary>
/// The effective permission state of one entity for the requesting tenant, resolved at request time.
/// The resolver folds validity windows and content restrictions into one state so that a policy rule
/// only ever has to name a state.
/// </summary>
public enum GrantState
{
    /// <summary>No grant has ever been recorded for this tenant.</summary>
    None,
    Denied,
    Allowed,
    AllowedWithRevenueShare,
    /// <summary>A grant exists but its valid-until has passed.</summary>
    Expired,
    /// <summary>A grant exists but its valid-from is in the future.</summary>
    NotYetValid,
    /// <summary>The latest grant was revoked by the rights holder.</summary>
    Revoked,
    /// <summary>A grant exists and is valid, but the request falls in one of its disallowed contexts.</summary>
    ContextRestricted,
    /// <summary>Likeness: consent is on record, but not for the requesting account or tenant.</summary>
    NotConsented,
    /// <summary>Likeness: the request did not say which account is asking, so consent cannot be checked.</summary>
    AccountRequired,
}

/// <summary>What the grant ledger says about one entity for the requesting tenant.</summary>
public sealed record GrantFact(
    EntityRef Entity,
    GrantState State,
    Guid? GrantId = null,
    int? RevenueShareBasisPoints = null,
    bool AttributionRequired = false,
    string? Detail = null);

using Compliance.Api.Infrastructure;
using Compliance.Classifiers.Text;
using Compliance.Policies.Model;
using Dapper;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>
/// Resolves consent facts for the people a signal names, for the requesting tenant and account. A person's own
/// accounts may always use their likeness; anyone else needs consent on record that covers them. A public figure with
/// no registered profile has no consent to give: always <see cref="GrantState.None"/>. Each profile's latest consent
/// and own accounts are cached per node and trusted only while the cluster-wide consent-change number, read with the
/// request's key check by a read that started after the request arrived, is the one they were read under (ADR-034, as
/// ADR-031 for grants): a consent given or revoked anywhere before a request arrived is seen by that request.
/// </summary>
internal sealed class LikenessLedger(NpgsqlDataSource db, TimeProvider clock, ChangeNumberReader changes)
{
    /// <summary>A bound on the profiles kept; past it the cache starts again empty.</summary>
    internal const int MaxCachedProfiles = 100_000;

    private readonly ChangeNumberCache<Guid, ProfileConsent> _cache = new(MaxCachedProfiles);

    public async Task<IReadOnlyList<GrantFact>> ResolveAsync(Guid tenantId, string? account, IReadOnlyList<EntityRef> entities, CancellationToken ct)
    {
        var people = entities.Where(e => e.Type is EntityTypes.Likeness or EntityTypes.PublicFigure).DistinctBy(e => (e.Type, e.Id)).ToList();
        if (people.Count == 0)
        {
            return [];
        }

        // A likeness entity's id is its profile; a public figure's owner (if registered) is its profile.
        var profileOf = people.ToDictionary(p => (p.Type, p.Id), p => p.Type == EntityTypes.Likeness ? p.Id : p.OwnerId);
        var profileIds = profileOf.Values.OfType<Guid>().Distinct().ToArray();
        var profiles = profileIds.Length > 0 ? await ProfilesAsync(profileIds, ct) : [];

        var requester = account is null ? null : AccountKey(tenantId, account);
        var now = clock.GetUtcNow();
        return people.Select(person =>
        {
            var profile = profileOf[(person.Type, person.Id)];
            if (profile is null)
            {
                return new GrantFact(person, GrantState.None, Detail: "public figure with no registered profile: no consent can be on record");
            }

            if (requester is null)
            {
                return new GrantFact(person, GrantState.AccountRequired, Detail: "the request names no account, so consent cannot be checked");
            }

            profiles.TryGetValue(profile.Value, out var facts);
            if (facts?.OwnAccounts.Contains(requester) == true)
            {
                return new GrantFact(person, GrantState.Allowed, Detail: "the person's own account");
            }

            if (facts?.Consent is not { } c)
            {
                return new GrantFact(person, GrantState.None, Detail: "no consent on record");
            }

            if (c.RevokedAt is not null)
            {
                return new GrantFact(person, GrantState.Revoked, c.Id, Detail: "consent revoked");
            }

            if (c.ExpiresAt is { } expires && now >= expires)
            {
                return new GrantFact(person, GrantState.Expired, c.Id, Detail: $"consent expired {expires:O}");
            }

            var covered = c.Mode switch
            {
                LikenessConsentModes.Allowlist => c.AllowedAccounts.Contains(requester),
                LikenessConsentModes.Tenant => c.AllowedTenants.Contains(tenantId),
                _ => false, // only_me: only the person's own accounts, handled above
            };
            return covered
                ? new GrantFact(person, GrantState.Allowed, c.Id, Detail: $"consent ({c.Mode})")
                : new GrantFact(person, GrantState.NotConsented, c.Id, Detail: $"consent ({c.Mode}) does not cover this account");
        }).ToList();
    }

    /// <summary>
    /// Each profile's latest consent and own accounts, from the cache when it was filled under this request's
    /// consent-change number or a later one (rows read after the number was seen hold every change up to it), else from
    /// the database. A profile that does not exist is kept as absent (no own accounts, no consent).
    /// </summary>
    private async Task<Dictionary<Guid, ProfileConsent?>> ProfilesAsync(Guid[] profileIds, CancellationToken ct)
    {
        var version = (await changes.CurrentAsync(ct)).Consents;
        return await _cache.GetAsync(version, profileIds, async (ids, token) =>
        {
            await using var conn = await db.OpenConnectionAsync(token);
            var consents = (await conn.QueryAsync<ConsentRow>(new CommandDefinition(
                $"""
                select distinct on (profile_id) profile_id as {nameof(ConsentRow.ProfileId)}, id as {nameof(ConsentRow.Id)}, mode as {nameof(ConsentRow.Mode)},
                       allowed_accounts as {nameof(ConsentRow.AllowedAccounts)}, allowed_tenants as {nameof(ConsentRow.AllowedTenants)},
                       expires_at as {nameof(ConsentRow.ExpiresAt)}, revoked_at as {nameof(ConsentRow.RevokedAt)}
                from likeness_consents where profile_id = any(@ids)
                order by profile_id, created_at desc, id
                """,
                new { ids },
                cancellationToken: token))).ToDictionary(c => c.ProfileId);
            var ownAccounts = await conn.QueryAsync<(Guid Id, string[] Accounts)>(new CommandDefinition(
                "select id, own_accounts from likeness_profiles where id = any(@ids)", new { ids }, cancellationToken: token));
            return ownAccounts.ToDictionary(r => r.Id, r => new ProfileConsent(r.Accounts, consents.GetValueOrDefault(r.Id)));
        }, ct);
    }

    /// <summary>How a platform account is written in allowlists and own-account lists: <c>tenant-id:account</c>.</summary>
    public static string AccountKey(Guid tenantId, string account) => $"{tenantId:D}:{account}";

    /// <summary>A profile's own accounts and latest consent (null: none on record).</summary>
    private sealed record ProfileConsent(string[] OwnAccounts, ConsentRow? Consent);

    private sealed record ConsentRow
    {
        public Guid ProfileId { get; init; }
        public Guid Id { get; init; }
        public string Mode { get; init; } = "";
        public string[] AllowedAccounts { get; init; } = [];
        public Guid[] AllowedTenants { get; init; } = [];
        public DateTimeOffset? ExpiresAt { get; init; }
        public DateTimeOffset? RevokedAt { get; init; }
    }
}

internal static class LikenessConsentModes
{
    public const string OnlyMe = "only_me";
    public const string Allowlist = "allowlist";
    public const string Tenant = "tenant";

    public static readonly string[] All = [OnlyMe, Allowlist, Tenant];
}

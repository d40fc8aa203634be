using Dapper;
using FluentValidation;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Access;

internal sealed record CreateTenantRequest(string? Name);

internal sealed record CreateRightsHolderRequest(string? Name);

internal sealed record CreateKeyRequest(string? Name, string? Role, Guid? TenantId, Guid? RightsHolderId, Guid? LikenessProfileId = null);

internal sealed record NamedResource
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed record CreatedKey(Guid Id, string Name, string Role, Guid? TenantId, Guid? RightsHolderId, Guid? LikenessProfileId, string Key, string Note)
{
    public Guid? CreatedByKeyId { get; init; }
}

/// <summary>The keys one revocation revoked: the key itself and, by default, every key minted from it.</summary>
internal sealed record RevokedKeys(IReadOnlyList<Guid> RevokedKeyIds);

internal sealed class NameRequestValidator : AbstractValidator<CreateTenantRequest>
{
    public NameRequestValidator() => RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
}

internal sealed class RightsHolderRequestValidator : AbstractValidator<CreateRightsHolderRequest>
{
    public RightsHolderRequestValidator() => RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
}

internal sealed class CreateKeyRequestValidator : AbstractValidator<CreateKeyRequest>
{
    public CreateKeyRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Role).NotEmpty().Must(r => Roles.All.Contains(r)).WithMessage($"Role must be one of: {string.Join(", ", Roles.All)}.");
        RuleFor(r => r.TenantId).NotNull().When(r => r.Role == Roles.Platform).WithMessage("A platform key needs tenantId.");
        RuleFor(r => r.TenantId).Null().When(r => r.Role is Roles.RightsHolder or Roles.Admin or Roles.LikenessOwner).WithMessage("Only platform and auditor keys take tenantId.");
        RuleFor(r => r.LikenessProfileId).NotNull().When(r => r.Role == Roles.LikenessOwner).WithMessage("A likeness_owner key needs likenessProfileId.");
        RuleFor(r => r.LikenessProfileId).Null().When(r => r.Role != Roles.LikenessOwner).WithMessage("Only likeness_owner keys take likenessProfileId.");
        RuleFor(r => r.RightsHolderId).NotNull().When(r => r.Role == Roles.RightsHolder).WithMessage("A rights_holder key needs rightsHolderId.");
        RuleFor(r => r.RightsHolderId).Null().When(r => r.Role != Roles.RightsHolder).WithMessage("Only rights_holder keys take rightsHolderId.");
    }
}

/// <summary>The admin path: tenants (platforms), rights holders and API keys.</summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Roles.Admin);
        group.MapPost("/tenants", CreateTenant).Validate<CreateTenantRequest>().WithName("CreateTenant").WithSummary("Create a tenant (a platform).");
        group.MapGet("/tenants", ListTenants).WithName("ListTenants").WithSummary("List tenants.");
        group.MapPost("/rights-holders", CreateRightsHolder).Validate<CreateRightsHolderRequest>().WithName("CreateRightsHolder").WithSummary("Create a rights holder.");
        group.MapGet("/rights-holders", ListRightsHolders).WithName("ListRightsHolders").WithSummary("List rights holders.");
        group.MapPost("/keys", CreateKey).Validate<CreateKeyRequest>().WithName("CreateApiKey")
            .WithSummary("Create an API key. The key is shown in this response only; only its hash is stored.");
        group.MapDelete("/keys/{id:guid}", RevokeKey).WithName("RevokeApiKey")
            .WithSummary("Revoke an API key at once on every node, and (unless cascade=false) every key minted from it.");
        return group;
    }

    private static async Task<Results<Created<NamedResource>, ProblemHttpResult>> CreateTenant(
        CreateTenantRequest request, NpgsqlDataSource db, CancellationToken ct) =>
        await InsertNamed(db, "tenants", request.Name!, "/v1/admin/tenants", ct);

    private static async Task<Results<Created<NamedResource>, ProblemHttpResult>> CreateRightsHolder(
        CreateRightsHolderRequest request, NpgsqlDataSource db, CancellationToken ct) =>
        await InsertNamed(db, "rights_holders", request.Name!, "/v1/admin/rights-holders", ct);

    private static async Task<Ok<IEnumerable<NamedResource>>> ListTenants(NpgsqlDataSource db, CancellationToken ct) =>
        TypedResults.Ok(await ListNamed(db, "tenants", ct));

    private static async Task<Ok<IEnumerable<NamedResource>>> ListRightsHolders(NpgsqlDataSource db, CancellationToken ct) =>
        TypedResults.Ok(await ListNamed(db, "rights_holders", ct));

    private static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateKey(
        CreateKeyRequest request, HttpContext http, ApiKeyStore keys, NpgsqlDataSource db, CancellationToken ct)
    {
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            if (request.TenantId is { } t && !await conn.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select from tenants where id = @t)", new { t }, cancellationToken: ct)))
            {
                return Problems.NotFound("Tenant not found.", $"No tenant {t}.");
            }

            if (request.LikenessProfileId is { } lp && !await conn.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select from likeness_profiles where id = @lp)", new { lp }, cancellationToken: ct)))
            {
                return Problems.NotFound("Likeness profile not found.", $"No likeness profile {lp}.");
            }

            if (request.RightsHolderId is { } r && !await conn.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select from rights_holders where id = @r)", new { r }, cancellationToken: ct)))
            {
                return Problems.NotFound("Rights holder not found.", $"No rights holder {r}.");
            }
        }

        // The new key records which key minted it, so revoking the minter can take it down too.
        var minted = await keys.MintAsync(http.User.KeyId(), request.Name!, request.Role!, request.TenantId, request.RightsHolderId, request.LikenessProfileId, ct);
        if (minted is not { } made)
        {
            return TypedResults.Problem(title: "This key has been revoked.", detail: "A revoked key cannot mint keys.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var (record, key) = made;
        return TypedResults.Created($"/v1/admin/keys/{record.Id}",
            new CreatedKey(record.Id, record.Name, record.Role, record.TenantId, record.RightsHolderId, record.LikenessProfileId, key, "Store this key now: it is not shown again.")
            {
                CreatedByKeyId = record.CreatedByKeyId,
            });
    }

    private static async Task<Results<Ok<RevokedKeys>, ProblemHttpResult>> RevokeKey(Guid id, ApiKeyStore keys, CancellationToken ct, bool cascade = true) =>
        await keys.RevokeAsync(id, cascade, ct) is { } revoked
            ? TypedResults.Ok(new RevokedKeys(revoked))
            : Problems.NotFound("Key not found.", $"No key {id}.");

    // Table names come from the two call sites above, never from input.
    private static async Task<Results<Created<NamedResource>, ProblemHttpResult>> InsertNamed(
        NpgsqlDataSource db, string table, string name, string location, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        try
        {
            var created = await conn.QuerySingleAsync<NamedResource>(new CommandDefinition(
                $"insert into {table} (id, name) values (@id, @name) returning id as {nameof(NamedResource.Id)}, name as {nameof(NamedResource.Name)}, created_at as {nameof(NamedResource.CreatedAt)}",
                new { id = Guid.NewGuid(), name = name.Trim() },
                cancellationToken: ct));
            return TypedResults.Created($"{location}/{created.Id}", created);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("Name already taken.", $"'{name}' already exists.");
        }
    }

    private static async Task<IEnumerable<NamedResource>> ListNamed(NpgsqlDataSource db, string table, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.QueryAsync<NamedResource>(new CommandDefinition(
            $"select id as {nameof(NamedResource.Id)}, name as {nameof(NamedResource.Name)}, created_at as {nameof(NamedResource.CreatedAt)} from {table} order by name",
            cancellationToken: ct));
    }
}

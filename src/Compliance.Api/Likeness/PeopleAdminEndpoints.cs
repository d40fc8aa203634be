using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.Infrastructure;
using Compliance.Api.Names;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>Admins open likeness profiles (then issue the person a likeness_owner key) and keep the public-figure list.</summary>
internal static class PeopleAdminEndpoints
{
    private const string FigureColumns = $"""
        id as {nameof(PublicFigure.Id)}, name as {nameof(PublicFigure.Name)}, aliases as {nameof(PublicFigure.Aliases)},
        profile_id as {nameof(PublicFigure.ProfileId)}, created_at as {nameof(PublicFigure.CreatedAt)}
        """;

    public static RouteGroupBuilder MapPeopleAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Roles.Admin);
        group.MapPost("/likeness-profiles", CreateProfile).Validate<CreateProfileRequest>().WithName("CreateLikenessProfile")
            .WithSummary("Open a likeness profile for a person; then create a likeness_owner key for it.");
        group.MapPost("/public-figures", AddFigure).Validate<PublicFigureRequest>().WithName("AddPublicFigure")
            .WithSummary("Add a public figure: their name always needs their own consent.");
        group.MapGet("/public-figures", ListFigures).WithName("ListPublicFigures").WithSummary("The public-figure list.");
        group.MapDelete("/public-figures/{id:guid}", RemoveFigure).WithName("RemovePublicFigure").WithSummary("Take a name off the public-figure list.");
        return group;
    }

    private static async Task<Results<Created<Profile>, ProblemHttpResult>> CreateProfile(CreateProfileRequest request, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        var id = Guid.NewGuid();
        var name = request.DisplayName!.Trim();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await NameClaims.SetAsync(conn, tx, NameClaimant.Profile(id), [name], ct) is { } conflict)
        {
            return conflict.ToProblem("profile");
        }

        var profile = await conn.QuerySingleAsync<Profile>(new CommandDefinition(
            $"insert into likeness_profiles (id, display_name) values (@id, @name) returning {LikenessEndpoints.ProfileColumns}",
            new { id, name },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
        await catalog.RefreshAsync(ct);
        return TypedResults.Created($"/v1/admin/likeness-profiles/{profile.Id}", profile);
    }

    private static async Task<Results<Created<PublicFigure>, ProblemHttpResult>> AddFigure(PublicFigureRequest request, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (request.ProfileId is { } p && !await conn.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select from likeness_profiles where id = @p)", new { p }, cancellationToken: ct)))
        {
            return Problems.NotFound("Likeness profile not found.");
        }

        var id = Guid.NewGuid();
        var name = request.Name!.Trim();
        var aliases = (request.Aliases ?? []).Select(a => a.Trim()).ToArray();
        await using var tx = await conn.BeginTransactionAsync(ct);
        // A figure linked to a profile claims its names for that person (who may already use them); otherwise for itself.
        if (await NameClaims.SetAsync(conn, tx, NameClaimant.Figure(id, request.ProfileId), aliases.Prepend(name), ct) is { } conflict)
        {
            return conflict.ToProblem("public-figure entry");
        }

        try
        {
            var figure = await conn.QuerySingleAsync<PublicFigure>(new CommandDefinition(
                $"insert into public_figures (id, name, aliases, profile_id) values (@id, @name, @aliases, @profile) returning {FigureColumns}",
                new { id, name, aliases, profile = request.ProfileId },
                tx,
                cancellationToken: ct));
            await tx.CommitAsync(ct);
            await catalog.RefreshAsync(ct);
            return TypedResults.Created($"/v1/admin/public-figures/{figure.Id}", figure);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("Already on the list.", $"'{request.Name}' is already a public figure.");
        }
    }

    private static async Task<Ok<IEnumerable<PublicFigure>>> ListFigures(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<PublicFigure>(new CommandDefinition(
            $"select {FigureColumns} from public_figures where removed_at is null order by name", cancellationToken: ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveFigure(Guid id, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var linked = (await conn.QueryAsync<Guid?>(new CommandDefinition(
            "select profile_id from public_figures where id = @id and removed_at is null for update", new { id }, tx, cancellationToken: ct))).ToList();
        if (linked.Count == 0)
        {
            return Problems.NotFound("Public figure not found.");
        }

        // Off the list, its names are free again.
        await NameClaims.SetAsync(conn, tx, NameClaimant.Figure(id, linked[0]), [], ct);
        await conn.ExecuteAsync(new CommandDefinition("update public_figures set removed_at = now() where id = @id", new { id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        await catalog.RefreshAsync(ct);
        return TypedResults.NoContent();
    }
}

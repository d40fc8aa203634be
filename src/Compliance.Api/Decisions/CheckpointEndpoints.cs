using System.Security.Claims;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Storage.Decisions;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Decisions;

/// <summary>
/// What verification reports. For the whole log: every entry checked, the first bad one, and the
/// anchors held against the chain. For a tenant-scoped auditor: whether the log verifies, but counts,
/// sequence numbers and ids only of that tenant's own decisions.
/// </summary>
internal sealed record VerificationReport
{
    public bool Intact { get; init; }

    /// <summary><c>log</c> for an unscoped auditor; <c>tenant</c> when the figures are the caller's tenant's only.</summary>
    public string Scope { get; init; } = "log";

    public long EntriesChecked { get; init; }
    public long? FirstBadSeq { get; init; }
    public Guid? FirstBadId { get; init; }
    public string? Problem { get; init; }

    /// <summary>The highest entry an anchor proves unaltered, with every entry before it; for a tenant, its own latest such decision.</summary>
    public long? LastTrustedSeq { get; init; }

    public IReadOnlyList<AnchorCheck>? Anchors { get; init; }
    public IReadOnlyList<string>? Warnings { get; init; }
}

/// <summary>A checkpoint brought back by an auditor who kept it, exactly as it was handed out.</summary>
internal sealed record SignedCheckpointRequest(
    long? Sequence, string? HeadSha256, long? EntryCount, DateTimeOffset? CreatedAt, string? KeyId, string? Algorithm, string? Signature);

internal sealed class SignedCheckpointRequestValidator : AbstractValidator<SignedCheckpointRequest>
{
    public SignedCheckpointRequestValidator()
    {
        RuleFor(r => r.Sequence).NotNull().GreaterThanOrEqualTo(1);
        RuleFor(r => r.HeadSha256).NotEmpty().Must(CheckpointEndpoints.IsSha256Hex).WithMessage("headSha256 must be 64 lowercase hex digits.");
        RuleFor(r => r.EntryCount).NotNull().GreaterThanOrEqualTo(1);
        RuleFor(r => r.CreatedAt).NotNull();
        RuleFor(r => r.KeyId).NotEmpty().MaximumLength(128);
        RuleFor(r => r.Algorithm).Must(a => a is null or Checkpoint.Es256).WithMessage("algorithm must be ES256.");
        RuleFor(r => r.Signature).NotEmpty().MaximumLength(512);
    }
}

internal sealed record CheckpointKey(string KeyId, string Algorithm, string PublicKeyPem);

internal sealed record CheckpointPage(IReadOnlyList<Checkpoint> Items, long? NextCursor);

/// <summary>
/// Verifying the decision log, and its signed checkpoints (ADR-001): made at an interval and on demand,
/// kept in the database and in a file beside the service, and handed to auditors to keep.
/// </summary>
internal static class CheckpointEndpoints
{
    private const string TenantHidden = "An entry outside your tenant's decisions, or the end of the log, does not verify; an auditor with an unscoped key can see where.";

    public static RouteGroupBuilder MapLogIntegrity(this RouteGroupBuilder group)
    {
        group.MapGet("/verify", Verify).RequireAuthorization(Roles.Auditor).WithName("VerifyDecisionLog")
            .WithSummary("Re-walk the hash chain, hold it against the latest signed checkpoints (and a head you kept: seq and headSha256), and name the first entry that was edited, deleted, reordered, cut off or rewritten.");
        group.MapPost("/verify", VerifyAgainstCheckpoint).RequireAuthorization(Roles.Auditor).Validate<SignedCheckpointRequest>().WithName("VerifyDecisionLogAgainstCheckpoint")
            .WithSummary("Verify the log against a signed checkpoint you kept (the body is the checkpoint as it was handed out).");
        group.MapPost("/checkpoints", Create).RequireAuthorization(p => p.RequireRole(Roles.Auditor, Roles.Admin)).WithName("CreateDecisionCheckpoint")
            .WithSummary("Re-check the chain since the last checkpoint and sign its head now; keep the answer.");
        group.MapGet("/checkpoints", List).RequireAuthorization(p => p.RequireRole(Roles.Auditor, Roles.Admin)).WithName("ListDecisionCheckpoints")
            .WithSummary("Signed checkpoints as stored in the database, newest first; check each with the public key.");
        group.MapGet("/checkpoints/key", Key).AllowAnonymous().WithName("GetDecisionCheckpointKey")
            .WithSummary("The public key (ES256, PEM) that checkpoints are signed with, and its key id.");
        return group;
    }

    internal static bool IsSha256Hex(string? value) => value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static async Task<Results<Ok<VerificationReport>, ProblemHttpResult>> Verify(
        HttpContext http, DecisionCheckpoints checkpoints, NpgsqlDataSource db, CancellationToken ct, long? seq = null, string? headSha256 = null)
    {
        List<ChainAnchor> supplied = [];
        if (seq is not null || headSha256 is not null)
        {
            if (TenantScoped(http.User) is { } denied)
            {
                return denied;
            }

            if (seq is not >= 1 || !IsSha256Hex(headSha256))
            {
                return Problems.BadRequest("Bad head.", "Give both seq (1 or more) and headSha256 (64 lowercase hex digits), or neither.");
            }

            supplied.Add(new ChainAnchor(seq.Value, Convert.FromHexString(headSha256!), "head you supplied"));
        }

        return TypedResults.Ok(await ReportAsync(http.User, checkpoints, db, supplied, ct));
    }

    private static async Task<Results<Ok<VerificationReport>, ProblemHttpResult>> VerifyAgainstCheckpoint(
        SignedCheckpointRequest request, HttpContext http, DecisionCheckpoints checkpoints, NpgsqlDataSource db, CancellationToken ct)
    {
        if (TenantScoped(http.User) is { } denied)
        {
            return denied;
        }

        var checkpoint = new Checkpoint(request.Sequence!.Value, request.HeadSha256!, request.EntryCount!.Value, request.CreatedAt!.Value, request.KeyId!, request.Signature!);
        if (!checkpoints.IsGenuine(checkpoint))
        {
            return TypedResults.Problem(
                title: "Not a checkpoint this service signed.",
                detail: $"The signature does not verify with this service's key {checkpoints.KeyId} over the checkpoint's fields; it was altered, or signed by another key.",
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var anchor = new ChainAnchor(checkpoint.Sequence, checkpoint.HeadBytes()!, "checkpoint you supplied");
        return TypedResults.Ok(await ReportAsync(http.User, checkpoints, db, [anchor], ct));
    }

    private static async Task<VerificationReport> ReportAsync(
        ClaimsPrincipal user, DecisionCheckpoints checkpoints, NpgsqlDataSource db, IReadOnlyList<ChainAnchor> supplied, CancellationToken ct)
    {
        var tenant = DecisionEndpoints.ScopedTenant(user);
        var v = await checkpoints.VerifyAsync(supplied, tenant, ct);
        if (tenant is not { } own)
        {
            return new VerificationReport
            {
                Intact = v.Intact,
                EntriesChecked = v.Chain.EntriesChecked,
                FirstBadSeq = v.FirstBadSeq,
                FirstBadId = v.FirstBadId,
                Problem = v.Problem,
                LastTrustedSeq = v.LastTrustedSeq,
                Anchors = v.Anchors,
                Warnings = v.Warnings.Count > 0 ? v.Warnings : null,
            };
        }

        // A tenant's auditor learns whether the log as a whole holds (its decisions are only as safe as
        // the chain around them), but no global count, no other tenant's ids, no position it could not
        // already see: sequence numbers only of its own decisions.
        var mine = !v.Intact && v.FirstBadTenantId == own;
        return new VerificationReport
        {
            Intact = v.Intact,
            Scope = "tenant",
            EntriesChecked = v.Chain.TenantEntriesChecked,
            FirstBadSeq = mine ? v.FirstBadSeq : null,
            FirstBadId = mine ? v.FirstBadId : null,
            Problem = v.Intact ? null : mine ? OwnProblem(v.Break) : TenantHidden,
            LastTrustedSeq = v.LastTrustedSeq is { } last ? await DecisionQueries.LatestOfTenantAsync(db, own, last, ct) : null,
            Warnings = v.Warnings.Count > 0 ? ["The log's checkpoints have warnings; an auditor with an unscoped key can see them."] : null,
        };
    }

    private static string OwnProblem(ChainBreak kind) => kind switch
    {
        ChainBreak.Edited => "This decision's content does not match its hash (edited).",
        ChainBreak.Unlinked => "This decision does not link to the entry before it (an entry before it was deleted, replaced or moved).",
        ChainBreak.Missing => "Entries just before this decision are missing (deleted).",
        ChainBreak.Rewritten => "This decision does not have the hash the log's checkpoint vouches for (rewritten and rehashed).",
        _ => TenantHidden,
    };

    private static async Task<Results<Created<Checkpoint>, ProblemHttpResult>> Create(HttpContext http, DecisionCheckpoints checkpoints, CancellationToken ct)
    {
        if (TenantScoped(http.User) is { } denied)
        {
            return denied;
        }

        var result = await checkpoints.CreateAsync(onlyIfHeadMoved: false, ct);
        return result.Status switch
        {
            CheckpointStatus.Created => TypedResults.Created("/v1/decisions/checkpoints", result.Checkpoint),
            CheckpointStatus.Empty => Problems.Conflict("Nothing to checkpoint.", "The decision log has no entries yet."),
            _ => ChainBroken(result),
        };
    }

    private static ProblemHttpResult ChainBroken(CheckpointResult result) =>
        TypedResults.Problem(
            title: "The decision log does not verify; nothing was signed.",
            detail: $"Entry {result.Failure?.FirstBadSeq}: {result.Failure?.Problem}.",
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["firstBadSeq"] = result.Failure?.FirstBadSeq, ["lastTrustedSeq"] = result.LastTrustedSeq });

    private static async Task<Results<Ok<CheckpointPage>, ProblemHttpResult>> List(
        HttpContext http, DecisionCheckpoints checkpoints, CancellationToken ct, int limit = DecisionQueries.DefaultLimit, long? cursor = null)
    {
        if (TenantScoped(http.User) is { } denied)
        {
            return denied;
        }

        if (DecisionQueries.CheckPage(limit, cursor) is { } badPage)
        {
            return badPage;
        }

        var (items, next) = await checkpoints.ListAsync(limit, cursor, ct);
        return TypedResults.Ok(new CheckpointPage(items, next));
    }

    private static Ok<CheckpointKey> Key(DecisionCheckpoints checkpoints) =>
        TypedResults.Ok(new CheckpointKey(checkpoints.KeyId, Checkpoint.Es256, checkpoints.PublicKeyPem));

    /// <summary>Checkpoints speak of the whole log (its length, its head): not for a key that sees one tenant.</summary>
    private static ProblemHttpResult? TenantScoped(ClaimsPrincipal user) =>
        user.TenantId() is null ? null : TypedResults.Problem(
            title: "Not for a tenant-scoped key.",
            detail: "Checkpoints and supplied heads describe the whole log; use an auditor key that is not scoped to a tenant.",
            statusCode: StatusCodes.Status403Forbidden);
}

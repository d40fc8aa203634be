using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Generation.Gates;
using Compliance.Policies.Engine;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Policies;

/// <summary>A candidate policy set (the files, as in <c>policies/</c>) and the decisions to replay it against.</summary>
internal sealed record ReplayRequest(IReadOnlyList<PolicyFileUpload>? Files, DateTimeOffset? From, DateTimeOffset? To, Guid? TenantId, int? Examples);

/// <summary>One policy file: its name (<c>NN-name.policy.yaml</c>, which orders the rules) and its YAML text.</summary>
internal sealed record PolicyFileUpload(string? Name, string? Content);

internal sealed class ReplayRequestValidator : AbstractValidator<ReplayRequest>
{
    public ReplayRequestValidator()
    {
        RuleFor(r => r.Files).NotEmpty().WithMessage("files must list at least one policy file.");
        RuleForEach(r => r.Files).ChildRules(f =>
        {
            f.RuleFor(x => x.Name).NotEmpty().WithMessage("each file needs a name.");
            f.RuleFor(x => x.Content).NotNull().WithMessage("each file needs its content.");
        });
        RuleFor(r => r.From).NotNull().WithMessage("from is required (the range is bounded).");
        RuleFor(r => r.To).NotNull().WithMessage("to is required (the range is bounded).");
        RuleFor(r => r.Examples).InclusiveBetween(0, 100).When(r => r.Examples is not null);
    }
}

internal static class ReplayEndpoints
{
    /// <summary>Replay may carry a whole policy set: 4 MiB instead of the default 1 MiB body.</summary>
    private const long MaxBodyBytes = 4L * 1024 * 1024;

    public static RouteHandlerBuilder MapPolicyReplay(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/policies/replay", Replay).RequireAuthorization(Roles.PolicyTesters).Validate<ReplayRequest>()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes))
            .WithTags("Policies").WithName("ReplayPolicies")
            .WithSummary("Evaluate a candidate policy set against the decisions recorded over a time range, without touching the log, and report what would change.");

    public static IServiceCollection AddPolicyReplay(this IServiceCollection services)
    {
        services.AddOptions<ReplayOptions>().BindConfiguration(ReplayOptions.Section)
            .Validate(o => o.MaxRange > TimeSpan.Zero && o.MaxDecisions > 0 && o.MaxExamplesPerTransition >= 0 && o.MaxFiles > 0 && o.MaxFileChars > 0,
                "Replay:* limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<PolicyReplay>();
        return services;
    }

    private static async Task<Results<Ok<ReplayReport>, ProblemHttpResult>> Replay(
        ReplayRequest request, HttpContext http, PolicyReplay replay, IPolicySource active, CancellationToken ct)
    {
        if (replay.CheckRange(request.From!.Value, request.To!.Value) is { } badRange)
        {
            return Problems.BadRequest("Bad range.", badRange);
        }

        var tenant = request.TenantId;
        if (http.User.TenantId() is { } scoped)
        {
            if (tenant is not null && tenant != scoped)
            {
                return TypedResults.Problem(title: "Not your tenant.", detail: "This key replays only its own tenant's decisions.", statusCode: StatusCodes.Status403Forbidden);
            }

            tenant = scoped;
        }

        var loaded = replay.Load(request.Files!.Select(f => new PolicySource(f.Name!, f.Content!)).ToList());
        if (loaded.Set is not { } candidate)
        {
            // A problem-details answer whose detail names the first file and line, and whose `errors` lists them all.
            return TypedResults.Problem(
                title: "The candidate policy set is invalid.",
                detail: $"{loaded.Errors[0]} ({loaded.Errors.Count} error(s) in all)",
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = loaded.Errors.Select(e => new { file = e.File, line = e.Line, message = e.Message }).ToList() });
        }

        var range = new ReplayRange(request.From.Value, request.To.Value, tenant, request.Examples ?? 5);
        return TypedResults.Ok(await replay.RunAsync(candidate, range, active.Current.Version, ct));
    }
}

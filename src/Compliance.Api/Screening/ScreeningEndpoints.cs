using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Screening;

internal static class ScreeningEndpoints
{
    public static RouteGroupBuilder MapScreening(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/screen").WithTags("Screening").RequireAuthorization(Roles.Platform);
        group.MapPost("/prompt", ScreenPrompt).Validate<ScreenPromptRequest>().WithName("ScreenPrompt")
            .WithSummary("Screen a prompt before generating: allow, block or review, with reasons, obligations and the policy version.");
        return group;
    }

    private static async Task<Ok<DecisionView>> ScreenPrompt(ScreenPromptRequest request, HttpContext http, PromptGate gate, CancellationToken ct) =>
        TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), request, ct));
}

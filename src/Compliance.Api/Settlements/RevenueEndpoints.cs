using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Settlements;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Settlements;

/// <summary>Platforms report the revenue of their released generations, in batches that are stored whole or not at all.</summary>
internal static class RevenueEndpoints
{
    public static RouteGroupBuilder MapRevenue(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/revenue").WithTags("Settlements").RequireAuthorization(Roles.Platform);
        group.MapPost("/", Report).Validate<RevenueBatchRequest>().WithName("ReportRevenue")
            .WithSummary("Report revenue lines of your released generations (a batch of up to Settlements:MaxBatchLines, default 1,000). All or nothing; a repeated line is a no-op, a reused line id with other content a 409.");
        return group;
    }

    private static async Task<Results<Ok<RevenueBatchReceipt>, ProblemHttpResult>> Report(
        RevenueBatchRequest request, HttpContext http, RevenueIntake intake, IOptions<SettlementOptions> options, CancellationToken ct)
    {
        var lines = request.Lines!.Select(l => new RevenueLineInput(
            l!.LineId!, l.GenerationId!.Value, l.AmountMinor!.Value, l.Currency!, l.Type!, l.Adjusts, l.OccurredAt!.Value)).ToList();
        var (receipt, refusal) = await intake.TakeAsync(http.User.RequiredTenantId(), lines, options.Value.Period, options.Value.FutureTolerance, ct);
        return refusal is { } r
            ? TypedResults.Problem(title: r.Title, detail: r.Detail, statusCode: r.Status)
            : TypedResults.Ok(receipt!);
    }
}

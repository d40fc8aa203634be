using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Infrastructure;

/// <summary>Expected failures as typed problem-details results (application/problem+json).</summary>
internal static class Problems
{
    public static ProblemHttpResult NotFound(string title, string? detail = null) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult Conflict(string title, string? detail = null) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict);

    public static ProblemHttpResult BadRequest(string title, string? detail = null) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest);
}

using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Compliance.Api.Screening;

internal static class ScreeningEndpoints
{
    public static RouteGroupBuilder MapScreening(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/screen").WithTags("Screening").RequireAuthorization(Roles.Platform);
        group.MapPost("/prompt", ScreenPrompt).Validate<ScreenPromptRequest>().WithName("ScreenPrompt")
            .WithSummary("Screen a prompt before generating: allow, block or review, with reasons, obligations and the policy version.");
        group.MapPost("/image", ScreenImage).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(MediaTypes.MaxImageBytes + (64 * 1024)))
            .Accepts<IFormFile>("multipart/form-data").WithName("ScreenImage")
            .WithSummary("Screen an uploaded image (multipart field 'file': PNG, JPEG or WebP, at most 20 MiB) against reference banks.");
        group.MapPost("/video", ScreenVideo).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(VideoGate.MaxVideoBytes + (64 * 1024)))
            .Accepts<IFormFile>("multipart/form-data").WithName("ScreenVideo")
            .WithSummary("Screen an uploaded video (multipart field 'file', at most 200 MiB and 10 minutes): frames sampled at 1 fps plus scene changes, one decision with per-frame evidence.");
        return group;
    }

    private static async Task<Results<Ok<DecisionView>, ProblemHttpResult>> ScreenVideo(HttpContext http, VideoGate gate, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            return TypedResults.Problem(title: "Expected multipart/form-data with a 'file' field.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var form = await http.Request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return TypedResults.Problem(title: file is null ? "The multipart field 'file' is missing." : "The uploaded file is empty.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (file.Length > VideoGate.MaxVideoBytes)
        {
            return TypedResults.Problem(title: $"The video is {file.Length} bytes; the limit is {VideoGate.MaxVideoBytes}.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var contexts = form["contexts"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (contexts.FirstOrDefault(c => !Grants.ContentContexts.All.Contains(c)) is { } unknown)
        {
            return TypedResults.Problem(title: $"Unknown context '{unknown}'.", statusCode: StatusCodes.Status400BadRequest);
        }

        var account = form["account"].ToString();
        return TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), file, account.Length == 0 ? null : account, contexts, ct));
    }

    private static async Task<Results<Ok<DecisionView>, ProblemHttpResult>> ScreenImage(HttpContext http, ImageGate gate, CancellationToken ct)
    {
        var upload = await Uploads.ReadAsync(http, MediaTypes.MaxImageBytes, ct);
        if (upload.Problem is not null)
        {
            return upload.Problem;
        }

        return TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), upload.Bytes!, upload.Account, upload.Contexts, ct));
    }

    private static async Task<Ok<DecisionView>> ScreenPrompt(ScreenPromptRequest request, HttpContext http, PromptGate gate, CancellationToken ct) =>
        TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), request, ct));
}

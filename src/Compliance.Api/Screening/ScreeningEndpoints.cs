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
        var form = await Uploads.ReadFormAsync(http, VideoGate.MaxVideoBytes, ct);
        if (form.Problem is not null)
        {
            return form.Problem;
        }

        return TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), form.File!, form.Account, form.Contexts, ct));
    }

    private static async Task<Results<Ok<DecisionView>, ProblemHttpResult>> ScreenImage(HttpContext http, ImageGate gate, DecodeGate decoding, CancellationToken ct)
    {
        using var upload = await Uploads.ReadForDecodingAsync(http, decoding, MediaTypes.MaxImageBytes, ct);
        if (upload.Problem is not null)
        {
            return upload.Problem;
        }

        return TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), upload.Bytes!, upload.Account, upload.Contexts, ct));
    }

    private static async Task<Ok<DecisionView>> ScreenPrompt(ScreenPromptRequest request, HttpContext http, PromptGate gate, CancellationToken ct) =>
        TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), request, ct));
}

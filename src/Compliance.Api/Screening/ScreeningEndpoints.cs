using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Generation.Frames;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Compliance.Generation.Gates;

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
        // The video upload limit is the sampler's own (Video:MaxFileBytes): one limit, read where it is enforced.
        var video = app.ServiceProvider.GetRequiredService<IOptions<FrameSamplerOptions>>().Value;
        group.MapPost("/video", ScreenVideo).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(video.MaxFileBytes + (64 * 1024)))
            .Accepts<IFormFile>("multipart/form-data").WithName("ScreenVideo")
            .WithSummary($"Screen an uploaded video (multipart field 'file': MP4/MOV/3GP, Matroska/WebM or AVI, at most {video.MaxFileBytes / (1024 * 1024)} MiB "
                + $"and {video.MaxDuration.TotalMinutes:0.#} minutes): frames sampled over the whole video plus scene changes, one decision with per-frame evidence and coverage.");
        return group;
    }

    private static async Task<Results<Ok<DecisionView>, ProblemHttpResult>> ScreenVideo(HttpContext http, VideoGate gate, MediaProcessGate processing, CancellationToken ct)
    {
        var form = await Uploads.ReadFormAsync(http, gate.MaxUploadBytes, ct);
        if (form.Problem is not null)
        {
            return form.Problem;
        }

        // The body is on disk by now (the form reader spools it): a slow client holds no slot while it uploads.
        using var slot = await processing.EnterAsync(ct);
        await using var upload = form.File!.OpenReadStream();
        return TypedResults.Ok(await gate.ScreenAsync(http.User.RequiredTenantId(), upload, form.Account, form.Contexts, ct));
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

    // Answered from the JSON the log stored for the decision: the same bytes as serialising it again, written once.
    private static async Task<RecordedDecisionResult> ScreenPrompt(ScreenPromptRequest request, HttpContext http, PromptGate gate, CancellationToken ct) =>
        new(await gate.ScreenAsync(http.User.RequiredTenantId(), new PromptToScreen(request.Prompt!, request.Account, request.Contexts ?? []), ct));
}

using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Request size limits: <see cref="MaxBodyBytes"/> for every endpoint unless it declares its own
/// (<see cref="IRequestSizeLimitMetadata"/>, e.g. uploads). The limit is handed to the server, which
/// enforces it while reading any body; a declared oversize Content-Length is answered at once with a
/// 413 problem, before a byte of the body is read. Runs after routing, so it sees the endpoint.
/// </summary>
internal static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? MaxBodyBytes;
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }

            if (http.Request.ContentLength > limit)
            {
                http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = 413, Title = "The request body is too large.", Detail = $"This endpoint accepts at most {limit} bytes." },
                });
                return;
            }

            await next(http);
        });
}

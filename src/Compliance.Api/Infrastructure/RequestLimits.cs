using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Request size limits: <see cref="MaxBodyBytes"/> for every endpoint unless it declares its own
/// (<see cref="IRequestSizeLimitMetadata"/>, e.g. uploads). The limit is handed to the server, which
/// enforces it while reading any body; a declared oversize Content-Length is answered at once with a
/// 413 problem, before a byte of the body is read. A body in a charset .NET cannot decode is a 415
/// problem here rather than an exception in the JSON or form reader (a 500). Runs after routing, so it
/// sees the endpoint. Header limits are Kestrel's (set in <c>AddComplianceHttp</c>): a request over them
/// is refused with a bare 431 (headers) or 414 (request line) before any of this runs.
/// </summary>
internal static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>All request headers together (Kestrel's default, made explicit because docs/api.md states it).</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Number of request headers (Kestrel's default).</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>The request line: method, path and query (Kestrel's default).</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

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

            if (UnknownCharset(http.Request.ContentType) is { } charset)
            {
                http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = 415, Title = "The request body's charset is not supported.",
                        Detail = $"'{charset}' is not an encoding this server can decode; send UTF-8 (or leave charset out).",
                    },
                });
                return;
            }

            await next(http);
        });

    /// <summary>The Content-Type's charset when .NET has no such encoding (what the JSON and form readers would throw on), else null.</summary>
    private static string? UnknownCharset(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.Charset.Length == 0)
        {
            return null;
        }

        var charset = media.Charset.ToString().Trim('"');
        try
        {
            _ = Encoding.GetEncoding(charset);
            return null;
        }
        catch (ArgumentException)
        {
            return charset;
        }
    }
}

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Request size limits. Kestrel enforces <see cref="MaxBodyBytes"/> while reading any body; this
/// middleware also answers a declared oversize Content-Length at once with a 413 problem, before a
/// byte of the body is read.
/// </summary>
internal static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes)
            {
                http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = 413, Title = "The request body is too large.", Detail = $"Bodies are limited to {MaxBodyBytes} bytes." },
                });
                return;
            }

            await next(http);
        });
}

using System.Globalization;
using System.Text.Json;
using Compliance.Api.Screening;
using Compliance.Audio;
using Compliance.Generation.Frames;
using Compliance.Imaging.Decoding;
using Compliance.Storage.Decisions;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Maps the exceptions we expect to problem details: malformed or oversized requests are the
/// caller's 4xx, and so is a value the database refused as data (it would fail the same way on
/// every retry); an unavailable database or decision log is a 503 (and the request is not answered
/// as allowed), as is a full decode queue, with Retry-After. Anything else is a 500 that says
/// nothing internal.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Too big is 413, not an image we accept is 415, broken bytes are 400.</summary>
    private static int ImageStatus(ImageRejectionReason reason) => reason switch
    {
        ImageRejectionReason.TooLarge or ImageRejectionReason.TooManyBytes => StatusCodes.Status413PayloadTooLarge,
        ImageRejectionReason.UnrecognisedFormat => StatusCodes.Status415UnsupportedMediaType,
        _ => StatusCodes.Status400BadRequest,
    };

    private static int VideoStatus(VideoRejectionReason reason) => reason switch
    {
        VideoRejectionReason.TooLarge => StatusCodes.Status413PayloadTooLarge,
        VideoRejectionReason.NotAVideo => StatusCodes.Status415UnsupportedMediaType,
        VideoRejectionReason.TooLong or VideoRejectionReason.Timeout => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>Not audio we accept is 415, too big 413; too long, too many channels, undecodable or out of time 422.</summary>
    private static int AudioStatus(AudioRejectionReason reason) => reason switch
    {
        AudioRejectionReason.NotAudio => StatusCodes.Status415UnsupportedMediaType,
        AudioRejectionReason.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => (400, "The request body is not valid JSON.", json.Message),
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == 413 ? "The request body is too large." : "The request is malformed.", bad.Message),
            JsonException json => (400, "The request body is not valid JSON.", json.Message),
            ImageRejectedException image => (ImageStatus(image.Reason), "The image was rejected: " + image.Reason, image.Message),
            InvalidDataException data => (400, "The request body is malformed.", data.Message),
            AudioRejectedException audio => (AudioStatus(audio.Reason), "The audio was rejected: " + audio.Reason, audio.Message),
            VideoRejectedException video => (VideoStatus(video.Reason), "The video was rejected: " + video.Reason, video.Message),
            DecisionLogUnavailableException => (503, "The decision could not be recorded, so none is given.", "Retry later."),
            ServerBusyException busy => (503, "The server is busy with other uploads.", busy.Message + " Retry later."),
            PostgresException { SqlState: var state } pg when state.StartsWith("22", StringComparison.Ordinal) =>
                (400, "The request contains a value the database cannot store.", $"{pg.MessageText} (SQLSTATE {state})"),
            PostgresException { SqlState: var state } pg when state.StartsWith("23", StringComparison.Ordinal) =>
                (409, "The request conflicts with data already stored.", $"{pg.MessageText} (SQLSTATE {state})"),
            NpgsqlException or TimeoutException => (503, "The database is unavailable.", "Retry later."),
            _ => (500, "Unexpected error.", null as string),
        };
        if (exception is ServerBusyException { RetryAfter: var retryAfter })
        {
            // Busy is capacity working as designed, not a fault: a warning, and when to come back.
            logger.LogWarning("Request {Method} {Path} turned away: {Reason}", httpContext.Request.Method, httpContext.Request.Path, exception.Message);
            httpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed with {Status}", httpContext.Request.Method, httpContext.Request.Path, status);
        }

        httpContext.Response.StatusCode = status;

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text;
using Compliance.Generation.Gates;
using Microsoft.AspNetCore.Http.Metadata;

namespace Compliance.Api.Screening;

/// <summary>
/// 200 with a recorded decision, written from the JSON the decision log stored for it where that gives the same bytes:
/// the payload is the same view serialised without its sequence number (not known yet), so the answer is the payload
/// with <c>"sequence":N</c> put back after <c>decisionId</c>. The log escapes with the default encoder and the API with
/// the relaxed one (apostrophes, <c>+</c>, <c>&lt;</c> and non-ASCII text are <c>\uXXXX</c> in the log, raw in the
/// answer), so a payload holding any <c>\u</c> escape is serialised afresh; one without is written identically by both
/// (RecordedDecisionResponseTests pins this). A view that was not recorded as-is (a copy) is serialised afresh too.
/// </summary>
internal sealed class RecordedDecisionResult(DecisionView view) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<DecisionView>
{
    private const string ContentType = "application/json; charset=utf-8";

    public DecisionView Value => view;

    object? IValueHttpResult.Value => view;

    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (Splice(view) is not { } at)
        {
            return TypedResults.Ok(view).ExecuteAsync(httpContext);
        }

        var payload = view.Logged!.Payload.AsSpan();
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        Span<byte> sequence = stackalloc byte[32];
        var length = Encoding.UTF8.GetBytes(",\"sequence\":", sequence);
        if (!view.Sequence!.Value.TryFormat(sequence[length..], out var digits, default, CultureInfo.InvariantCulture))
        {
            return TypedResults.Ok(view).ExecuteAsync(httpContext);
        }

        length += digits;
        var body = response.BodyWriter;
        Encoding.UTF8.GetBytes(payload[..at], body);
        body.Write(sequence[..length]);
        Encoding.UTF8.GetBytes(payload[at..], body);
        return body.FlushAsync(httpContext.RequestAborted).AsTask();
    }

    /// <summary>
    /// Where <c>"sequence":N</c> goes in the stored payload (right after the decision id, the first member: the record's
    /// member order, which the serialiser keeps), or null when this view cannot be answered from it: not the view that
    /// was recorded, or a payload with a <c>\u</c> escape, which the API's relaxed encoder might write differently.
    /// </summary>
    internal static int? Splice(DecisionView view)
    {
        if (view.Logged is not { } logged || !ReferenceEquals(logged.For, view) || view.Sequence is null)
        {
            return null;
        }

        const string Prefix = "{\"decisionId\":\"";
        var at = Prefix.Length + 36 + 1;
        var payload = logged.Payload;
        return payload.Length > at && payload.StartsWith(Prefix, StringComparison.Ordinal) && payload[at - 1] == '"' && payload[at] == ','
            && !payload.Contains("\\u", StringComparison.Ordinal)
            ? at
            : null;
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(DecisionView), ["application/json"]));
    }
}

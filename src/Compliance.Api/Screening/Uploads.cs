using Compliance.Api.Grants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Screening;

/// <summary>A multipart upload read into memory, or the problem that stopped it.</summary>
internal sealed record Upload(byte[]? Bytes, string? FileName, string? Account, IReadOnlyList<string> Contexts, ProblemHttpResult? Problem);

internal static class Uploads
{
    /// <summary>Reads the multipart field <c>file</c> (plus optional <c>account</c> and <c>contexts</c> fields) with a size limit.</summary>
    public static async Task<Upload> ReadAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            return Fail(StatusCodes.Status415UnsupportedMediaType, "Expected multipart/form-data with a 'file' field.");
        }

        var form = await http.Request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        if (file is null)
        {
            return Fail(StatusCodes.Status400BadRequest, "The multipart field 'file' is missing.");
        }

        if (file.Length == 0)
        {
            return Fail(StatusCodes.Status400BadRequest, "The uploaded file is empty.");
        }

        if (file.Length > maxBytes)
        {
            return Fail(StatusCodes.Status413PayloadTooLarge, $"The uploaded file is {file.Length} bytes; the limit is {maxBytes}.");
        }

        var contexts = form["contexts"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (contexts.FirstOrDefault(c => !ContentContexts.All.Contains(c)) is { } unknown)
        {
            return Fail(StatusCodes.Status400BadRequest, $"Unknown context '{unknown}'; known: {string.Join(", ", ContentContexts.All)}.");
        }

        var account = form["account"].ToString();
        if (account.Length > 200)
        {
            return Fail(StatusCodes.Status400BadRequest, "account must be at most 200 characters.");
        }

        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, ct);
        }

        return new Upload(bytes, file.FileName, account.Length == 0 ? null : account, contexts, null);
    }

    private static Upload Fail(int status, string title) =>
        new(null, null, null, [], TypedResults.Problem(title: title, statusCode: status));
}

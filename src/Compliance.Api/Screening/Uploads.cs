using Compliance.Api.Grants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Screening;

/// <summary>A multipart upload's file field (not yet read) and its optional <c>account</c> and <c>contexts</c> fields, or the problem that stopped it.</summary>
internal sealed record UploadForm(IFormFile? File, string? Account, IReadOnlyList<string> Contexts, ProblemHttpResult? Problem);

/// <summary>A multipart upload read into memory, or the problem that stopped it.</summary>
internal sealed record Upload(byte[]? Bytes, string? FileName, string? Account, IReadOnlyList<string> Contexts, ProblemHttpResult? Problem);

internal static class Uploads
{
    /// <summary>Parses the form: the non-empty <c>file</c> field within <paramref name="maxBytes"/>, and the optional fields, validated.</summary>
    public static async Task<UploadForm> ReadFormAsync(HttpContext http, long maxBytes, CancellationToken ct)
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

        return new UploadForm(file, account.Length == 0 ? null : account, contexts, null);
    }

    /// <summary>Reads the form and the file's bytes into memory (images: at most 20 MiB).</summary>
    public static async Task<Upload> ReadAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        var form = await ReadFormAsync(http, maxBytes, ct);
        if (form.Problem is not null)
        {
            return new Upload(null, null, null, [], form.Problem);
        }

        var bytes = new byte[form.File!.Length];
        await using (var stream = form.File.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, ct);
        }

        return new Upload(bytes, form.File.FileName, form.Account, form.Contexts, null);
    }

    private static UploadForm Fail(int status, string title) =>
        new(null, null, [], TypedResults.Problem(title: title, statusCode: status));
}

using Compliance.Api.Grants;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Screening;

/// <summary>A multipart upload's file field (not yet read) and its optional <c>account</c> and <c>contexts</c> fields, or the problem that stopped it.</summary>
internal sealed record UploadForm(IFormFile? File, string? Account, IReadOnlyList<string> Contexts, ProblemHttpResult? Problem);

/// <summary>
/// A multipart upload read into memory, or the problem that stopped it. It holds a decode slot
/// (<see cref="DecodeGate"/>) until disposed.
/// </summary>
internal sealed record Upload(byte[]? Bytes, string? FileName, string? Account, IReadOnlyList<string> Contexts, ProblemHttpResult? Problem, IDisposable? Slot = null)
    : IDisposable
{
    public void Dispose() => Slot?.Dispose();
}

internal static class Uploads
{
    /// <summary>
    /// Parses the form: the non-empty <c>file</c> field within <paramref name="maxBytes"/>, and the optional fields, validated.
    /// A body that is not well-formed multipart (ends early, wrong or missing boundary) is a 400, as is text
    /// (the file's name, <c>account</c>) that could not be stored.
    /// </summary>
    public static async Task<UploadForm> ReadFormAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            return Fail(StatusCodes.Status415UnsupportedMediaType, "Expected multipart/form-data with a 'file' field.");
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            // The form reader's words for a malformed body: "Missing content-type boundary", "Unexpected end of
            // Stream", "Multipart boundary length limit 70 exceeded". A client that went away is not answered.
            return Fail(StatusCodes.Status400BadRequest, "The multipart body is malformed.", ex.Message);
        }

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

        var unstorable = new Dictionary<string, string[]>();
        foreach (var (field, text) in new[] { ("file", file.FileName), ("account", account) })
        {
            if (StorableText.Problem(text) is { } problem)
            {
                unstorable[field] = [problem];
            }
        }

        if (unstorable.Count > 0)
        {
            return new UploadForm(null, null, [], TypedResults.Problem(new HttpValidationProblemDetails(unstorable)
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "One or more validation errors occurred.",
            }));
        }

        return new UploadForm(file, account.Length == 0 ? null : account, contexts, null);
    }

    /// <summary>
    /// Reads the form, then waits for a decode slot, and only then reads the file's bytes into memory (images: at
    /// most 20 MiB): the form reader buffers files past 64 KiB to disk, so uploads waiting for a slot hold no image
    /// in memory. The slot is held until the upload is disposed.
    /// </summary>
    /// <exception cref="ServerBusyException">No slot: the decode queue is full.</exception>
    public static async Task<Upload> ReadForDecodingAsync(HttpContext http, DecodeGate gate, long maxBytes, CancellationToken ct)
    {
        var form = await ReadFormAsync(http, maxBytes, ct);
        if (form.Problem is not null)
        {
            return new Upload(null, null, null, [], form.Problem);
        }

        var slot = await gate.EnterAsync(ct);
        var handedOver = false;
        try
        {
            var bytes = new byte[form.File!.Length];
            await using (var stream = form.File.OpenReadStream())
            {
                await stream.ReadExactlyAsync(bytes, ct);
            }

            handedOver = true;
            return new Upload(bytes, form.File.FileName, form.Account, form.Contexts, null, slot);
        }
        finally
        {
            if (!handedOver)
            {
                slot.Dispose();
            }
        }
    }

    private static UploadForm Fail(int status, string title, string? detail = null) =>
        new(null, null, [], TypedResults.Problem(title: title, detail: detail, statusCode: status));
}

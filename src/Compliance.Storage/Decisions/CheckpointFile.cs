using System.Text;
using System.Text.Json;

namespace Compliance.Storage.Decisions;

/// <summary>
/// The copy of every checkpoint kept outside the database: one JSON object per line, appended, never
/// rewritten. Appends hold an exclusive lock on the file and reads a shared one (advisory locks, which
/// .NET takes for <see cref="FileShare"/> on Unix), so nodes sharing the file never interleave lines.
/// </summary>
public sealed class CheckpointFile(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Appends one checkpoint as one line and flushes it to disk before returning.</summary>
    public async Task AppendAsync(Checkpoint checkpoint, CancellationToken ct = default)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(checkpoint, Json) + "\n");
        await using var stream = await OpenAsync(() => new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.None), ct);
        await stream.WriteAsync(line, ct);
        await stream.FlushAsync(ct);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Every checkpoint in the file, in file order, and how many lines could not be read as one.</summary>
    public async Task<(IReadOnlyList<Checkpoint> Checkpoints, int Unreadable)> ReadAllAsync(CancellationToken ct = default)
    {
        if (!File.Exists(Path))
        {
            return ([], 0);
        }

        var checkpoints = new List<Checkpoint>();
        var unreadable = 0;
        await using var stream = await OpenAsync(() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<Checkpoint>(line, Json) is { HeadSha256: not null, KeyId: not null, Signature: not null } checkpoint)
                {
                    checkpoints.Add(checkpoint);
                    continue;
                }
            }
            catch (JsonException)
            {
                // Counted below: a damaged line is reported, never trusted, and does not hide the others.
            }

            unreadable++;
        }

        return (checkpoints, unreadable);
    }

    private static async Task<FileStream> OpenAsync(Func<FileStream> open, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                return open();
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && DateTime.UtcNow < deadline)
            {
                // Another node holds the file for a moment; a sharing violation is the only expected cause.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25)), ct);
            }
        }
    }
}

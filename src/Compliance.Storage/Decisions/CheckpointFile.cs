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
        var (checkpoints, unreadable, _, _) = await ReadFromAsync(0, ct);
        return (checkpoints, unreadable);
    }

    /// <summary>
    /// The checkpoints in complete lines after byte <paramref name="offset"/>, and the offset to continue
    /// from. When the file is shorter than <paramref name="offset"/> (replaced or rotated) it is read
    /// from the start and <c>Restarted</c> says so.
    /// </summary>
    public async Task<(IReadOnlyList<Checkpoint> Checkpoints, int Unreadable, long End, bool Restarted)> ReadFromAsync(long offset, CancellationToken ct = default)
    {
        if (!File.Exists(Path))
        {
            return ([], 0, 0, offset > 0);
        }

        byte[] tail;
        var restarted = false;
        await using (var stream = await OpenAsync(() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), ct))
        {
            if (stream.Length < offset)
            {
                (offset, restarted) = (0, true);
            }

            stream.Position = offset;
            tail = new byte[stream.Length - offset];
            await stream.ReadExactlyAsync(tail, ct);
        }

        // Only whole lines: a line being appended right now is read next time.
        var complete = Array.LastIndexOf(tail, (byte)'\n') + 1;
        var checkpoints = new List<Checkpoint>();
        var unreadable = 0;
        foreach (var line in Encoding.UTF8.GetString(tail, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
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

        return (checkpoints, unreadable, offset + complete, restarted);
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

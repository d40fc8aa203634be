using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Compliance.Audio;

/// <summary>What a bounded child process left behind.</summary>
internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError, bool OutputTruncated);

/// <summary>
/// Runs a tool with no shell, arguments passed one by one, an address-space limit (util-linux <c>prlimit</c>, when it is
/// on the machine), a cap on what is read back, and the whole process tree killed when the caller's token fires.
/// </summary>
internal static class BoundedProcess
{
    private const int StandardErrorKeep = 4096;
    private static readonly Lazy<string?> Prlimit = new(() => FindOnPath("prlimit"));

    public static async Task<ProcessOutcome> RunAsync(
        string tool, IReadOnlyList<string> arguments, long memoryBytes, int maxOutputChars, CancellationToken ct)
    {
        var startInfo = Prlimit.Value is { } prlimit
            ? new ProcessStartInfo(prlimit) { ArgumentList = { $"--as={memoryBytes}", "--core=0", "--" , tool } }
            : new ProcessStartInfo(tool);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        startInfo.UseShellExecute = false;

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{tool} did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"{tool} could not be started; is it installed (scripts/setup.sh)?", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            using var killOnCancel = ct.Register(static state => Kill((Process)state!), process);
            var stdout = ReadBoundedAsync(process.StandardOutput, maxOutputChars, process);
            var stderr = ReadBoundedAsync(process.StandardError, StandardErrorKeep, process: null);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                var (output, truncated) = await stdout.ConfigureAwait(false);
                var (error, _) = await stderr.ConfigureAwait(false);
                return new ProcessOutcome(process.ExitCode, output, error, truncated);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                throw;
            }
        }
    }

    // Keeps at most `limit` characters; past that a tool writing without end is killed (stdout) or merely ignored (stderr).
    private static async Task<(string Text, bool Truncated)> ReadBoundedAsync(StreamReader reader, int limit, Process? process)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        var truncated = false;
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = limit - text.Length;
            if (room > 0)
            {
                text.Append(buffer, 0, Math.Min(room, read));
            }

            if (read > room && !truncated)
            {
                truncated = true;
                if (process is not null)
                {
                    Kill(process);
                }
            }
        }

        return (text.ToString(), truncated);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It already exited.
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}

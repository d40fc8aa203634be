using System.Globalization;
using Compliance.Imaging.Decoding;

// compliance-imaging pdq [--jobs N] [--decoder vips|skia] FILE... : one "pdq_hash,quality,file" line per image on
// stdout, in the order the files were given (the reference pdq-photo-hasher's format); failures go to stderr and make
// the exit code 1. Files are hashed on N workers (default: every core), each reusing its own buffers.
if (args.Length < 2 || args[0] != "pdq")
{
    return Usage();
}

var jobs = Environment.ProcessorCount;
var decoder = PdqFileDecoder.Vips;
var first = 1;
while (first < args.Length && args[first].StartsWith("--", StringComparison.Ordinal))
{
    var option = args[first];
    var value = first + 1 < args.Length ? args[first + 1] : null;
    switch (option)
    {
        case "--jobs" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
            jobs = n;
            break;
        case "--decoder" when Enum.TryParse<PdqFileDecoder>(value, ignoreCase: true, out var d) && Enum.IsDefined(d):
            decoder = d;
            break;
        default:
            await Console.Error.WriteLineAsync($"bad option {option} {value}");
            return Usage();
    }

    first += 2;
}

var files = args[first..];
var limits = new SafeImageDecoder();
var lines = new string?[files.Length];
var failures = new string?[files.Length];
var printed = 0;
var failed = 0;
var output = new object();
using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };

Parallel.For(
    0,
    files.Length,
    new ParallelOptions { MaxDegreeOfParallelism = jobs },
    () => new PdqFileHasher(limits, decoder),
    (i, _, hasher) =>
    {
        var file = files[i];
        try
        {
            var result = hasher.Hash(file);
            lines[i] = string.Create(CultureInfo.InvariantCulture, $"{result.Hash},{result.Quality},{file}");
        }
        catch (ImageRejectedException ex)
        {
            failures[i] = $"{file}: rejected ({ex.Reason}): {ex.Message}";
        }
        catch (IOException ex)
        {
            failures[i] = $"{file}: {ex.Message}";
        }
        catch (UnauthorizedAccessException ex)
        {
            failures[i] = $"{file}: {ex.Message}";
        }

        // Lines leave in input order: whoever finishes the next file due writes every finished one after it.
        lock (output)
        {
            while (printed < files.Length && (lines[printed] is not null || failures[printed] is not null))
            {
                if (lines[printed] is { } line)
                {
                    stdout.WriteLine(line);
                    lines[printed] = null;
                }
                else
                {
                    Console.Error.WriteLine(failures[printed]);
                    failures[printed] = null;
                    failed++;
                }

                printed++;
            }
        }

        return hasher;
    },
    _ => { });

stdout.Flush();
return failed == 0 ? 0 : 1;

static int Usage()
{
    Console.Error.WriteLine("usage: compliance-imaging pdq [--jobs N] [--decoder vips|skia] FILE...");
    return 2;
}

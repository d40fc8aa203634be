using System.Globalization;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;

// compliance-imaging pdq FILE... : one "pdq_hash,quality,file" line per image on stdout (the
// reference pdq-photo-hasher's format); failures go to stderr and make the exit code 1.
if (args.Length < 2 || args[0] != "pdq")
{
    await Console.Error.WriteLineAsync("usage: compliance-imaging pdq FILE...");
    return 2;
}

var decoder = new SafeImageDecoder();
var failed = 0;
foreach (var file in args.Skip(1))
{
    try
    {
        var result = PdqHasher.Hash(decoder.DecodeFile(file));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Hash},{result.Quality},{file}"));
    }
    catch (ImageRejectedException ex)
    {
        failed++;
        await Console.Error.WriteLineAsync($"{file}: rejected ({ex.Reason}): {ex.Message}");
    }
    catch (IOException ex)
    {
        failed++;
        await Console.Error.WriteLineAsync($"{file}: {ex.Message}");
    }
    catch (UnauthorizedAccessException ex)
    {
        failed++;
        await Console.Error.WriteLineAsync($"{file}: {ex.Message}");
    }
}

return failed == 0 ? 0 : 1;

using System.Globalization;
using BenchmarkDotNet.Running;
using Compliance.Imaging.Bench;

// dotnet run -c Release --project bench/Compliance.Imaging.Bench -- pdq            (BenchmarkDotNet, hashing)
// dotnet run -c Release --project bench/Compliance.Imaging.Bench -- index [N...]   (custom loop, radius queries)
// dotnet run -c Release --project bench/Compliance.Imaging.Bench -- embedding      (BenchmarkDotNet, ResNet18 + cosine index)
// dotnet run -c Release --project bench/Compliance.Imaging.Bench -- decode [ITERATIONS]              (SkiaSharp vs libvips, same files)
// dotnet run -c Release --project bench/Compliance.Imaging.Bench -- cli [REPEAT] [ROUNDS] [png|jpg]  (whole processes; PDQ_REFERENCE_BIN)
// dotnet run -c Release --project bench/Compliance.Imaging.Bench -- image-path [repo root] [frames]  (custom loop, per frame)
if (args.Length > 0 && args[0] == "image-path")
{
    ImagePathBench.Run(args.Length > 1 ? args[1] : ".", args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20);
    return 0;
}

if (args.Length > 0 && args[0] == "index")
{
    var sizes = args.Length > 1 ? args.Skip(1).Select(int.Parse).ToArray() : [1_000_000, 10_000_000];
    foreach (var size in sizes)
    {
        IndexQueryBench.Run(size);
    }

    return 0;
}

if (args.Length > 0 && args[0] == "decode")
{
    DecodeBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10);
    return 0;
}

if (args.Length > 0 && args[0] == "cli")
{
    return CliBench.Run(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5,
        args.Length > 3 ? args[3] : null);
}

if (args.Length > 0 && args[0] == "embedding")
{
    BenchmarkSwitcher.FromTypes([typeof(EmbeddingBenchmarks), typeof(EmbeddingIndexBenchmarks)]).Run(args[1..]);
    return 0;
}

BenchmarkSwitcher.FromTypes([typeof(PdqHashBenchmarks)]).Run(args.Length > 0 && args[0] == "pdq" ? args[1..] : args);
return 0;

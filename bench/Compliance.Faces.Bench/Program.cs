using BenchmarkDotNet.Running;
using Compliance.Faces.Bench;

// dotnet run -c Release --project bench/Compliance.Faces.Bench -- pipeline        (BenchmarkDotNet, detect + align + embed)
// dotnet run -c Release --project bench/Compliance.Faces.Bench -- index [N...]    (custom loop, top-k search vs LINQ)
if (args.Length > 0 && args[0] == "index")
{
    var sizes = args.Length > 1 ? args.Skip(1).Select(int.Parse).ToArray() : [100_000];
    foreach (var size in sizes)
    {
        IndexSearchBench.Run(size);
    }

    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(PipelineBenchmarks).Assembly).Run(args.Length > 0 && args[0] == "pipeline" ? args[1..] : args);
return 0;

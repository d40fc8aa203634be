using BenchmarkDotNet.Running;
using Compliance.Faces.Bench;

// dotnet run -c Release --project bench/Compliance.Faces.Bench -- pipeline        (BenchmarkDotNet, detect + align + embed)
// dotnet run -c Release --project bench/Compliance.Faces.Bench -- index [N...]    (custom loop, top-k search vs LINQ)
// dotnet run -c Release --project bench/Compliance.Faces.Bench -- search N [queries] [exact queries] [probes[:prefilter[:rerank]],... (0 = default)] [identities,random]
//                                                  (FaceSearchIndex: IVF of 1-bit rows + exact float re-rank vs its exact scan; recall)
if (args.Length > 1 && args[0] == "search")
{
    var size = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
    var queries = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000;
    var exact = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : queries;
    var probes = args.Length > 4 ? args[4].Split(',') : ["0"];
    var dataSets = args.Length > 5 ? args[5].Split(',') : ["identities", "random"];
    FaceSearchBench.Run(size, queries, Math.Min(exact, queries), probes, dataSets);
    return 0;
}

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

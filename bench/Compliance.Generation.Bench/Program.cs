using BenchmarkDotNet.Running;
using Compliance.Generation.Bench;

// dotnet run -c Release --project bench/Compliance.Generation.Bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(FrameSamplingBenchmarks).Assembly).Run(args);

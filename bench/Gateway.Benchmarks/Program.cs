using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Gateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.HitPathBenchmarks).Assembly).Run(args);

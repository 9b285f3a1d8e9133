// DurableMigration benchmarks. Usage:
//   dotnet run -c Release --project bench/DurableMigration.Bench -- engine [--quick]
//   dotnet run -c Release --project bench/DurableMigration.Bench -- wave [--quick] [--no-copy | --no-wave | --engine-only]
//   dotnet run -c Release --project bench/DurableMigration.Bench -- azure-storage [--quick]   (the Azure Storage part of engine alone)
//   dotnet run -c Release --project bench/DurableMigration.Bench -- postgres [--quick]   (copy vs pg_dump, online cutover's write-blocked window)
// Prints each figure with its ratio to a baseline, and ends with one RESULT line per metric.
using DurableMigration.Bench;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: DurableMigration.Bench engine|wave|azure-storage|postgres [--quick] [--no-copy | --no-wave | --engine-only]");
    return args.Length == 0 ? 2 : 0;
}

bool quick = args.Contains("--quick");
switch (args[0])
{
    case "engine":
        await EngineBenchmark.RunAsync(quick);
        return 0;
    case "wave":
        if (args.Contains("--no-wave"))
        {
            await WaveBenchmark.RunCopyAsync(quick);
        }
        else
        {
            await WaveBenchmark.RunAsync(quick, skipCopy: args.Contains("--no-copy"), engineOnly: args.Contains("--engine-only"));
        }

        return 0;
    case "azure-storage":
        foreach (var (metric, value) in await AzureStorageBenchmark.MeasureEngineAsync(quick))
        {
            Console.WriteLine(FormattableString.Invariant($"RESULT azure_storage_{metric} {value:F1} activities/s"));
        }

        await AzureStorageBenchmark.RunWaveAsync(quick);
        return 0;
    case "postgres":
        await PostgresBenchmark.RunAsync(quick);
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{args[0]}'; known: engine, wave, azure-storage, postgres");
        return 2;
}

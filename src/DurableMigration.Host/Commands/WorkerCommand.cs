using System.CommandLine;
using DurableMigration.Host.Hosting;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig worker --backend azure-storage</c>: a worker of a shared task hub, until Ctrl+C or SIGTERM.</summary>
internal static class WorkerCommand
{
    public static Command Create(CommonOptions options)
    {
        var workerId = new Option<string?>("--worker-id") { Description = "This worker's name in leases and logs (default: <machine>-<pid>)" };
        var maxActivities = new Option<int>("--max-activities") { Description = "Activities this worker runs at once (default 10)", DefaultValueFactory = _ => 10 };
        var maxOrchestrations = new Option<int>("--max-orchestrations") { Description = "Orchestration turns this worker runs at once (default 10)", DefaultValueFactory = _ => 10 };
        var partitions = new Option<int>("--partitions") { Description = "Control queues of a new task hub, 1 to 16 (default 4; fixed when the hub is created, so every worker and client must agree)", DefaultValueFactory = _ => 4 };
        var polling = Durations.Option("--polling-interval", "Longest wait between polls of an idle queue (default 5s; Durable Functions uses 30s)");
        var visibility = Durations.Option("--visibility-timeout", "How long a message a worker took stays hidden: a killed worker's work reappears after it (default 5m)");
        var lease = Durations.Option("--lease-interval", "How long a partition lease lasts unless renewed: a killed worker's orchestrations move after it (default 30s)");
        var worker = new Command("worker", "Run a worker of a shared task hub (--backend azure-storage): orchestrations and activities of every wave in the hub, until Ctrl+C or SIGTERM.");
        foreach (var option in new Option[] { workerId, maxActivities, maxOrchestrations, partitions, polling, visibility, lease })
        {
            worker.Options.Add(option);
        }

        worker.SetAction((parse, ct) =>
        {
            var context = options.For(parse);
            return RunAsync(context, new WorkerRequest(
                parse.GetValue(workerId),
                parse.GetValue(maxActivities),
                parse.GetValue(maxOrchestrations),
                parse.GetValue(partitions),
                parse.GetValue(polling),
                parse.GetValue(visibility),
                parse.GetValue(lease)), ct);
        });
        return worker;
    }

    private static async Task<int> RunAsync(CommandContext context, WorkerRequest request, CancellationToken ct)
    {
        if (!context.IsRemote)
        {
            return context.Output.Fail(
                DmigCommandLine.BadInput,
                "No shared task hub",
                "dmig worker serves a task hub shared by several processes: give --backend azure-storage with --connection and --hub (or DMIG_BACKEND, DMIG_STORAGE, DMIG_HUB). On the embedded runtime, dmig run and dmig serve run the waves themselves.");
        }

        if (request.MaxActivities < 1 || request.MaxOrchestrations < 1 || request.Partitions is < 1 or > 16)
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "Invalid worker setting", "--max-activities and --max-orchestrations must be at least 1, --partitions 1 to 16.");
        }

        var backend = context.Settings.Backend.ToOptions();
        backend.WorkerId = request.WorkerId;
        backend.MaxConcurrentActivities = request.MaxActivities;
        backend.MaxConcurrentOrchestrations = request.MaxOrchestrations;
        backend.PartitionCount = request.Partitions;
        backend.MaxQueuePollingInterval = request.Polling ?? backend.MaxQueuePollingInterval;
        backend.MessageVisibilityTimeout = request.Visibility;
        backend.LeaseInterval = request.Lease;
        await using var host = DmigHost.CreateForAzureStorage(context.Settings.DataDirectory, backend, context.Configure, worker: true);
        try
        {
            await host.StartWorkerAsync(ct).ConfigureAwait(false);
            context.Output.Notice($"Worker [bold]{Markup.Escape(backend.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}")}[/] on task hub [bold]{Markup.Escape(backend.TaskHubName)}[/] in {Markup.Escape(backend.Account!.Description)}; Ctrl+C or SIGTERM stops it (work in hand is finished or handed back).");
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: disposing the host stops the worker cleanly.
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or AggregateException or Azure.Identity.AuthenticationFailedException)
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "Task hub unreachable", $"Task hub {backend.TaskHubName} in {backend.Account!.Description} could not be opened: {ex.GetType().Name}. Check --connection and the identity's roles (Storage Blob, Queue and Table Data Contributor).");
        }

        return DmigCommandLine.Success;
    }

    private sealed record WorkerRequest(string? WorkerId, int MaxActivities, int MaxOrchestrations, int Partitions, TimeSpan? Polling, TimeSpan? Visibility, TimeSpan? Lease);
}

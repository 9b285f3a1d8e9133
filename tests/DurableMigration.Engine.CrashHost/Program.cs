// Runs the crash workload on a task hub until killed: the crash-recovery test's victim process.
// Usage: DurableMigration.Engine.CrashHost <taskhub.db> <effects.db> <steps>
using System.Globalization;
using DurableMigration.Engine;
using DurableMigration.Engine.CrashHost;
using DurableMigration.Engine.DependencyInjection;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

if (args.Length != 3)
{
    await Console.Error.WriteLineAsync("usage: DurableMigration.Engine.CrashHost <taskhub.db> <effects.db> <steps>");
    return 2;
}

var services = new ServiceCollection()
    .AddDurableEngine(o => o.TaskHubPath = args[0], r => CrashWorkload.Register(r, args[1], step => Console.WriteLine($"step {step}")))
    .BuildServiceProvider();
await using (services.ConfigureAwait(false))
{
    var engine = services.GetRequiredService<DurableEngine>();
    var client = services.GetRequiredService<DurableTaskClient>();
    await engine.StartAsync(CancellationToken.None);
    if (await client.GetInstanceAsync(CrashWorkload.InstanceId) is null)
    {
        await client.ScheduleNewOrchestrationInstanceAsync(
            CrashWorkload.OrchestratorName,
            int.Parse(args[2], CultureInfo.InvariantCulture),
            new StartOrchestrationOptions(CrashWorkload.InstanceId));
    }

    Console.WriteLine("started");
    var result = await client.WaitForInstanceCompletionAsync(CrashWorkload.InstanceId);
    Console.WriteLine(result.RuntimeStatus);
    await engine.StopAsync(CancellationToken.None);
    return 0;
}

using DurableMigration.Engine.Execution;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using CoreHistory = DurableTask.Core.History;

namespace DurableMigration.Engine.Tests;

/// <summary>Replay of recorded history: determinism checks and failures that name what went wrong.</summary>
public sealed class ReplayTests
{
    [Fact]
    public async Task Replay_OfChangedCode_FailsTheInstanceNamingExpectedAndActualCalls()
    {
        string directory = EngineHarness.NewDirectory();
        string taskHub = Path.Combine(directory, "taskhub.db");
        await using (var v1 = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<string, string>("ValidateDatabase", (_, s) => s)
                .AddActivityFunc<string, string>("MigrateSchema", (_, s) => s)
                .AddOrchestratorFunc<string, string>("Migration", async (ctx, db) =>
                {
                    await ctx.CallActivityAsync<string>("ValidateDatabase", db);
                    return await ctx.WaitForExternalEvent<string>("Approve");
                }),
            taskHubPath: taskHub))
        {
            await v1.StartAsync("Migration", "sales", "m-1");
            await v1.WaitUntilAsync("m-1", m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);
            await v1.WaitForHistoryAsync("m-1", CoreHistory.EventType.TaskCompleted);
        }

        // Version 2 of the code calls MigrateSchema where version 1 called ValidateDatabase.
        await using var v2 = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<string, string>("ValidateDatabase", (_, s) => s)
                .AddActivityFunc<string, string>("MigrateSchema", (_, s) => s)
                .AddOrchestratorFunc<string, string>("Migration", async (ctx, db) =>
                {
                    await ctx.CallActivityAsync<string>("MigrateSchema", db);
                    return await ctx.WaitForExternalEvent<string>("Approve");
                }),
            taskHubPath: taskHub);
        await v2.Client.RaiseEventAsync("m-1", "Approve", "yes");
        var result = await v2.WaitAsync("m-1");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, result.FailureDetails!.ErrorType);
        Assert.Contains("Non-deterministic", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'ValidateDatabase'", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'MigrateSchema'", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(v2.Logs.Lines, l => l.EventId.Id == 11);
    }

    [Fact]
    public async Task Replay_AfterARestart_ContinuesFromTheRecordedHistory()
    {
        string directory = EngineHarness.NewDirectory();
        string taskHub = Path.Combine(directory, "taskhub.db");
        int calls = 0;
        void Register(DurableTaskRegistry r) => r
            .AddActivityFunc<int, int>("Count", (_, n) =>
            {
                Interlocked.Increment(ref calls);
                return n;
            })
            .AddOrchestratorFunc<string, int>("TwoPhase", async (ctx, _) =>
            {
                int a = await ctx.CallActivityAsync<int>("Count", 1);
                int b = await ctx.WaitForExternalEvent<int>("Next");
                return a + b + await ctx.CallActivityAsync<int>("Count", 3);
            });

        await using (var first = await EngineHarness.StartAsync(Register, taskHubPath: taskHub))
        {
            await first.StartAsync("TwoPhase", "x", "tp");
            await first.WaitForHistoryAsync("tp", CoreHistory.EventType.TaskCompleted);
        }

        await using var second = await EngineHarness.StartAsync(Register, taskHubPath: taskHub);
        await second.Client.RaiseEventAsync("tp", "Next", 2);
        var result = await second.WaitAsync("tp");

        Assert.Equal("6", result.SerializedOutput);
        Assert.Equal(2, calls); // the first activity is replayed from history, not run again
    }

    [Fact]
    public async Task UnregisteredOrchestrator_FailsWithAClearMessage()
    {
        await using var harness = await EngineHarness.StartAsync(_ => { });

        var result = await harness.RunAsync("NoSuchOrchestrator", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("OrchestratorTaskNotFound", result.FailureDetails!.ErrorType);
        Assert.Equal("No orchestrator task named 'NoSuchOrchestrator' was found.", result.FailureDetails.ErrorMessage);
    }

    [Fact]
    public async Task UnregisteredActivity_FailsTheCallingTaskWithoutRetries()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Caller", async (ctx, _) =>
            {
                try
                {
                    return await ctx.CallActivityAsync<string>("Missing", null, TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromMilliseconds(50))));
                }
                catch (TaskFailedException ex)
                {
                    return $"{ex.FailureDetails.ErrorType}|{ex.FailureDetails.ErrorMessage}";
                }
            }));

        var result = await harness.RunAsync("Caller", "x");

        string output = result.ReadOutputAs<string>()!;
        Assert.StartsWith("ActivityTaskNotFound|", output, StringComparison.Ordinal);
        Assert.Contains("'Missing'", output, StringComparison.Ordinal);
        var history = await harness.HistoryAsync(result.InstanceId);
        Assert.Single(history, e => e.EventType == CoreHistory.EventType.TaskScheduled); // no retry can make it appear
        Assert.DoesNotContain(history, e => e.EventType == CoreHistory.EventType.TimerCreated);
    }

    [Fact]
    public async Task UnregisteredActivity_UnhandledFailsTheInstance()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Caller", (ctx, _) => ctx.CallActivityAsync<string>("Missing")));

        var result = await harness.RunAsync("Caller", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, result.FailureDetails!.ErrorType);
        Assert.Contains("'Missing'", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrchestratorAwaitingANonDurableTask_FailsInsteadOfHanging()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Wrong", async (ctx, _) =>
            {
                await new TaskCompletionSource<bool>().Task; // never completes and the runtime cannot see it
                return "unreachable";
            }));

        var result = await harness.RunAsync("Wrong", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Contains("not created by its context", result.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInput_FailsTheInstanceNamingTheExpectedType()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<int, int>("NeedsNumber", (_, n) => Task.FromResult(n)));

        var result = await harness.RunAsync("NeedsNumber", "not a number");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Contains("could not be read as Int32", result.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
    }
}

using System.Diagnostics;
using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>The classic orchestration patterns: chaining, fan-out/fan-in, monitor, human interaction.</summary>
public sealed class PatternScenarios : ConformanceScenario
{
    public sealed record AppendInput(string Text, string Suffix);

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Chaining_PassesEachActivityOutputToTheNext(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<AppendInput, string>("Append", (_, input) => input.Text + input.Suffix);
            r.AddOrchestratorFunc<string, string>("Chain", async (ctx, start) =>
            {
                string text = start;
                foreach (string suffix in new[] { "-a", "-b", "-c" })
                {
                    text = await ctx.CallActivityAsync<string>("Append", new AppendInput(text, suffix));
                }

                return text;
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "Chain", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("x-a-b-c", result.ReadOutputAs<string>());
        Assert.Equal("Chain", result.Name);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task FanOutFanIn_AggregatesEveryParallelResult(string runtime)
    {
        const int Width = 8;
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<int, int>("Square", (_, n) => n * n);
            r.AddOrchestratorFunc<int, int[]>("FanOut", async (ctx, width) =>
            {
                Task<int>[] squares = Enumerable.Range(1, width)
                    .Select(n => ctx.CallActivityAsync<int>("Square", n))
                    .ToArray();
                return await Task.WhenAll(squares);
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "FanOut", Width);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        // Task.WhenAll keeps scheduling order whatever the completion order.
        Assert.Equal(Enumerable.Range(1, Width).Select(n => n * n), result.ReadOutputAs<int[]>()!);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Monitor_PollsOnDurableTimersUntilTheConditionHolds(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<int, bool>("IsReady", (_, attempt) => attempt >= 3);
            r.AddOrchestratorFunc<int, int>("Monitor", async (ctx, maxAttempts) =>
            {
                for (int attempt = 1; attempt <= maxAttempts; attempt++)
                {
                    if (await ctx.CallActivityAsync<bool>("IsReady", attempt))
                    {
                        return attempt;
                    }

                    await ctx.CreateTimer(ctx.CurrentUtcDateTime.AddMilliseconds(200), CancellationToken.None);
                }

                return -1;
            });
        });

        Stopwatch elapsed = Stopwatch.StartNew();
        OrchestrationMetadata result = await RunAsync(host.Client, "Monitor", 10);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(3, result.ReadOutputAs<int>());
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(400), $"two 200 ms timers took only {elapsed.Elapsed}");
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task HumanInteraction_ApprovalBeforeTheDeadline_Wins(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterApproval);
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            "Approval", 30_000, new StartOrchestrationOptions(id));

        await WaitForCustomStatusAsync(host.Client, id, "awaiting-approval");
        await host.Client.RaiseEventAsync(id, "Approved", true);
        OrchestrationMetadata result = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("approved", result.ReadOutputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task HumanInteraction_DeadlineWithoutApproval_TimesOut(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, RegisterApproval);

        OrchestrationMetadata result = await RunAsync(host.Client, "Approval", 300);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("timed-out", result.ReadOutputAs<string>());
    }

    static void RegisterApproval(DurableTaskRegistry r) =>
        r.AddOrchestratorFunc<int, string>("Approval", async (ctx, deadlineMs) =>
        {
            ctx.SetCustomStatus("awaiting-approval");
            using CancellationTokenSource cts = new();
            Task<bool> approval = ctx.WaitForExternalEvent<bool>("Approved", cts.Token);
            Task deadline = ctx.CreateTimer(TimeSpan.FromMilliseconds(deadlineMs), cts.Token);
            Task winner = await Task.WhenAny(approval, deadline);
            cts.Cancel(); // not CancelAsync: cancellation callbacks must run on the orchestrator thread
            if (winner == approval)
            {
                return await approval ? "approved" : "rejected";
            }

            return "timed-out";
        });
}

using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using CoreHistory = DurableTask.Core.History;

namespace DurableMigration.Engine.Tests;

/// <summary>The Durable Functions patterns, each on a real engine over a real SQLite file, with and without the in-memory cache.</summary>
public sealed class OrchestrationPatternTests
{
    public static TheoryData<int> CacheSizes => new() { 1024, 0 };

    [Theory]
    [MemberData(nameof(CacheSizes))]
    public async Task Sequence_ChainsActivityResults(int cacheSize)
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<string, string>("Append", (_, s) => s + "!")
                .AddOrchestratorFunc<string, string>("Chain", async (ctx, input) =>
                {
                    string value = input;
                    for (int i = 0; i < 5; i++)
                    {
                        value = await ctx.CallActivityAsync<string>("Append", value);
                    }

                    return value;
                }),
            o => o.MaxCachedOrchestrations = cacheSize);

        var result = await harness.RunAsync("Chain", "go");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("\"go!!!!!\"", result.SerializedOutput);
    }

    [Theory]
    [MemberData(nameof(CacheSizes))]
    public async Task FanOutFanIn_OfAThousandActivities_SumsEveryResult(int cacheSize)
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<int, int>("Square", (_, n) => n * n)
                .AddOrchestratorFunc<int, long>("FanOut", async (ctx, count) =>
                {
                    var tasks = Enumerable.Range(1, count).Select(i => ctx.CallActivityAsync<int>("Square", i)).ToList();
                    int[] squares = await Task.WhenAll(tasks);
                    return squares.Sum(s => (long)s);
                }),
            o => o.MaxCachedOrchestrations = cacheSize);

        var result = await harness.RunAsync("FanOut", 1000);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        long expected = Enumerable.Range(1, 1000).Sum(i => (long)i * i);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), result.SerializedOutput);
    }

    [Fact]
    public async Task SubOrchestrations_ThreeLevelsDeep_ReturnThroughEveryParent()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<int, int>("Leaf", (_, n) => n + 1)
            .AddOrchestratorFunc<int, int>("Level", async (ctx, depth) =>
            {
                if (depth == 3)
                {
                    return await ctx.CallActivityAsync<int>("Leaf", 100);
                }

                int below = await ctx.CallSubOrchestratorAsync<int>("Level", depth + 1);
                return below * 10 + depth;
            }));

        var result = await harness.RunAsync("Level", 0, "root");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("101210", result.SerializedOutput); // ((101*10+2)*10+1)*10+0
        // Default child ids come from the parent's NewGuid(), as in the SDK; the parent's history records them.
        string childId = await ChildIdAsync(harness, "root");
        string grandchildId = await ChildIdAsync(harness, childId);
        Assert.Matches("^[0-9a-f]{32}$", childId);
        Assert.NotEqual(childId, grandchildId);
        var grandchild = await harness.Client.GetInstanceAsync(grandchildId, getInputsAndOutputs: true);
        Assert.NotNull(grandchild);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, grandchild.RuntimeStatus);
        var started = Assert.Single((await harness.HistoryAsync(grandchildId)).OfType<CoreHistory.ExecutionStartedEvent>());
        Assert.Equal(childId, started.ParentInstance!.OrchestrationInstance.InstanceId);
    }

    internal static async Task<string> ChildIdAsync(EngineHarness harness, string parentId) =>
        Assert.Single((await harness.HistoryAsync(parentId)).OfType<CoreHistory.SubOrchestrationInstanceCreatedEvent>()).InstanceId;

    [Fact]
    public async Task SubOrchestration_WithChosenInstanceId_RunsUnderThatId()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Child", (ctx, s) => Task.FromResult(ctx.InstanceId + ":" + s + ":" + ctx.Parent?.InstanceId))
            .AddOrchestratorFunc<string, string>("Parent", (ctx, s) =>
                ctx.CallSubOrchestratorAsync<string>("Child", s, new SubOrchestrationOptions(retry: null, instanceId: "child-of-" + ctx.InstanceId))));

        var result = await harness.RunAsync("Parent", "x", "p1");

        Assert.Equal("\"child-of-p1:x:p1\"", result.SerializedOutput);
    }

    [Fact]
    public async Task SubOrchestrationFailure_SurfacesInParentAsTaskFailedException()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Broken", string (TaskOrchestrationContext _, string _) => throw new InvalidDataException("bad manifest"))
            .AddOrchestratorFunc<string, string>("Catcher", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallSubOrchestratorAsync<string>("Broken", "x");
                    return "no failure";
                }
                catch (TaskFailedException ex)
                {
                    return $"{ex.TaskName}|{ex.FailureDetails.ErrorType}|{ex.FailureDetails.ErrorMessage}|{ex.FailureDetails.IsCausedBy<InvalidDataException>()}";
                }
            }));

        var result = await harness.RunAsync("Catcher", "x");

        Assert.Equal("\"Broken|System.IO.InvalidDataException|bad manifest|True\"", result.SerializedOutput);
    }

    [Fact]
    public async Task DurableTimer_CompletesNoEarlierThanItsFireTime()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<int, string>("Sleeper", async (ctx, ms) =>
            {
                DateTime fireAt = ctx.CurrentUtcDateTime.AddMilliseconds(ms);
                await ctx.CreateTimer(fireAt, CancellationToken.None);
                return ctx.CurrentUtcDateTime >= fireAt ? "on time" : "early";
            }));

        var result = await harness.RunAsync("Sleeper", 700);

        Assert.Equal("\"on time\"", result.SerializedOutput);
        var history = await harness.HistoryAsync(result.InstanceId);
        Assert.Contains(history, e => e.EventType == CoreHistory.EventType.TimerCreated);
        Assert.Contains(history, e => e.EventType == CoreHistory.EventType.TimerFired);
    }

    [Fact]
    public async Task ExternalEvent_RaisedBeforeTheWaitStarts_IsBufferedAndDelivered()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("LateWaiter", async (ctx, _) =>
            {
                await ctx.WaitForExternalEvent<string>("Go"); // first event arrives while waiting
                return await ctx.WaitForExternalEvent<string>("Approve"); // already buffered by then
            }));
        string id = await harness.StartAsync("LateWaiter", "x");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await harness.Client.RaiseEventAsync(id, "approve", "early-approval"); // names are case-insensitive
        await harness.Client.RaiseEventAsync(id, "Go", "now");
        var result = await harness.WaitAsync(id);

        Assert.Equal("\"early-approval\"", result.SerializedOutput);
    }

    [Fact]
    public async Task ExternalEvent_RaisedAfterTheWaitStarts_CompletesTheWait()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, int>("Waiter", async (ctx, _) =>
            {
                ctx.SetCustomStatus("waiting");
                return await ctx.WaitForExternalEvent<int>("Number");
            }));
        string id = await harness.StartAsync("Waiter", "x");
        await harness.WaitUntilAsync(id, m => m.SerializedCustomStatus == "\"waiting\"");

        await harness.Client.RaiseEventAsync(id, "Number", 42);
        var result = await harness.WaitAsync(id);

        Assert.Equal("42", result.SerializedOutput);
    }

    [Fact]
    public async Task ExternalEvent_WithTimeout_ThrowsTaskCanceledWhenNoEventComes()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Impatient", async (ctx, _) =>
            {
                try
                {
                    return await ctx.WaitForExternalEvent<string>("Never", TimeSpan.FromMilliseconds(300));
                }
                catch (TaskCanceledException)
                {
                    return "timed out";
                }
            }));

        var result = await harness.RunAsync("Impatient", "x");

        Assert.Equal("\"timed out\"", result.SerializedOutput);
    }

    [Fact]
    public async Task ExternalEvent_WithTimeout_ReturnsTheEventWhenItComesInTime()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Patient", (ctx, _) => ctx.WaitForExternalEvent<string>("Answer", TimeSpan.FromMinutes(10))));
        string id = await harness.StartAsync("Patient", "x");
        await harness.WaitUntilAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await harness.Client.RaiseEventAsync(id, "Answer", "yes");
        var result = await harness.WaitAsync(id);

        Assert.Equal("\"yes\"", result.SerializedOutput);
    }

    [Fact]
    public async Task Retry_WithBackoff_RetriesOnDurableTimersUntilTheActivitySucceeds()
    {
        int calls = 0;
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<string, int>("Flaky", (_, _) =>
                Interlocked.Increment(ref calls) < 3 ? throw new TimeoutException("transient") : calls)
            .AddOrchestratorFunc<string, int>("Retrying", (ctx, _) =>
                ctx.CallActivityAsync<int>("Flaky", null, TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromMilliseconds(100), backoffCoefficient: 2.0)))));

        var result = await harness.RunAsync("Retrying", "x");

        Assert.Equal("3", result.SerializedOutput);
        var history = await harness.HistoryAsync(result.InstanceId);
        var timers = history.OfType<CoreHistory.TimerCreatedEvent>().Select(e => e.FireAt).ToList();
        var failures = history.OfType<CoreHistory.TaskFailedEvent>().Select(e => e.Timestamp).ToList();
        Assert.Equal(2, timers.Count);
        Assert.Equal(2, failures.Count);
        Assert.Equal(3, history.Count(e => e.EventType == CoreHistory.EventType.TaskScheduled));
    }

    [Fact]
    public async Task Retry_DelaysGrowByTheBackoffCoefficient()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<string, int>("AlwaysFails", int (TaskActivityContext _, string _) => throw new TimeoutException("still down"))
            .AddOrchestratorFunc<string, string>("Retrying", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<int>("AlwaysFails", null, TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromMilliseconds(100), backoffCoefficient: 3.0)));
                    return "succeeded";
                }
                catch (TaskFailedException ex)
                {
                    return ex.FailureDetails.ErrorMessage;
                }
            }));

        var result = await harness.RunAsync("Retrying", "x");

        Assert.Equal("\"still down\"", result.SerializedOutput);
        var history = await harness.HistoryAsync(result.InstanceId);
        // Each timer's delay is measured from the turn that created it, so it is exact whatever the machine's speed.
        var delays = history.OfType<CoreHistory.TimerCreatedEvent>().Select(e => e.FireAt - TurnTime(history, e)).ToList();
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300)], delays);
    }

    [Fact]
    public async Task Retry_DoesNotRetryAFailureThePolicyRefuses()
    {
        int calls = 0;
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<string, int>("Refused", int (TaskActivityContext _, string _) =>
            {
                Interlocked.Increment(ref calls);
                throw new CredentialRefusedException();
            })
            .AddOrchestratorFunc<string, bool>("Retrying", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<string>("Refused", null, TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromMilliseconds(50))
                    {
                        HandleFailure = failure => !failure.IsCausedBy<CredentialRefusedException>(),
                    }));
                    return false;
                }
                catch (TaskFailedException ex)
                {
                    return ex.FailureDetails.IsCausedBy<CredentialRefusedException>();
                }
            }));

        var result = await harness.RunAsync("Retrying", "x");

        Assert.Equal("true", result.SerializedOutput);
        Assert.Equal(1, calls);
        Assert.DoesNotContain(await harness.HistoryAsync(result.InstanceId), e => e.EventType == CoreHistory.EventType.TimerCreated);
    }

    [Fact]
    public async Task Retry_WithACustomHandler_RetriesUntilTheHandlerGivesUp()
    {
        int calls = 0;
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<string, int>("Flaky", int (TaskActivityContext _, string _) =>
            {
                Interlocked.Increment(ref calls);
                throw new TimeoutException("transient");
            })
            .AddOrchestratorFunc<string, string>("Retrying", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<int>("Flaky", null, TaskOptions.FromRetryHandler(retry =>
                        Task.FromResult(retry.LastAttemptNumber < 3 && retry.LastFailure.IsCausedBy<TimeoutException>())));
                    return "succeeded";
                }
                catch (TaskFailedException ex)
                {
                    return ex.FailureDetails.ErrorType;
                }
            }));

        var result = await harness.RunAsync("Retrying", "x");

        Assert.Equal("\"System.TimeoutException\"", result.SerializedOutput);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task ActivityFailure_ReachesTheOrchestratorWithTypeMessageAndInnerFailure()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<string, int>("Explodes", int (TaskActivityContext _, string _) => throw new InvalidOperationException("outer", new FormatException("inner")))
            .AddOrchestratorFunc<string, string[]>("Caller", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<int>("Explodes");
                    return [];
                }
                catch (TaskFailedException ex)
                {
                    var f = ex.FailureDetails;
                    return [ex.TaskName, f.ErrorType, f.ErrorMessage, f.InnerFailure!.ErrorType, f.InnerFailure.ErrorMessage, f.IsCausedBy<InvalidOperationException>().ToString()];
                }
            }));

        var result = await harness.RunAsync("Caller", "x");

        string[] expected = ["Explodes", typeof(InvalidOperationException).FullName!, "outer", typeof(FormatException).FullName!, "inner", "True"];
        Assert.Equal(expected, JsonSerializer.Deserialize<string[]>(result.SerializedOutput!));
    }

    [Fact]
    public async Task ActivityFailure_FailsTheOrchestrationWithTypeMessageAndInnerFailure()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddActivityFunc<string, int>("Explodes", int (TaskActivityContext _, string _) => throw new InvalidOperationException("outer", new FormatException("inner")))
            .AddOrchestratorFunc<string, int>("Caller", (ctx, _) => ctx.CallActivityAsync<int>("Explodes")));

        var result = await harness.RunAsync("Caller", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        var failure = result.FailureDetails!;
        Assert.Equal(typeof(TaskFailedException).FullName, failure.ErrorType);
        Assert.Equal(typeof(InvalidOperationException).FullName, failure.InnerFailure!.ErrorType);
        Assert.Equal("outer", failure.InnerFailure.ErrorMessage);
        Assert.Equal(typeof(FormatException).FullName, failure.InnerFailure.InnerFailure!.ErrorType);
        Assert.True(failure.IsCausedBy<TaskFailedException>());
        Assert.True(failure.InnerFailure.IsCausedBy<InvalidOperationException>());
        Assert.True(failure.InnerFailure.InnerFailure.IsCausedBy<FormatException>());
    }

    [Fact]
    public async Task NewGuid_IsTheSameOnEveryReplay()
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<Guid, Guid>("Echo", (_, g) => g)
                .AddOrchestratorFunc<string, Guid[]>("Guids", async (ctx, _) =>
                {
                    Guid first = ctx.NewGuid();
                    Guid echoed = await ctx.CallActivityAsync<Guid>("Echo", first); // recorded in history
                    await ctx.CallActivityAsync<Guid>("Echo", Guid.Empty); // forces another replay
                    return [first, echoed, ctx.NewGuid()];
                }),
            o => o.MaxCachedOrchestrations = 0);

        var result = await harness.RunAsync("Guids", "x");

        var guids = JsonSerializer.Deserialize<Guid[]>(result.SerializedOutput!)!;
        Assert.Equal(guids[0], guids[1]);
        Assert.NotEqual(guids[0], guids[2]);
        Assert.Equal(5, guids[0].ToByteArray(bigEndian: true)[6] >> 4); // a version-5 (name-based) UUID
    }

    [Fact]
    public async Task CustomStatus_IsPublishedWhileRunning()
    {
        await using var harness = await EngineHarness.StartAsync(r => r
            .AddOrchestratorFunc<string, string>("Reporter", async (ctx, _) =>
            {
                ctx.SetCustomStatus(new { step = "copying", rows = 10 });
                await ctx.WaitForExternalEvent<string>("Continue");
                ctx.SetCustomStatus(null);
                return "done";
            }));
        string id = await harness.StartAsync("Reporter", "x");

        var running = await harness.WaitUntilAsync(id, m => m.SerializedCustomStatus is not null);
        await harness.Client.RaiseEventAsync(id, "Continue");
        var done = await harness.WaitAsync(id);

        Assert.Equal("{\"step\":\"copying\",\"rows\":10}", running.SerializedCustomStatus);
        Assert.Null(done.SerializedCustomStatus);
    }

    [Fact]
    public async Task ReplaySafeLogger_WritesEachLineOnceDespiteReplays()
    {
        await using var harness = await EngineHarness.StartAsync(
            r => r
                .AddActivityFunc<int, int>("Step", (_, n) => n)
                .AddOrchestratorFunc<string, int>("Logging", async (ctx, _) =>
                {
                    var logger = ctx.CreateReplaySafeLogger("Test.Orchestration");
                    for (int i = 0; i < 3; i++)
                    {
                        logger.LogStep(i);
                        await ctx.CallActivityAsync<int>("Step", i);
                    }

                    return 3;
                }),
            o => o.MaxCachedOrchestrations = 0);

        await harness.RunAsync("Logging", "x");

        var lines = harness.Logs.Lines.Where(l => l.Category == "Test.Orchestration").Select(l => l.Message).ToList();
        Assert.Equal(["step 0", "step 1", "step 2"], lines);
    }

    private static DateTime TurnTime(IList<CoreHistory.HistoryEvent> history, CoreHistory.HistoryEvent timerCreated)
    {
        int index = history.IndexOf(timerCreated);
        return history.Take(index).Last(e => e.EventType == CoreHistory.EventType.OrchestratorStarted).Timestamp;
    }

    private sealed class CredentialRefusedException : Exception
    {
        public CredentialRefusedException()
            : base("the server refused the credential")
        {
        }
    }
}

internal static partial class TestLogs
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "step {Step}")]
    public static partial void LogStep(this ILogger logger, int step);
}

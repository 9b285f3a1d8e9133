using System.Security.Cryptography;
using System.Text;
using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>The orchestration context: NewGuid, CurrentUtcDateTime, IsReplaying, custom status, payloads.</summary>
public sealed class ContextScenarios : ConformanceScenario
{
    public sealed record GuidSample(Guid Value, Guid EchoedByActivity, string ClockText, DateTimeKind ClockKind);

    public sealed record Progress(string Stage, int Percent);

    public sealed record DatabaseRef(string Name, string Engine, IReadOnlyList<string> DependsOn);

    public sealed record MigrationPlan(
        string Wave,
        int MaxParallel,
        IReadOnlyList<DatabaseRef> Databases,
        DateTimeOffset NotBefore,
        IReadOnlyDictionary<string, string> Tags,
        decimal Budget,
        Guid Correlation,
        string? Note);

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task NewGuid_IsDistinctAndIdenticalOnEveryReplay(string runtime)
    {
        await using IConformanceHost host = await StartGuidHostAsync(runtime);

        OrchestrationMetadata result = await RunAsync(host.Client, "Guids", null);

        GuidSample[] samples = result.ReadOutputAs<GuidSample[]>()!;
        Assert.Equal(3, samples.Length);
        Assert.Equal(3, samples.Select(s => s.Value).Distinct().Count());
        Assert.All(samples, s => Assert.NotEqual(Guid.Empty, s.Value));
        // Each guid went to an activity in the turn that first created it; the final replay recreated the same value.
        Assert.All(samples, s => Assert.Equal(s.EchoedByActivity, s.Value));
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task NewGuid_FollowsTheDurableTaskNameBasedAlgorithm(string runtime)
    {
        // Microsoft's SDK: UUID v5 (SHA-1) in namespace 9e952958-5e33-4daf-827f-2fa12937b875 over
        // "{instanceId}_{CurrentUtcDateTime:o}_{counter}", the counter counting NewGuid calls in the execution.
        // Matching it keeps ids stable if histories ever move between runtimes.
        await using IConformanceHost host = await StartGuidHostAsync(runtime);
        string id = NewId();

        OrchestrationMetadata result = await RunAsync(host.Client, "Guids", null, id);

        GuidSample[] samples = result.ReadOutputAs<GuidSample[]>()!;
        Assert.All(samples, s => Assert.Equal(DateTimeKind.Utc, s.ClockKind));
        for (int counter = 0; counter < samples.Length; counter++)
        {
            Assert.Equal(DurableTaskGuid(id, samples[counter].ClockText, counter), samples[counter].Value);
        }
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task NewGuid_NamesADefaultSubOrchestrationAndAdvancesTheCounter(string runtime)
    {
        // Microsoft's SDK names a child started without an id NewGuid().ToString("N"), so it consumes a counter
        // value: the child is guid #0 and the next NewGuid() is guid #1.
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddOrchestratorFunc<string>("WhoAmI", ctx => Task.FromResult(ctx.InstanceId));
            r.AddOrchestratorFunc<string[]>("ChildThenGuid", async ctx =>
            {
                string clockAtCall = ctx.CurrentUtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
                string childId = await ctx.CallSubOrchestratorAsync<string>("WhoAmI");
                string clockAtGuid = ctx.CurrentUtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
                return [clockAtCall, childId, clockAtGuid, ctx.NewGuid().ToString("N")];
            });
        });
        string id = NewId();

        OrchestrationMetadata result = await RunAsync(host.Client, "ChildThenGuid", null, id);

        string[] values = result.ReadOutputAs<string[]>()!;
        Assert.Equal(DurableTaskGuid(id, values[0], 0).ToString("N"), values[1]);
        Assert.Equal(DurableTaskGuid(id, values[2], 1).ToString("N"), values[3]);
    }

    static Task<IConformanceHost> StartGuidHostAsync(string runtime) => StartAsync(runtime, r =>
    {
        r.AddActivityFunc<Guid, Guid>("Echo", (_, value) => value);
        r.AddOrchestratorFunc<GuidSample[]>("Guids", async ctx =>
        {
            List<GuidSample> samples = [];
            for (int i = 0; i < 3; i++)
            {
                string clock = ctx.CurrentUtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
                DateTimeKind kind = ctx.CurrentUtcDateTime.Kind;
                Guid value = ctx.NewGuid();
                Guid echoed = await ctx.CallActivityAsync<Guid>("Echo", value);
                samples.Add(new GuidSample(value, echoed, clock, kind));
            }

            return samples.ToArray();
        });
    });

    /// <summary>RFC 4122 version-5 UUID over the name Durable Task builds (an independent implementation).</summary>
    static Guid DurableTaskGuid(string instanceId, string clockText, int counter)
    {
        byte[] ns = Guid.Parse("9e952958-5e33-4daf-827f-2fa12937b875").ToByteArray(bigEndian: true);
        byte[] name = Encoding.UTF8.GetBytes($"{instanceId}_{clockText}_{counter}");
#pragma warning disable CA5350 // RFC 4122 version 5 is defined over SHA-1; this is an identifier, not security.
        byte[] hash = SHA1.HashData([.. ns, .. name]);
#pragma warning restore CA5350
        byte[] uuid = hash[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x50);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        return new Guid(uuid, bigEndian: true);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task CurrentUtcDateTime_AdvancesAcrossTurnsAndNeverGoesBack(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Noop", (_, s) => s);
            r.AddOrchestratorFunc<DateTime[]>("Clock", async ctx =>
            {
                List<DateTime> times = [ctx.CurrentUtcDateTime];
                await ctx.CreateTimer(TimeSpan.FromMilliseconds(300), CancellationToken.None);
                times.Add(ctx.CurrentUtcDateTime);
                await ctx.CallActivityAsync<string>("Noop", "x");
                times.Add(ctx.CurrentUtcDateTime);
                return times.ToArray();
            });
        });
        DateTime before = DateTime.UtcNow;

        OrchestrationMetadata result = await RunAsync(host.Client, "Clock", null);

        DateTime[] times = result.ReadOutputAs<DateTime[]>()!;
        Assert.Equal(3, times.Length);
        Assert.All(times, t => Assert.Equal(DateTimeKind.Utc, t.Kind));
        Assert.InRange(times[0], before.AddSeconds(-5), DateTime.UtcNow);
        // After a durable timer the clock is at least the timer's due time.
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(300), $"{times[0]:o} -> {times[1]:o}");
        Assert.True(times[2] >= times[1], $"{times[1]:o} -> {times[2]:o}");
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task IsReplaying_EachStatementRunsLiveExactlyOnceAndFirst(string runtime)
    {
        // Records every execution of three "log statements" with the IsReplaying flag it saw. A replay-safe
        // logger relies on this: whatever the runtime replays (or caches), each statement runs once with
        // IsReplaying false, before any replay of it.
        List<(int Statement, bool IsReplaying)> seen = [];
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Noop", (_, s) => s);
            r.AddOrchestratorFunc<string>("Logged", async ctx =>
            {
                lock (seen) { seen.Add((0, ctx.IsReplaying)); }
                await ctx.CallActivityAsync<string>("Noop", "a");
                lock (seen) { seen.Add((1, ctx.IsReplaying)); }
                await ctx.CallActivityAsync<string>("Noop", "b");
                lock (seen) { seen.Add((2, ctx.IsReplaying)); }
                return "done";
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "Logged", null);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        (int Statement, bool IsReplaying)[] log;
        lock (seen) { log = [.. seen]; }
        for (int statement = 0; statement < 3; statement++)
        {
            bool[] flags = log.Where(e => e.Statement == statement).Select(e => e.IsReplaying).ToArray();
            Assert.Single(flags, f => !f);
            Assert.False(flags[0], $"statement {statement} replayed before it ran live: [{string.Join(", ", flags)}]");
        }

        // The last statement runs on the final turn only, and live.
        Assert.Equal([false], log.Where(e => e.Statement == 2).Select(e => e.IsReplaying));
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task CustomStatus_SetByTheOrchestrator_IsReadByTheClient(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("Reporter", async ctx =>
            {
                ctx.SetCustomStatus(new Progress("copying", 40));
                await ctx.WaitForExternalEvent<string>("Continue");
                ctx.SetCustomStatus(new Progress("done", 100));
                return "finished";
            }));
        string id = NewId();
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Reporter", new StartOrchestrationOptions(id));

        OrchestrationMetadata running = await WaitUntilAsync(
            host.Client, id, m => m.SerializedCustomStatus is not null, "a custom status");
        await host.Client.RaiseEventAsync(id, "Continue", "go");
        OrchestrationMetadata completed = await WaitForCompletionAsync(host.Client, id);

        Assert.Equal(new Progress("copying", 40), running.ReadCustomStatusAs<Progress>());
        // The SDK's default JSON converter keeps .NET property names (System.Text.Json defaults).
        Assert.Equal("""{"Stage":"copying","Percent":40}""", running.SerializedCustomStatus);
        Assert.Equal(new Progress("done", 100), completed.ReadCustomStatusAs<Progress>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Payload_OfOneMegabyte_RoundTripsThroughInputActivityAndOutput(string runtime)
    {
        string payload = string.Create(1024 * 1024, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + (i % 26));
            }
        });
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Reverse", (_, s) => new string(s.Reverse().ToArray()));
            r.AddOrchestratorFunc<string, string>("BigPayload", async (ctx, input) =>
            {
                string reversed = await ctx.CallActivityAsync<string>("Reverse", input);
                return await ctx.CallActivityAsync<string>("Reverse", reversed);
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "BigPayload", payload);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(payload, result.ReadOutputAs<string>());
        Assert.Equal(payload, result.ReadInputAs<string>());
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Payload_OfAComplexRecord_RoundTripsThroughOrchestratorAndActivity(string runtime)
    {
        MigrationPlan plan = new(
            "wave-2026-11",
            3,
            [new DatabaseRef("users", "sqlite", []), new DatabaseRef("orders", "sqlite", ["users"])],
            new DateTimeOffset(2026, 11, 30, 22, 15, 0, TimeSpan.FromHours(1)),
            new Dictionary<string, string> { ["owner"] = "data-platform", ["ticket"] = "MIG-42" },
            1234.56m,
            Guid.Parse("5b1f0c1e-7d0a-4c8e-9a55-0f1f2e3d4c5b"),
            null);
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<MigrationPlan, MigrationPlan>("Touch", (_, p) => p with { MaxParallel = p.MaxParallel + 1 });
            r.AddOrchestratorFunc<MigrationPlan, MigrationPlan>("Plan", (ctx, p) =>
                ctx.CallActivityAsync<MigrationPlan>("Touch", p));
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "Plan", plan);

        MigrationPlan back = result.ReadOutputAs<MigrationPlan>()!;
        Assert.Equal(plan.Wave, back.Wave);
        Assert.Equal(4, back.MaxParallel);
        Assert.Equal(["users", "orders"], back.Databases.Select(d => d.Name));
        Assert.Equal(["users"], back.Databases[1].DependsOn);
        Assert.Equal(plan.NotBefore, back.NotBefore);
        Assert.Equal(plan.NotBefore.Offset, back.NotBefore.Offset);
        Assert.Equal(plan.Tags, back.Tags);
        Assert.Equal(plan.Budget, back.Budget);
        Assert.Equal(plan.Correlation, back.Correlation);
        Assert.Null(back.Note);
        Assert.Equal(plan.Wave, result.ReadInputAs<MigrationPlan>()!.Wave);
    }
}

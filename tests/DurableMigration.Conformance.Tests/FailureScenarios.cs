using DurableMigration.Conformance.Tests.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Conformance.Tests;

/// <summary>How failures of activities, sub-orchestrations and orchestrators are reported.</summary>
public sealed class FailureScenarios : ConformanceScenario
{
    /// <summary>What an orchestrator saw when it caught a <see cref="TaskFailedException"/>.</summary>
    public sealed record CaughtFailure(
        string TaskName,
        string ExceptionMessage,
        string ErrorType,
        string ErrorMessage,
        bool HasStackTrace,
        bool IsInvalidOperation,
        bool IsArgumentException,
        string? InnerErrorType,
        string? InnerErrorMessage,
        bool InnerIsInvalidOperation);

    static CaughtFailure Describe(TaskFailedException e) => new(
        e.TaskName,
        e.Message,
        e.FailureDetails.ErrorType,
        e.FailureDetails.ErrorMessage,
        !string.IsNullOrEmpty(e.FailureDetails.StackTrace),
        e.FailureDetails.IsCausedBy<InvalidOperationException>(),
        e.FailureDetails.IsCausedBy<ArgumentException>(),
        e.FailureDetails.InnerFailure?.ErrorType,
        e.FailureDetails.InnerFailure?.ErrorMessage,
        e.FailureDetails.InnerFailure?.IsCausedBy<InvalidOperationException>() ?? false);

    static string Explode(TaskActivityContext context, string input) => throw new InvalidOperationException("disk full");

    static string RejectInput(TaskOrchestrationContext context, string input) => throw new ArgumentException($"bad input '{input}'");

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ActivityFailure_CaughtByTheOrchestrator_CarriesTypeMessageAndCause(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Explode", Explode);
            r.AddOrchestratorFunc<CaughtFailure?>("CatchActivity", async ctx =>
            {
                try
                {
                    await ctx.CallActivityAsync<string>("Explode", "x");
                    return null;
                }
                catch (TaskFailedException e)
                {
                    return Describe(e);
                }
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "CatchActivity", null);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        CaughtFailure caught = result.ReadOutputAs<CaughtFailure>()!;
        Assert.Equal("Explode", caught.TaskName);
        Assert.Equal("System.InvalidOperationException", caught.ErrorType);
        Assert.Equal("disk full", caught.ErrorMessage);
        Assert.True(caught.IsInvalidOperation);
        Assert.False(caught.IsArgumentException);
        Assert.True(caught.HasStackTrace);
        Assert.Null(caught.InnerErrorType);
        Assert.Equal("Task 'Explode' (#0) failed with an unhandled exception: disk full", caught.ExceptionMessage);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task ActivityFailure_Unhandled_FailsTheOrchestrationWithTheActivityCause(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Explode", Explode);
            r.AddOrchestratorFunc<string>("LetItFail", ctx => ctx.CallActivityAsync<string>("Explode", "x"));
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "LetItFail", null);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        TaskFailureDetails failure = Assert.IsType<TaskFailureDetails>(result.FailureDetails);
        Assert.Equal("Microsoft.DurableTask.TaskFailedException", failure.ErrorType);
        Assert.Equal("Task 'Explode' (#0) failed with an unhandled exception: disk full", failure.ErrorMessage);
        Assert.True(failure.IsCausedBy<TaskFailedException>());
        TaskFailureDetails inner = Assert.IsType<TaskFailureDetails>(failure.InnerFailure);
        Assert.Equal("System.InvalidOperationException", inner.ErrorType);
        Assert.Equal("disk full", inner.ErrorMessage);
        Assert.True(inner.IsCausedBy<InvalidOperationException>());
        // The failed instance's output is the failure message as plain text (not JSON).
        Assert.Equal(failure.ErrorMessage, result.SerializedOutput);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task OrchestratorException_Unhandled_IsTheFailureDetailsOnTheMetadata(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string, string>("Throws", RejectInput));

        OrchestrationMetadata result = await RunAsync(host.Client, "Throws", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        TaskFailureDetails failure = Assert.IsType<TaskFailureDetails>(result.FailureDetails);
        Assert.Equal("System.ArgumentException", failure.ErrorType);
        Assert.Equal("bad input 'x'", failure.ErrorMessage);
        Assert.True(failure.IsCausedBy<ArgumentException>());
        Assert.False(failure.IsCausedBy<InvalidOperationException>());
        Assert.False(string.IsNullOrEmpty(failure.StackTrace));
        Assert.Null(failure.InnerFailure);
        Assert.Equal("\"x\"", result.SerializedInput);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task SubOrchestrationFailure_CaughtByTheParent_CarriesTheChildFailureAsInner(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
        {
            r.AddActivityFunc<string, string>("Explode", Explode);
            r.AddOrchestratorFunc<string>("FailingChild", ctx => ctx.CallActivityAsync<string>("Explode", "x"));
            r.AddOrchestratorFunc<CaughtFailure?>("CatchChild", async ctx =>
            {
                try
                {
                    await ctx.CallSubOrchestratorAsync<string>("FailingChild");
                    return null;
                }
                catch (TaskFailedException e)
                {
                    return Describe(e);
                }
            });
        });

        OrchestrationMetadata result = await RunAsync(host.Client, "CatchChild", null);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        CaughtFailure caught = result.ReadOutputAs<CaughtFailure>()!;
        Assert.Equal("FailingChild", caught.TaskName);
        Assert.Equal("Microsoft.DurableTask.TaskFailedException", caught.ErrorType);
        Assert.Equal("Task 'Explode' (#0) failed with an unhandled exception: disk full", caught.ErrorMessage);
        Assert.Equal("System.InvalidOperationException", caught.InnerErrorType);
        Assert.Equal("disk full", caught.InnerErrorMessage);
        Assert.True(caught.InnerIsInvalidOperation);
        Assert.False(caught.IsInvalidOperation);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task MissingActivity_FailsTheOrchestrationWithAClearFailure(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, r =>
            r.AddOrchestratorFunc<string>("CallsGhost", ctx => ctx.CallActivityAsync<string>("NoSuchActivity", "x")));

        OrchestrationMetadata result = await RunAsync(host.Client, "CallsGhost", null);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        TaskFailureDetails failure = Assert.IsType<TaskFailureDetails>(result.FailureDetails);
        Assert.Equal("Microsoft.DurableTask.TaskFailedException", failure.ErrorType);
        Assert.Equal(
            "Task 'NoSuchActivity' (#0) failed with an unhandled exception: No activity task named 'NoSuchActivity' was found.",
            failure.ErrorMessage);
        TaskFailureDetails inner = Assert.IsType<TaskFailureDetails>(failure.InnerFailure);
        Assert.Equal("ActivityTaskNotFound", inner.ErrorType);
        Assert.Equal("No activity task named 'NoSuchActivity' was found.", inner.ErrorMessage);
    }

    [Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task MissingOrchestrator_FailsTheInstanceWithAClearFailure(string runtime)
    {
        await using IConformanceHost host = await StartAsync(runtime, _ => { });

        OrchestrationMetadata result = await RunAsync(host.Client, "NoSuchOrchestrator", null);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        TaskFailureDetails failure = Assert.IsType<TaskFailureDetails>(result.FailureDetails);
        Assert.Equal("OrchestratorTaskNotFound", failure.ErrorType);
        Assert.Equal("No orchestrator task named 'NoSuchOrchestrator' was found.", failure.ErrorMessage);
        Assert.Null(failure.InnerFailure);
    }
}

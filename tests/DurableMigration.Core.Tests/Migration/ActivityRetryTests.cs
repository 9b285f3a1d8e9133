using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.DurableTask;
using CoreFailureDetails = DurableTask.Core.FailureDetails;
using CoreTaskFailedException = DurableTask.Core.Exceptions.TaskFailedException;

namespace DurableMigration.Core.Tests.Migration;

public sealed class ActivityRetryTests
{
    private static readonly RetryPolicy Policy = CompensationRunner.ActivityRetry.Retry!.Policy!;

    [Fact]
    public void ActivityRetry_ThreeAttempts_WithBackoffCappedAtThirtySeconds()
    {
        Assert.Equal(3, Policy.MaxNumberOfAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), Policy.FirstRetryInterval);
        Assert.Equal(2.0, Policy.BackoffCoefficient);
        Assert.Equal(TimeSpan.FromSeconds(30), Policy.MaxRetryInterval);
        Assert.Equal(Timeout.InfiniteTimeSpan, Policy.RetryTimeout);
    }

    [Fact]
    public void ActivityRetry_TransientFailure_IsRetried()
    {
        Assert.True(Policy.Handle(FailedActivity(new TimeoutException("slow"))));
    }

    [Fact]
    public void ActivityRetry_NonRetriableFailure_IsNotRetried()
    {
        Assert.False(Policy.Handle(FailedActivity(new DrillFailureException("users", MigrationStep.Cutover))));
        Assert.False(Policy.Handle(FailedActivity(new UnknownEngineException("oracle", ["sqlite"]))));
    }

    [Fact]
    public void IsNonRetriable_ReadsTheMarkerFromTheRecordedTypeName()
    {
        Assert.True(TaskFailureDetails.FromException(new NestedNonRetriableException()).IsNonRetriable());
        Assert.False(TaskFailureDetails.FromException(new InvalidOperationException("x")).IsNonRetriable());
        Assert.False(new TaskFailureDetails("No.Such.Type", "gone", null, null, null).IsNonRetriable());
    }

    [Fact]
    public void IsNonRetriable_IgnoresInnerFailures()
    {
        var wrapped = new InvalidOperationException("outer", new NestedNonRetriableException());

        Assert.False(TaskFailureDetails.FromException(wrapped).IsNonRetriable());
    }

    [Fact]
    public void Describe_UnwrapsTaskFailures_ToTheInnermostCause()
    {
        var cause = new TaskFailureDetails("DurableMigration.Providers.DatabaseProviderException", "database 'users' is locked", null, null, null);
        var wrapper = new TaskFailureDetails(typeof(TaskFailedException).FullName!, "Task 'CutoverActivity' (#4) failed", null, cause, null);

        string described = CompensationRunner.Describe(new TaskFailedException(MigrationNames.DatabaseMigrationOrchestration, 7, wrapper));

        Assert.Equal("DatabaseProviderException: database 'users' is locked", described);
    }

    /// <summary>What the Durable Task Framework hands a retry policy when an activity attempt fails.</summary>
    private static CoreTaskFailedException FailedActivity(Exception cause) =>
        new("activity failed", cause) { FailureDetails = new CoreFailureDetails(cause) };

    private sealed class NestedNonRetriableException() : Exception("blocking"), INonRetriableException;
}

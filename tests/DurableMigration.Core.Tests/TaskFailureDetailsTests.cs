using DurableMigration.Orchestration;

namespace DurableMigration.Core.Tests;

public sealed class TaskFailureDetailsTests
{
    [Fact]
    public void FromException_KeepsTypeMessageAndInnerChain()
    {
        var details = TaskFailureDetails.FromException(new InvalidOperationException("outer", new IOException("disk")));

        Assert.Equal("System.InvalidOperationException", details.ErrorType);
        Assert.Equal("outer", details.ErrorMessage);
        Assert.Equal("System.IO.IOException", details.InnerFailure!.ErrorType);
        Assert.False(details.IsNonRetriable);
    }

    [Fact]
    public void FromException_MarksNonRetriableExceptions()
    {
        var details = TaskFailureDetails.FromException(new BlockingFindingException());

        Assert.True(details.IsNonRetriable);
    }

    [Fact]
    public void IsCausedBy_MatchesBaseTypesAndInnerFailures()
    {
        var details = TaskFailureDetails.FromException(new InvalidOperationException("outer", new FileNotFoundException("missing")));

        Assert.True(details.IsCausedBy<InvalidOperationException>());
        Assert.True(details.IsCausedBy<IOException>()); // FileNotFoundException derives from IOException
        Assert.False(details.IsCausedBy<TimeoutException>());
    }

    [Fact]
    public void FromException_OfATaskFailure_WrapsTheTaskOwnFailure()
    {
        var inner = new TaskFailureDetails("System.TimeoutException", "slow");

        var details = TaskFailureDetails.FromException(new TaskFailedException("Copy", 4, inner));

        Assert.Equal(typeof(TaskFailedException).FullName, details.ErrorType);
        Assert.Same(inner, details.InnerFailure);
        Assert.Contains("'Copy' (#4)", details.ErrorMessage, StringComparison.Ordinal);
    }

    private sealed class BlockingFindingException() : Exception("blocking"), INonRetriableException;
}

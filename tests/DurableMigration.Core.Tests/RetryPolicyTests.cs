using DurableMigration.Orchestration;

namespace DurableMigration.Core.Tests;

public sealed class RetryPolicyTests
{
    private static readonly TaskFailureDetails Transient = new("System.TimeoutException", "timed out");

    [Fact]
    public void NextDelay_GrowsByTheBackoffCoefficient()
    {
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(1), backoffCoefficient: 2.0);

        var delays = Enumerable.Range(1, 4).Select(a => policy.NextDelay(a, TimeSpan.Zero, Transient)).ToList();

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)], delays);
    }

    [Fact]
    public void NextDelay_AfterTheLastAttempt_IsNull()
    {
        var policy = new RetryPolicy(3, TimeSpan.FromSeconds(1));

        Assert.Null(policy.NextDelay(3, TimeSpan.Zero, Transient));
    }

    [Fact]
    public void NextDelay_IsCappedByTheMaximumInterval()
    {
        var policy = new RetryPolicy(10, TimeSpan.FromSeconds(1), backoffCoefficient: 10, maxRetryInterval: TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(30), policy.NextDelay(5, TimeSpan.Zero, Transient));
    }

    [Fact]
    public void NextDelay_PastTheRetryTimeout_IsNull()
    {
        var policy = new RetryPolicy(10, TimeSpan.FromSeconds(10), retryTimeout: TimeSpan.FromSeconds(15));

        Assert.Null(policy.NextDelay(1, TimeSpan.FromSeconds(6), Transient));
    }

    [Fact]
    public void NextDelay_ForANonRetriableFailure_IsNull()
    {
        var policy = new RetryPolicy(10, TimeSpan.FromSeconds(1));

        Assert.Null(policy.NextDelay(1, TimeSpan.Zero, Transient with { IsNonRetriable = true }));
    }

    [Fact]
    public void NextDelay_ForAFailureTheFilterDeclines_IsNull()
    {
        var policy = new RetryPolicy(10, TimeSpan.FromSeconds(1)) { HandleFailure = f => f.ErrorType != "System.TimeoutException" };

        Assert.Null(policy.NextDelay(1, TimeSpan.Zero, Transient));
    }

    [Theory]
    [InlineData(0, 1000, 1.0)]
    [InlineData(3, 0, 1.0)]
    [InlineData(3, 1000, 0.5)]
    public void Constructor_WithOutOfRangeArguments_Throws(int attempts, int firstIntervalMs, double backoff)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(attempts, TimeSpan.FromMilliseconds(firstIntervalMs), backoff));
    }
}

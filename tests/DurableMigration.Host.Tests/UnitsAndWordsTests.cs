using DurableMigration.Application;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Console;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Host.Tests;

/// <summary>Tables write sizes, durations and state names one way in every command.</summary>
public sealed class UnitsAndWordsTests
{
    [Theory]
    [InlineData(512L, "512 B")]
    [InlineData(48_316_416L, "46.1 MiB")]
    [InlineData(3L << 30, "3.0 GiB")]
    public void Bytes_AnySize_UsesBinaryUnitsWithOneDecimal(long bytes, string expected) => Assert.Equal(expected, Units.Bytes(bytes));

    [Theory]
    [InlineData(0.42, "0.4 s")]
    [InlineData(185, "3 min 05 s")]
    [InlineData(7_620, "2 h 07 min")]
    public void Duration_AnyLength_IsSecondsMinutesOrHours(double seconds, string expected) => Assert.Equal(expected, Units.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Words_OfEnumAndPhaseNames_AreLowerCaseWords()
    {
        Assert.Equal("rolled back", Words.Of(WaveOutcome.RolledBack));
        Assert.Equal("partially completed", Words.Of(WaveOutcome.PartiallyCompleted));
        Assert.Equal("rolling back", Words.Of("rollingBack"));
        Assert.Equal("running", Words.Of(OrchestrationRuntimeStatus.Running));
        Assert.Equal("needs attention", WaveConsole.Display(DatabaseState.NeedsAttention));
    }

    [Fact]
    public async Task RunWithADrill_NamesTheDrillAsItIsTyped_NotByItsEnumName()
    {
        using var workspace = new WaveWorkspace();

        var run = await workspace.DmigSplitAsync("run", workspace.WriteManifest("drilled"), "--drill", "beta:postValidate");

        Assert.True(run.ExitCode == DmigCommandLine.NotCompleted, run.ToString());
        Assert.Contains("drill beta:postValidate.", run.Stdout, StringComparison.Ordinal);
    }
}

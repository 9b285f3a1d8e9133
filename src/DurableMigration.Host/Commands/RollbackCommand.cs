using System.CommandLine;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig rollback &lt;wave&gt;</c>: roll back a running or finished wave, dependents first.</summary>
internal static class RollbackCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = new Argument<string>("wave") { Description = "The wave id" };
        var copyBack = new Option<bool>("--copy-back") { Description = "When consumers wrote to a target after cutover: apply those changes to the source first, then roll back" };
        var discardTargetWrites = new Option<bool>("--discard-target-writes") { Description = "When consumers wrote to a target after cutover: keep a backup of the target in <data-dir>/backups, then roll back without those writes" };
        var retry = new Option<bool>("--retry") { Description = "Re-run the compensations that failed (and roll back what is still completed) once their cause is fixed, e.g. a connection variable set" };
        var rollback = new Command("rollback", "Roll back a running or finished wave, dependents first, and wait until it is done. Refuses to drop a target consumers wrote to, unless told what to do with those writes.");
        rollback.Arguments.Add(waveArgument);
        rollback.Options.Add(copyBack);
        rollback.Options.Add(discardTargetWrites);
        rollback.Options.Add(retry);
        rollback.Validators.Add(result =>
        {
            if (result.GetValue(copyBack) && result.GetValue(discardTargetWrites))
            {
                result.AddError("Choose one of --copy-back and --discard-target-writes.");
            }
        });
        rollback.SetAction((parse, ct) => RunAsync(
            options.For(parse),
            parse.GetValue(waveArgument)!,
            parse.GetValue(copyBack) ? TargetWrites.CopyBack : parse.GetValue(discardTargetWrites) ? TargetWrites.Discard : TargetWrites.Refuse,
            parse.GetValue(retry),
            ct));
        return rollback;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, TargetWrites targetWrites, bool retry, CancellationToken ct)
    {
        var (opened, exitCode) = await context.OpenWaveAsync(waveId, getInputsAndOutputs: true, ct).ConfigureAwait(false);
        if (opened is null)
        {
            return exitCode;
        }

        await using var host = opened.Host;
        var wave = opened.Wave;

        if (!wave.IsCompleted && retry)
        {
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Wave still running",
                $"Wave '{waveId}' is still running ({wave.RuntimeStatus}); --retry re-runs the failed compensations of a finished rollback. Roll it back with {MigrationNames.RollbackCommand(waveId)}.");
        }

        if (!wave.IsCompleted)
        {
            // A running wave: stop scheduling and compensate; running databases stop at their next step boundary or wait.
            await host.Client.RaiseEventAsync(waveId, MigrationNames.RollbackEvent, "cli", ct).ConfigureAwait(false);
            var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
            foreach (string name in view!.Databases.Keys)
            {
                var child = await host.Client.GetInstanceAsync(MigrationNames.DatabaseInstanceId(waveId, name), cancellation: ct).ConfigureAwait(false);
                if (child is { IsCompleted: false })
                {
                    await host.Client.RaiseEventAsync(child.InstanceId, MigrationNames.RollbackEvent, "cli", ct).ConfigureAwait(false);
                }
            }

            context.Output.Notice($"Rollback of running wave [bold]{Markup.Escape(waveId)}[/] requested.");
            return await context.WatchToEndAsync(host, waveId, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
        }

        var result = wave.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? wave.ReadOutputAs<WaveResult>() : null;
        var input = wave.ReadInputAs<WaveInput>();
        string rollbackId = MigrationNames.RollbackInstanceId(waveId);
        var existing = await host.Client.GetInstanceAsync(rollbackId, getInputsAndOutputs: true, ct).ConfigureAwait(false);
        if (retry && result is not null && input is not null)
        {
            return await RetryAsync(context, host, input, result, existing, targetWrites, ct).ConfigureAwait(false);
        }

        if (result is null || input is null || !result.Databases.Any(d => d.State == DatabaseState.Completed))
        {
            bool retriable = result?.Databases.Any(IsRetriable) == true;
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Nothing to roll back",
                $"Wave '{waveId}' has no completed database to roll back ({wave.RuntimeStatus}{(result is null ? string.Empty : ", " + result.Outcome)}).{(retriable ? $" Its failed compensations run again with {MigrationNames.RetryRollbackCommand(waveId)}." : string.Empty)}");
        }

        // A rollback that left databases completed (refused, or a copy-back or backup that failed) runs again from where it left them.
        var leftOver = existing?.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? existing.ReadOutputAs<WaveResult>() : null;
        if (leftOver is not null && leftOver.Databases.Any(d => d.State == DatabaseState.Completed))
        {
            result = leftOver;
            existing = null;
        }

        if (existing is null || existing.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated)
        {
            await host.Client.ScheduleNewOrchestrationInstanceAsync(
                MigrationNames.WaveRollbackOrchestration, new WaveRollbackInput(input.Manifest, result, targetWrites), new StartOrchestrationOptions(rollbackId), ct).ConfigureAwait(false);
            context.Output.Notice($"Rolling back finished wave [bold]{Markup.Escape(waveId)}[/] as [bold]{Markup.Escape(rollbackId)}[/].");
        }
        else
        {
            context.Output.Notice($"Rollback [bold]{Markup.Escape(rollbackId)}[/] is {existing.RuntimeStatus}.");
        }

        return await context.WatchToEndAsync(host, rollbackId, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>--retry</c>: rolls back again from where the last attempt left the databases (the rollback's result, or the
    /// wave's when the wave rolled back while running): failed compensations run again, completed databases roll back.
    /// </summary>
    private static async Task<int> RetryAsync(
        CommandContext context, DmigHost host, WaveInput input, WaveResult waveResult, OrchestrationMetadata? existing, TargetWrites targetWrites, CancellationToken ct)
    {
        string waveId = waveResult.Wave;
        string rollbackId = MigrationNames.RollbackInstanceId(waveId);
        if (existing is { IsCompleted: false })
        {
            context.Output.Notice($"Rollback [bold]{Markup.Escape(rollbackId)}[/] is {existing.RuntimeStatus}.");
            return await context.WatchToEndAsync(host, rollbackId, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
        }

        var latest = existing?.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? existing.ReadOutputAs<WaveResult>() ?? waveResult : waveResult;
        if (!latest.Databases.Any(IsRetriable))
        {
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Nothing to retry",
                $"No compensation of wave '{waveId}' is left to run and no database is left completed ({latest.Outcome}).");
        }

        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveRollbackOrchestration,
            new WaveRollbackInput(input.Manifest, latest, targetWrites, RetryFailed: true),
            new StartOrchestrationOptions(rollbackId),
            ct).ConfigureAwait(false);
        context.Output.Notice($"Retrying the rollback of wave [bold]{Markup.Escape(waveId)}[/] as [bold]{Markup.Escape(rollbackId)}[/]: {string.Join(", ", latest.Databases.Where(IsRetriable).Select(d => Markup.Escape(d.Database)))}.");
        return await context.WatchToEndAsync(host, rollbackId, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
    }

    /// <summary>A database a retried rollback acts on: left completed, or failed with compensations still to run.</summary>
    private static bool IsRetriable(DatabaseMigrationResult database) =>
        database.State == DatabaseState.Completed || (database.State == DatabaseState.Failed && database.Registered.Count > 0);
}

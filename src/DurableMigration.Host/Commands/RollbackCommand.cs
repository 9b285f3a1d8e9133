using System.CommandLine;
using DurableMigration.Application;
using DurableMigration.Migration;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig rollback &lt;wave&gt;</c>: roll back a running or finished wave, dependents first.</summary>
internal static class RollbackCommand
{
    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options);
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
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        var result = await new WaveOperations(host.Client).RollbackAsync(waveId, targetWrites, retry, "cli", ct).ConfigureAwait(false);
        if (result.Refusal is { } refusal)
        {
            return context.Refuse(refusal, waveId);
        }

        string rollbackId = result.InstanceId;
        context.Output.Notice(result.Outcome switch
        {
            RollbackOutcome.RequestedOfRunningWave => $"Rollback of running wave [bold]{Markup.Escape(waveId)}[/] requested.",
            RollbackOutcome.RetryStarted => $"Retrying the rollback of wave [bold]{Markup.Escape(waveId)}[/] as [bold]{Markup.Escape(rollbackId)}[/]: {string.Join(", ", result.Databases.Select(Markup.Escape))}.",
            RollbackOutcome.AlreadyExists => $"Rollback [bold]{Markup.Escape(rollbackId)}[/] is {result.Instance!.RuntimeStatus}.",
            _ => $"Rolling back finished wave [bold]{Markup.Escape(waveId)}[/] as [bold]{Markup.Escape(rollbackId)}[/].",
        });
        return await context.WatchToEndAsync(host, rollbackId, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Migration;
using DurableMigration.Providers;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Console;

/// <summary>Renders waves for operators: live progress while running, a summary at the end, Durable Functions' status JSON on request.</summary>
internal sealed class WaveConsole(IAnsiConsole console)
{
    private readonly Dictionary<string, string> _lastLines = new(StringComparer.OrdinalIgnoreCase);

    public IAnsiConsole Out => console;

    /// <summary>Watches a wave until it finishes, showing per-database state and progress; returns the finished wave.</summary>
    public async Task<WaveView> WatchAsync(DurableTaskClient client, string waveId, CancellationToken cancellationToken)
    {
        if (console.Profile.Capabilities.Interactive)
        {
            WaveView? last = null;
            await console.Live(new Text($"Starting wave {waveId}…")).AutoClear(false).StartAsync(async live =>
            {
                while (true)
                {
                    last = await WaveView.LoadAsync(client, waveId, cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"No orchestration instance with id '{waveId}' exists.");
                    live.UpdateTarget(LiveTable(last));
                    if (last.Wave.IsCompleted)
                    {
                        return;
                    }

                    await Task.Delay(300, cancellationToken).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
            return last!;
        }

        while (true)
        {
            var view = await WaveView.LoadAsync(client, waveId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"No orchestration instance with id '{waveId}' exists.");
            WriteChanges(view);
            if (view.Wave.IsCompleted)
            {
                return view;
            }

            await Task.Delay(300, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The live table: one row per database with state, progress bar and what it is doing.</summary>
    public static Table LiveTable(WaveView view)
    {
        string title = $"wave [bold]{Markup.Escape(view.Wave.InstanceId)}[/] · {Markup.Escape(Words.Of(view.Status?.Phase ?? view.Wave.RuntimeStatus.ToString()))}";
        if (view.Ticket is { } ticket)
        {
            title += $" · ticket {Markup.Escape(ticket.ToString())}";
        }
        if (view.Rollback is { } rollback)
        {
            title += $" · rolled back by [bold]{Markup.Escape(rollback.Wave.InstanceId)}[/]: {Markup.Escape(Words.Of(RollbackOutcome(rollback)))}";
        }

        var table = new Table().Border(TableBorder.Rounded).Title(title)
            .AddColumn("database").AddColumn("state").AddColumn("progress").AddColumn("detail");
        foreach (string name in view.DatabaseNames)
        {
            var state = view.StateOf(name);
            view.Databases.TryGetValue(name, out var live);
            string message = view.Rollback is { } rb ? RollbackNote(rb, name) : live?.Message ?? string.Empty;
            // A cause an operator must act on (a failure waiting for them, a rollback refused or failed) is shown whole (on
            // one line, wrapped by the table), with the command that moves it on; progress notes are cut to fit.
            bool rollbackUnfinished = view.Rollback is not null && message.Length > 0;
            string detail = state == DatabaseState.NeedsAttention || rollbackUnfinished ? OneLine(message) : Truncate(message, 70);
            string? next = rollbackUnfinished
                ? $"next: fix the cause, then {MigrationNames.RetryRollbackCommand(view.Wave.InstanceId)}"
                : NextStep(view, name, state);
            table.AddRow(
                new Markup(Markup.Escape(name)),
                new Markup(view.Rollback is not null && state == DatabaseState.Completed ? "[red]completed, not rolled back[/]" : StateMarkup(state)),
                new Markup(view.Rollback is not null ? string.Empty : live?.Replication is { } replication && state is not DatabaseState.Completed ? ReplicationLag(replication) : ProgressBar(live?.Progress, state)),
                new Markup(Markup.Escape(detail) + (next is null ? string.Empty : $"\n[bold]{Markup.Escape(next)}[/]")));
        }

        return table;
    }

    /// <summary>
    /// What an operator runs next for a database that waits for one, and until when it waits: the command from the
    /// wave's status, or the retry command before the wave heard of the failure; <c>null</c> when none is needed.
    /// </summary>
    public static string? NextStep(WaveView view, string database, DatabaseState state)
    {
        if (view.Wave.IsCompleted || state is not (DatabaseState.AwaitingApproval or DatabaseState.NeedsAttention))
        {
            return null;
        }

        string wave = view.Wave.InstanceId;
        var attention = view.AttentionOf(database);
        if (state == DatabaseState.NeedsAttention)
        {
            string timeout = attention?.TimeoutAt is { } at
                ? $"operator timeout {at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC, then it rolls back"
                : "operator timeout: operatorTimeoutMinutes after the failure, then it rolls back";
            return $"next: {attention?.Next ?? MigrationNames.RetryCommand(wave, database)} or {MigrationNames.RollbackCommand(wave)} · {timeout}";
        }

        // Awaiting approval without an entry waits for its maintenance window: nothing to run.
        return attention is null ? null : $"next: {attention.Next} · no operator timeout";
    }

    /// <summary>How a rollback ended, or where it is.</summary>
    private static string RollbackOutcome(WaveView rollback) =>
        rollback.Result?.Outcome.ToString() ?? rollback.Status?.Phase ?? rollback.Wave.RuntimeStatus.ToString();

    /// <summary>Why a database was not (fully) rolled back: its latest refusal or failed compensation.</summary>
    private static string RollbackNote(WaveView rollback, string database)
    {
        var result = rollback.Result?.Databases.FirstOrDefault(d => string.Equals(d.Database, database, StringComparison.OrdinalIgnoreCase));
        if (result is null || result.State is DatabaseState.RolledBack)
        {
            return string.Empty;
        }

        return result.CompensationsRun.LastOrDefault(c => !c.Succeeded)?.Error ?? result.Error ?? string.Empty;
    }

    /// <summary>The end-of-wave summary: per database the outcome, volumes, timings, validation and compensations.</summary>
    public void WriteSummary(WaveView view)
    {
        if (view.Result is not { } result)
        {
            var failure = view.Wave.FailureDetails;
            console.MarkupLine($"[red]Wave {Markup.Escape(view.Wave.InstanceId)} ended {Words.Of(view.Wave.RuntimeStatus)}[/]{(failure is null ? string.Empty : ": " + Markup.Escape(Describe(failure)))}");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("database").AddColumn("state").AddColumn(new TableColumn("rows").RightAligned()).AddColumn(new TableColumn("bytes").RightAligned())
            .AddColumn("time").AddColumn("writes blocked").AddColumn("validation").AddColumn("compensations").AddColumn("note");
        foreach (var database in result.Databases)
        {
            table.AddRow(
                new Markup(Markup.Escape(database.Database)),
                new Markup(StateMarkup(database.State)),
                new Text(database.Rows.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(Units.Bytes(database.Bytes)),
                new Text(Duration(database.Steps)),
                new Text(WriteBlocked(database)),
                new Markup(ValidationMarkup(database.Validation)),
                new Markup(Markup.Escape(Compensations(database))),
                new Markup(Markup.Escape(Truncate(database.Error ?? string.Empty, 60))));
        }

        console.Write(table);
        foreach (var blocked in result.Assessment.Where(a => a.IsBlocked))
        {
            foreach (var finding in blocked.Findings.Where(f => f.Severity == FindingSeverity.Blocking))
            {
                console.MarkupLine($"[red]blocking[/] {Markup.Escape(blocked.Database)}: {Markup.Escape(finding.Message)} [grey]({Markup.Escape(finding.Rule)})[/]");
            }
        }

        foreach (var database in result.Databases.Where(d => d.Error is { Length: > 60 }))
        {
            // The note column is cut to fit; the full cause, on one line, is what an operator acts on.
            console.MarkupLine($"[red]error[/] {Markup.Escape(database.Database)}: {Markup.Escape(OneLine(database.Error!))}");
        }

        foreach (var database in result.Databases)
        {
            // The latest attempt of each compensation: an earlier failure may since have been fixed by a retry.
            foreach (var failed in database.CompensationsRun.Where(c => !c.Refused).GroupBy(c => c.Compensation).Select(g => g.Last()).Where(c => !c.Succeeded))
            {
                console.MarkupLine($"[red]compensation failed[/] {Markup.Escape(database.Database)}: {failed.Compensation}: {Markup.Escape(OneLine(failed.Error ?? "unknown error"))}");
            }
        }

        foreach (var database in result.Databases.Where(d => d.State == DatabaseState.Failed && d.Registered.Count > 0))
        {
            // Never a dead end: say what is left undone, and the command that finishes it once the cause is fixed.
            string readOnly = database.Registered.Contains(Compensation.MakeSourceWritable) ? "its source is still read-only, and " : string.Empty;
            console.MarkupLine($"[red]not finished[/] {Markup.Escape(database.Database)}: {readOnly}{string.Join(", ", database.Registered)} left to run");
            console.MarkupLine($"  fix the cause above, then run [bold]{Markup.Escape(MigrationNames.RetryRollbackCommand(result.Wave))}[/]");
        }

        foreach (var database in result.Databases)
        {
            // The latest refusal only: an earlier one may since have been settled by a rollback with a choice.
            if (database.State == DatabaseState.Completed && database.CompensationsRun.LastOrDefault(c => c.Refused) is { } refusal)
            {
                console.MarkupLine($"[red]not rolled back[/] {Markup.Escape(database.Database)}: {Markup.Escape(refusal.Error ?? "refused")}");
                if (!refusal.NeedsTargetWritesChoice)
                {
                    // Not a choice about the target's writes (the refusal names those options): a cause to fix, then a retry.
                    console.MarkupLine($"  fix the cause above, then run [bold]{Markup.Escape(MigrationNames.RetryRollbackCommand(result.Wave))}[/]");
                }
            }
        }

        if (result.RollbackOrder.Count > 0)
        {
            console.MarkupLine($"rolled back in this order: {Markup.Escape(string.Join(" → ", result.RollbackOrder))}");
        }

        string color = result.Outcome == WaveOutcome.Completed ? "green" : "red";
        TimeSpan elapsed = view.Wave.LastUpdatedAt - view.Wave.CreatedAt;
        console.MarkupLine($"[{color}]Wave {Markup.Escape(result.Wave)}: {Words.Of(result.Outcome)}[/] in {Units.Duration(elapsed)}");
    }

    /// <summary>The instance in Durable Functions' status JSON shape.</summary>
    public static JsonObject StatusNode(OrchestrationMetadata instance) => WaveJson.StatusNode(instance);

    /// <summary>A failure as one line, with the failures it wraps: <c>type: message ---> inner type: inner message</c>.</summary>
    public static string Describe(TaskFailureDetails failure) =>
        failure.InnerFailure is null ? $"{failure.ErrorType}: {failure.ErrorMessage}" : $"{failure.ErrorType}: {failure.ErrorMessage} ---> {Describe(failure.InnerFailure)}";

    private void WriteChanges(WaveView view)
    {
        foreach (string name in view.DatabaseNames)
        {
            var state = view.StateOf(name);
            view.Databases.TryGetValue(name, out var live);
            string progress = live?.Progress is { } p ? $" {p.RowsCopied:N0}/{p.RowsTotal:N0} rows" : string.Empty;
            string? next = NextStep(view, name, state);
            string line = $"{name}: {Display(state)}{(live?.Message is { } m ? " - " + m : string.Empty)}{progress}{(next is null ? string.Empty : " · " + next)}";
            if (!_lastLines.TryGetValue(name, out var previous) || previous != line)
            {
                _lastLines[name] = line;
                console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
            }
        }
    }

    public static string Display(DatabaseState state) => Words.Display(state);

    private static string StateMarkup(DatabaseState state)
    {
        string color = state switch
        {
            DatabaseState.Completed => "green",
            DatabaseState.Failed or DatabaseState.NeedsAttention => "red",
            DatabaseState.RolledBack or DatabaseState.RollingBack or DatabaseState.Skipped => "yellow",
            DatabaseState.AwaitingApproval => "blue",
            _ => "white",
        };
        return $"[{color}]{Display(state)}[/]";
    }

    /// <summary>An online migration's lag while it syncs: <c>streaming · lag 0.4 s · 12.0 KiB</c>.</summary>
    private static string ReplicationLag(ReplicationStatus replication) =>
        Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{replication.State} · lag {(replication.LagSeconds is { } seconds ? $"{seconds:0.0} s · " : string.Empty)}{Units.Bytes(replication.LagBytes)}"));

    private static string ProgressBar(CopyProgress? progress, DatabaseState state)
    {
        if (state == DatabaseState.Completed && (progress is null || progress.RowsTotal == 0))
        {
            return "[green]████████████████████[/] 100%";
        }

        if (progress is null)
        {
            return string.Empty;
        }

        string rate = progress.BytesPerSecond is > 0 and var bytesPerSecond ? $" · {Units.Bytes((long)bytesPerSecond)}/s" : string.Empty;
        if (progress.RowsTotal == 0)
        {
            // A copy without a row count, such as a backup restore: say what it does and how much it moved.
            return progress.BytesCopied > 0 ? Markup.Escape($"{progress.Table} · {Units.Bytes(progress.BytesCopied)}{rate}") : string.Empty;
        }

        double fraction = Math.Clamp(progress.RowsCopied / (double)progress.RowsTotal, 0, 1);
        int filled = (int)Math.Round(fraction * 20);
        return string.Create(CultureInfo.InvariantCulture,
            $"[green]{new string('█', filled)}[/][grey]{new string('░', 20 - filled)}[/] {fraction:P0} {progress.RowsCopied:N0}/{progress.RowsTotal:N0} rows{Markup.Escape(rate)}");
    }

    /// <summary>Says "passed" only when rows were compared: "not validated" when row counts and checksums were both off.</summary>
    private static string ValidationMarkup(ValidationReport? validation) => validation switch
    {
        null => "[grey]-[/]",
        { Passed: true, Validated: false } => "[yellow]not validated[/] (checks off)",
        { Passed: true } => $"[green]passed[/] ({validation.ComparedTables} {(validation.ComparedTables == 1 ? "table" : "tables")})",
        _ => $"[red]mismatch[/] ({validation.Tables.Count(t => !t.Matches) + validation.MissingInTarget.Count})",
    };

    /// <summary>How long the source refused writes before consumers moved, and how many changed rows the final sync applied.</summary>
    private static string WriteBlocked(DatabaseMigrationResult database) => database.WriteBlocked is { } blocked
        ? string.Create(CultureInfo.InvariantCulture, $"{Units.Duration(blocked)}{(database.FinalSync is { } sync ? $", {sync.ChangedRows:N0} changed" : string.Empty)}")
        : "-";

    private static string Compensations(DatabaseMigrationResult database)
    {
        if (database.CompensationsRun.Count == 0)
        {
            return "-";
        }

        return string.Join(", ", database.CompensationsRun.Select(c => c.Refused ? $"{Words.Of(c.Compensation)} refused" : c.Succeeded ? Words.Of(c.Compensation) : $"{Words.Of(c.Compensation)} failed"));
    }

    private static string Duration(IReadOnlyList<StepTiming> steps) =>
        steps.Count == 0 ? "-" : Units.Duration(steps.Max(s => s.EndedAt) - steps.Min(s => s.StartedAt));

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

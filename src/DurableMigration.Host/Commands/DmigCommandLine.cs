using System.CommandLine;
using DurableMigration.Engine;
using DurableMigration.Host.Console;
using DurableMigration.Host.Demo;
using DurableMigration.Host.Hosting;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Migration.Activities;
using DurableMigration.Providers;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary>The <c>dmig</c> command line: demo, run, assess, status, approve, retry, rollback.</summary>
/// <remarks>Exit codes: 0 done (the wave completed, or nothing blocks); 1 the wave did not complete, or the request was refused; 2 bad input; 130 interrupted.</remarks>
public static class DmigCommandLine
{
    /// <summary>Exit code: the wave completed, or the command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Exit code: the wave did not complete (blocked, rolled back, failed), or the request was refused.</summary>
    public const int NotCompleted = 1;

    /// <summary>Exit code: bad input (manifest, arguments).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code: interrupted with Ctrl+C; the wave resumes with the same command.</summary>
    public const int Interrupted = 130;

    /// <summary>Parses and runs a command line; argument errors are written to <paramref name="errors"/> and exit with <see cref="BadInput"/>, as documented.</summary>
    public static async Task<int> InvokeAsync(
        string[] args,
        IAnsiConsole? console = null,
        TextWriter? errors = null,
        Action<IServiceCollection>? configure = null,
        InvocationConfiguration? invocation = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parse = Build(console, configure).Parse(args);
        if (parse.Errors.Count > 0)
        {
            errors ??= System.Console.Error;
            foreach (var error in parse.Errors)
            {
                await errors.WriteLineAsync($"dmig: {error.Message}").ConfigureAwait(false);
            }

            await errors.WriteLineAsync("Run 'dmig --help' for the commands and their options.").ConfigureAwait(false);
            return BadInput;
        }

        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree; <paramref name="console"/> and <paramref name="configure"/> let tests capture output and replace services.</summary>
    public static RootCommand Build(IAnsiConsole? console = null, Action<IServiceCollection>? configure = null)
    {
        var ui = new WaveConsole(console ?? AnsiConsole.Console);
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Where the task hub, connection registry, logs and demo databases live",
            DefaultValueFactory = _ => ".dmig",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the final status as Durable Functions' status JSON" };
        var manifestArgument = new Argument<FileInfo>("manifest") { Description = "The wave manifest (JSON or YAML)" };
        var waveArgument = new Argument<string>("wave") { Description = "The wave id" };

        var durability = new Option<TaskHubDurability>("--durability")
        {
            Description = "What a committed step survives: normal (a process crash; the default) or full (also a power loss, slower)",
            DefaultValueFactory = _ => TaskHubDurability.Normal,
            Recursive = true,
        };
        var root = new RootCommand("dmig: migrate waves of databases durably, with rollback, on the embedded runtime.");
        root.Options.Add(dataDir);
        root.Options.Add(durability);

        var demo = new Command("demo", "Create sample social-media databases in the data directory and migrate them in a sample wave.");
        demo.Options.Add(json);
        demo.SetAction((parse, ct) => RunDemoAsync(ui, HostSettings.From(parse, dataDir, durability), parse.GetValue(json), configure, ct));
        root.Subcommands.Add(demo);

        var drill = new Option<string?>("--drill") { Description = "Rehearse rollback: fail <database>:<step> (validate, migrate, monitor, cutover, postValidate, remediate)" };
        var run = new Command("run", "Run a wave to its end with live progress; resumes a wave that is still in flight.");
        run.Arguments.Add(manifestArgument);
        run.Options.Add(json);
        run.Options.Add(drill);
        run.SetAction((parse, ct) => RunManifestAsync(ui, HostSettings.From(parse, dataDir, durability), parse.GetValue(manifestArgument)!, parse.GetValue(drill), parse.GetValue(json), configure, ct));
        root.Subcommands.Add(run);

        var assess = new Command("assess", "Pre-flight validation only: a readable report; exit code 0 when nothing blocks.");
        assess.Arguments.Add(manifestArgument);
        assess.SetAction((parse, ct) => AssessAsync(ui, HostSettings.From(parse, dataDir, durability), parse.GetValue(manifestArgument)!, configure, ct));
        root.Subcommands.Add(assess);

        var statusWave = new Argument<string?>("wave") { Description = "The wave id; lists all waves when omitted", Arity = ArgumentArity.ZeroOrOne };
        var status = new Command("status", "Show one wave's databases, or list all waves.");
        status.Arguments.Add(statusWave);
        status.Options.Add(json);
        status.SetAction((parse, ct) => StatusAsync(ui, HostSettings.From(parse, dataDir, durability), parse.GetValue(statusWave), parse.GetValue(json), configure, ct));
        root.Subcommands.Add(status);

        var approveDatabase = new Argument<string?>("database") { Description = "The database; all databases awaiting approval when omitted", Arity = ArgumentArity.ZeroOrOne };
        var approve = new Command("approve", "Approve cutover of a database (or of every database awaiting approval) in a wave.");
        approve.Arguments.Add(waveArgument);
        approve.Arguments.Add(approveDatabase);
        approve.SetAction((parse, ct) => ApproveAsync(ui, HostSettings.From(parse, dataDir, durability), parse.GetValue(waveArgument)!, parse.GetValue(approveDatabase), configure, ct));
        root.Subcommands.Add(approve);

        var retryDatabase = new Argument<string>("database") { Description = "The database that needs attention" };
        var retry = new Command("retry", "Re-run a database that needs attention from its failed step.");
        retry.Arguments.Add(waveArgument);
        retry.Arguments.Add(retryDatabase);
        retry.SetAction((parse, ct) => RetryAsync(ui, HostSettings.From(parse, dataDir, durability), parse.GetValue(waveArgument)!, parse.GetValue(retryDatabase)!, configure, ct));
        root.Subcommands.Add(retry);

        var copyBack = new Option<bool>("--copy-back") { Description = "When consumers wrote to a target after cutover: apply those changes to the source first, then roll back" };
        var discardTargetWrites = new Option<bool>("--discard-target-writes") { Description = "When consumers wrote to a target after cutover: keep a backup of the target in <data-dir>/backups, then roll back without those writes" };
        var rollback = new Command("rollback", "Roll back a running or finished wave, dependents first, and wait until it is done. Refuses to drop a target consumers wrote to, unless told what to do with those writes.");
        rollback.Arguments.Add(waveArgument);
        rollback.Options.Add(json);
        rollback.Options.Add(copyBack);
        rollback.Options.Add(discardTargetWrites);
        rollback.Validators.Add(result =>
        {
            if (result.GetValue(copyBack) && result.GetValue(discardTargetWrites))
            {
                result.AddError("Choose one of --copy-back and --discard-target-writes.");
            }
        });
        rollback.SetAction((parse, ct) => RollbackAsync(
            ui,
            HostSettings.From(parse, dataDir, durability),
            parse.GetValue(waveArgument)!,
            parse.GetValue(copyBack) ? TargetWrites.CopyBack : parse.GetValue(discardTargetWrites) ? TargetWrites.Discard : TargetWrites.Refuse,
            parse.GetValue(json),
            configure,
            ct));
        root.Subcommands.Add(rollback);
        return root;
    }

    private static async Task<int> RunDemoAsync(WaveConsole ui, HostSettings settings, bool json, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        await using var host = settings.CreateHost(configure);
        var inFlight = await FirstWaveAsync(host.Client, new OrchestrationQuery
        {
            InstanceIdPrefix = "demo-",
            Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
        }, ct).ConfigureAwait(false);
        if (inFlight is { } resume)
        {
            ui.Out.MarkupLine($"Resuming demo wave [bold]{Markup.Escape(resume.InstanceId)}[/] from {Markup.Escape(host.DataDirectory)}.");
            return await WatchToEndAsync(ui, host, resume.InstanceId, json, ct).ConfigureAwait(false);
        }

        string demoDir = Path.Combine(host.DataDirectory, "demo");
        ui.Out.MarkupLine($"Creating sample databases in [bold]{Markup.Escape(demoDir)}[/]…");
        var (users, content, engagement) = await SampleDatabases.CreateAsync(Path.Combine(demoDir, "source"), ct).ConfigureAwait(false);
        string targetDir = Path.Combine(demoDir, "target");
        Directory.CreateDirectory(targetDir);
        string waveId = $"demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        string manifestPath = Path.Combine(demoDir, "wave.json");
        await File.WriteAllTextAsync(manifestPath, DemoManifest(waveId, users, content, engagement, targetDir), ct).ConfigureAwait(false);
        ui.Out.MarkupLine($"users.db ({SampleDatabases.Users:N0} users), content.db ({SampleDatabases.Posts:N0} posts, {SampleDatabases.Comments:N0} comments), engagement.db ({SampleDatabases.Likes:N0} likes, {SampleDatabases.Follows:N0} follows; depends on both). Manifest: [bold]{Markup.Escape(manifestPath)}[/]");
        var manifest = WaveManifestReader.Parse(await File.ReadAllTextAsync(manifestPath, ct).ConfigureAwait(false), manifestPath);
        return await StartAndWatchAsync(ui, host, manifest, null, json, ct).ConfigureAwait(false);
    }

    private static async Task<int> RunManifestAsync(WaveConsole ui, HostSettings settings, FileInfo manifestFile, string? drillText, bool json, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        var manifest = await LoadManifestAsync(ui, manifestFile, ct).ConfigureAwait(false);
        if (manifest is null)
        {
            return BadInput;
        }

        DrillSpec? drill = null;
        if (drillText is not null && !TryParseDrill(drillText, manifest, out drill, out string? error))
        {
            ui.Out.MarkupLine($"[red]--drill {Markup.Escape(drillText)}: {Markup.Escape(error!)}[/]");
            return BadInput;
        }

        await using var host = settings.CreateHost(configure);
        var existing = await host.Client.GetInstanceAsync(manifest.Wave, cancellation: ct).ConfigureAwait(false);
        if (existing is { IsCompleted: true })
        {
            ui.Out.MarkupLine($"[yellow]Wave {Markup.Escape(manifest.Wave)} already finished ({existing.RuntimeStatus}); its result follows. Give the manifest a new wave id to migrate again, or undo it with dmig rollback {Markup.Escape(manifest.Wave)}.[/]");
            return await WatchToEndAsync(ui, host, manifest.Wave, json, ct).ConfigureAwait(false);
        }

        if (existing is not null)
        {
            if (drill is not null)
            {
                ui.Out.MarkupLine("[yellow]--drill applies to a new wave only; resuming without it.[/]");
            }

            ui.Out.MarkupLine($"Resuming wave [bold]{Markup.Escape(manifest.Wave)}[/] ({existing.RuntimeStatus}) from {Markup.Escape(host.DataDirectory)}.");
            return await WatchToEndAsync(ui, host, manifest.Wave, json, ct).ConfigureAwait(false);
        }

        return await StartAndWatchAsync(ui, host, manifest, drill, json, ct).ConfigureAwait(false);
    }

    private static async Task<int> StartAndWatchAsync(WaveConsole ui, DmigHost host, WaveManifest manifest, DrillSpec? drill, bool json, CancellationToken ct)
    {
        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            MigrationNames.WaveOrchestration,
            new WaveInput(manifest, drill),
            new StartOrchestrationOptions(manifest.Wave),
            ct).ConfigureAwait(false);
        ui.Out.MarkupLine($"Wave [bold]{Markup.Escape(manifest.Wave)}[/]: {manifest.Databases.Count} database(s), {manifest.Mode.ToString().ToLowerInvariant()}, at most {manifest.MaxParallel} at a time{(drill is null ? string.Empty : $", drill {Markup.Escape(drill.ToString())}")}.");
        return await WatchToEndAsync(ui, host, manifest.Wave, json, ct).ConfigureAwait(false);
    }

    /// <summary>Hosts the runtime and shows the instance until it ends; success when it ends with <paramref name="success"/>.</summary>
    private static async Task<int> WatchToEndAsync(WaveConsole ui, DmigHost host, string instanceId, bool json, CancellationToken ct, WaveOutcome success = WaveOutcome.Completed)
    {
        try
        {
            await host.StartEngineAsync(ct).ConfigureAwait(false);
            var view = await ui.WatchAsync(host.Client, instanceId, ct).ConfigureAwait(false);
            if (json)
            {
                ui.WriteRaw(WaveConsole.StatusJson(view.Wave));
            }
            else
            {
                ui.WriteSummary(view);
            }

            return view.Result?.Outcome == success ? Success : NotCompleted;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ui.Out.MarkupLine($"[yellow]Interrupted. The wave is saved in {Markup.Escape(host.DataDirectory)}; run the same command again to continue.[/]");
            return Interrupted;
        }
    }

    private static async Task<int> AssessAsync(WaveConsole ui, HostSettings settings, FileInfo manifestFile, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        var manifest = await LoadManifestAsync(ui, manifestFile, ct).ConfigureAwait(false);
        if (manifest is null)
        {
            return BadInput;
        }

        await using var host = settings.CreateHost(configure);
        // The same activity the wave's pre-flight runs, called directly: no orchestration, nothing touched.
        // Its shutdown signal is this command's token, so Ctrl+C stops an assessment in progress.
        var validate = ActivatorUtilities.CreateInstance<ValidateDatabaseActivity>(host.Services, new CommandShutdown(ct));
        var context = new AssessmentActivityContext(MigrationActivityNames.ValidateDatabase, manifest.Wave);
        bool blocked = false;
        var table = new Table().Border(TableBorder.Rounded).Title($"assessment of wave [bold]{Markup.Escape(manifest.Wave)}[/]")
            .AddColumn("database").AddColumn("engine").AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("tables").RightAligned()).AddColumn("findings");
        foreach (var database in manifest.Databases)
        {
            AssessmentReport report;
            try
            {
                report = await validate.RunAsync(context, new DatabaseStepInput(manifest.Wave, database)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                report = new AssessmentReport(database.Name, "unknown", 0, 0, [new AssessmentFinding("assessment.failed", FindingSeverity.Blocking, $"assessment could not run: {ex.Message}")]);
            }

            blocked |= report.IsBlocked;
            string findings = report.Findings.Count == 0
                ? "[green]no findings[/]"
                : string.Join("\n", report.Findings.Select(f => $"{SeverityMarkup(f.Severity)} {Markup.Escape(f.Message)} [grey]({Markup.Escape(f.Rule)})[/]"));
            table.AddRow(new Markup(Markup.Escape(database.Name)), new Text($"{database.Source.Engine} {report.EngineVersion}"), new Text($"{report.SizeBytes / 1024.0:N0} KiB"), new Text(report.Tables.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Markup(findings));
        }

        ui.Out.Write(table);
        ui.Out.MarkupLine(blocked ? "[red]Blocked: fix the blocking findings before running the wave.[/]" : "[green]Nothing blocks this wave.[/]");
        return blocked ? NotCompleted : Success;
    }

    private static async Task<int> StatusAsync(WaveConsole ui, HostSettings settings, string? waveId, bool json, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        await using var host = settings.CreateHost(configure);
        if (waveId is null)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("wave").AddColumn("status").AddColumn("outcome").AddColumn("created (UTC)").AddColumn("updated (UTC)");
            // The SDK's query has no name filter: list every instance without payloads, keep the waves, then read each wave's output.
            await foreach (var instance in host.Client.GetAllInstancesAsync(new OrchestrationQuery()).WithCancellation(ct).ConfigureAwait(false))
            {
                if (instance.Name != MigrationNames.WaveOrchestration
                    || await host.Client.GetInstanceAsync(instance.InstanceId, getInputsAndOutputs: true, ct).ConfigureAwait(false) is not { } wave)
                {
                    continue;
                }

                string outcome = wave.ReadOutputAs<WaveResult>()?.Outcome.ToString() ?? wave.ReadCustomStatusAs<WaveStatus>()?.Phase ?? "-";
                table.AddRow(Markup.Escape(wave.InstanceId), wave.RuntimeStatus.ToString(), Markup.Escape(outcome), $"{wave.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}", $"{wave.LastUpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
            }

            ui.Out.Write(table);
            return Success;
        }

        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null)
        {
            ui.Out.MarkupLine($"[red]No wave '{Markup.Escape(waveId)}' in {Markup.Escape(host.DataDirectory)}.[/]");
            return NotCompleted;
        }

        if (json)
        {
            ui.WriteRaw(WaveConsole.StatusJson(view.Wave));
        }
        else
        {
            ui.Out.Write(WaveConsole.LiveTable(view));
            if (view.Wave.IsCompleted)
            {
                ui.WriteSummary(view);
            }
        }

        return Success;
    }

    private static async Task<int> ApproveAsync(WaveConsole ui, HostSettings settings, string waveId, string? database, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        await using var host = settings.CreateHost(configure);
        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null || view.Wave.IsCompleted)
        {
            ui.Out.MarkupLine(view is null ? $"[red]No wave '{Markup.Escape(waveId)}'.[/]" : $"[red]Wave '{Markup.Escape(waveId)}' already finished.[/]");
            return NotCompleted;
        }

        var waiting = view.DatabaseNames.Where(n => view.StateOf(n) == DatabaseState.AwaitingApproval).ToList();
        var targets = database is null ? waiting : waiting.Where(n => string.Equals(n, database, StringComparison.OrdinalIgnoreCase)).ToList();
        if (targets.Count == 0)
        {
            ui.Out.MarkupLine(database is null
                ? $"[yellow]No database of wave '{Markup.Escape(waveId)}' is awaiting approval.[/]"
                : $"[yellow]Database '{Markup.Escape(database)}' of wave '{Markup.Escape(waveId)}' is not awaiting approval (it is {WaveConsole.Display(view.StateOf(database))}).[/]");
            return NotCompleted;
        }

        foreach (string name in targets)
        {
            await host.Client.RaiseEventAsync(MigrationNames.DatabaseInstanceId(waveId, name), MigrationNames.ApproveCutoverEvent, "cli", ct).ConfigureAwait(false);
            ui.Out.MarkupLine($"Approved cutover of [bold]{Markup.Escape(name)}[/].");
        }

        return Success;
    }

    private static async Task<int> RetryAsync(WaveConsole ui, HostSettings settings, string waveId, string database, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        await using var host = settings.CreateHost(configure);
        var view = await WaveView.LoadAsync(host.Client, waveId, ct).ConfigureAwait(false);
        if (view is null || view.StateOf(database) != DatabaseState.NeedsAttention)
        {
            ui.Out.MarkupLine(view is null
                ? $"[red]No wave '{Markup.Escape(waveId)}'.[/]"
                : $"[yellow]Database '{Markup.Escape(database)}' does not need attention (it is {WaveConsole.Display(view.StateOf(database))}).[/]");
            return NotCompleted;
        }

        await host.Client.RaiseEventAsync(MigrationNames.DatabaseInstanceId(waveId, database), MigrationNames.RetryEvent, "cli", ct).ConfigureAwait(false);
        ui.Out.MarkupLine($"Retrying [bold]{Markup.Escape(database)}[/] from its failed step.");
        return Success;
    }

    private static async Task<int> RollbackAsync(WaveConsole ui, HostSettings settings, string waveId, TargetWrites targetWrites, bool json, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        await using var host = settings.CreateHost(configure);
        var wave = await host.Client.GetInstanceAsync(waveId, getInputsAndOutputs: true, ct).ConfigureAwait(false);
        if (wave is null)
        {
            ui.Out.MarkupLine($"[red]No wave '{Markup.Escape(waveId)}' in {Markup.Escape(host.DataDirectory)}.[/]");
            return NotCompleted;
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

            ui.Out.MarkupLine($"Rollback of running wave [bold]{Markup.Escape(waveId)}[/] requested.");
            return await WatchToEndAsync(ui, host, waveId, json, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
        }

        var result = wave.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? wave.ReadOutputAs<WaveResult>() : null;
        var input = wave.ReadInputAs<WaveInput>();
        if (result is null || input is null || !result.Databases.Any(d => d.State == DatabaseState.Completed))
        {
            ui.Out.MarkupLine($"[yellow]Wave '{Markup.Escape(waveId)}' has no completed database to roll back ({wave.RuntimeStatus}{(result is null ? string.Empty : ", " + result.Outcome)}).[/]");
            return NotCompleted;
        }

        string rollbackId = MigrationNames.RollbackInstanceId(waveId);
        var existing = await host.Client.GetInstanceAsync(rollbackId, getInputsAndOutputs: true, ct).ConfigureAwait(false);
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
            ui.Out.MarkupLine($"Rolling back finished wave [bold]{Markup.Escape(waveId)}[/] as [bold]{Markup.Escape(rollbackId)}[/].");
        }
        else
        {
            ui.Out.MarkupLine($"Rollback [bold]{Markup.Escape(rollbackId)}[/] is {existing.RuntimeStatus}.");
        }

        return await WatchToEndAsync(ui, host, rollbackId, json, ct, WaveOutcome.RolledBack).ConfigureAwait(false);
    }

    /// <summary>The first wave orchestration matching <paramref name="query"/>; the SDK's query has no name filter, so the name is checked here.</summary>
    private static async Task<OrchestrationMetadata?> FirstWaveAsync(DurableTaskClient client, OrchestrationQuery query, CancellationToken ct)
    {
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(ct).ConfigureAwait(false))
        {
            if (instance.Name == MigrationNames.WaveOrchestration)
            {
                return instance;
            }
        }

        return null;
    }

    private static async Task<WaveManifest?> LoadManifestAsync(WaveConsole ui, FileInfo file, CancellationToken ct)
    {
        if (!file.Exists)
        {
            ui.Out.MarkupLine($"[red]Manifest not found: {Markup.Escape(file.FullName)}[/]");
            return null;
        }

        try
        {
            return WaveManifestReader.Parse(await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false), file.Name);
        }
        catch (ManifestValidationException ex)
        {
            ui.Out.MarkupLine($"[red]{Markup.Escape(file.Name)}: {ex.Errors.Count} error(s)[/]");
            foreach (var error in ex.Errors)
            {
                ui.Out.MarkupLine($"  [red]{Markup.Escape(error.Path)}[/]: {Markup.Escape(error.Message)}");
            }

            return null;
        }
    }

    private static bool TryParseDrill(string text, WaveManifest manifest, out DrillSpec? drill, out string? error)
    {
        drill = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !Enum.TryParse<MigrationStep>(text[(colon + 1)..], ignoreCase: true, out var step) || !Enum.IsDefined(step))
        {
            error = "expected <database>:<step>, step one of validate, migrate, monitor, cutover, postValidate, remediate";
            return false;
        }

        string database = text[..colon];
        if (!manifest.Databases.Any(d => string.Equals(d.Name, database, StringComparison.OrdinalIgnoreCase)))
        {
            error = $"the wave has no database '{database}'";
            return false;
        }

        drill = new DrillSpec(database, step);
        error = null;
        return true;
    }

    private static string SeverityMarkup(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Blocking => "[red]blocking[/]",
        FindingSeverity.Warning => "[yellow]warning[/]",
        _ => "[grey]info[/]",
    };

    private static string DemoManifest(string waveId, string users, string content, string engagement, string targetDir)
    {
        string Endpoint(string path) => System.Text.Json.JsonSerializer.Serialize(new { engine = "sqlite", connection = $"Data Source={path}" });
        return $$"""
            {
              "wave": "{{waveId}}",
              "mode": "offline",
              "maxParallel": 2,
              "onFailure": "rollbackWave",
              "cutover": { "approval": "auto" },
              "alerts": { "maxDurationMinutes": 30 },
              "databases": [
                { "name": "users", "source": {{Endpoint(users)}}, "target": {{Endpoint(Path.Combine(targetDir, "users.db"))}}, "priority": 10 },
                { "name": "content", "source": {{Endpoint(content)}}, "target": {{Endpoint(Path.Combine(targetDir, "content.db"))}} },
                { "name": "engagement", "source": {{Endpoint(engagement)}}, "target": {{Endpoint(Path.Combine(targetDir, "engagement.db"))}}, "dependsOn": ["users", "content"] }
              ]
            }
            """;
    }

    /// <summary>The context <c>dmig assess</c> runs the pre-flight activity with, outside any orchestration.</summary>
    private sealed class AssessmentActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name => name;

        public override string InstanceId => instanceId;
    }

    /// <summary>The activity's shutdown signal when a command runs it directly: the command's own cancellation.</summary>
    private sealed class CommandShutdown(CancellationToken token) : IWorkerShutdown
    {
        public CancellationToken Token => token;
    }
}

/// <summary>Where a <c>dmig</c> command keeps its state and how durably: the options every command takes.</summary>
/// <param name="DataDirectory">The data directory (<c>--data-dir</c>).</param>
/// <param name="Durability">What a committed step survives (<c>--durability</c>).</param>
internal sealed record HostSettings(string DataDirectory, TaskHubDurability Durability)
{
    public static HostSettings From(ParseResult parse, Option<string> dataDir, Option<TaskHubDurability> durability) =>
        new(parse.GetValue(dataDir)!, parse.GetValue(durability));

    public DmigHost CreateHost(Action<IServiceCollection>? configure) =>
        DmigHost.Create(DataDirectory, configure, o => o.Durability = Durability);
}

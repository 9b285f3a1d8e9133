using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableMigration.Host.Console;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using DurableMigration.Migration.Activities;
using DurableMigration.Providers;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig assess &lt;manifest&gt;</c>: the wave's pre-flight assessment alone, touching nothing.</summary>
internal static class AssessCommand
{
    public static Command Create(CommonOptions options)
    {
        var manifestArgument = new Argument<FileInfo>("manifest") { Description = "The wave manifest (JSON or YAML)" };
        var assess = new Command("assess", "Pre-flight validation only: a readable report; exit code 0 when nothing blocks.");
        assess.Arguments.Add(manifestArgument);
        assess.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(manifestArgument)!, ct));
        return assess;
    }

    private static async Task<int> RunAsync(CommandContext context, FileInfo manifestFile, CancellationToken ct)
    {
        var manifest = await context.LoadManifestAsync(manifestFile, ct).ConfigureAwait(false);
        if (manifest is null)
        {
            return DmigCommandLine.BadInput;
        }

        await using var host = context.CreateHost();
        // The same activity the wave's pre-flight runs, called directly: no orchestration, nothing touched.
        // Its shutdown signal is this command's token, so Ctrl+C stops an assessment in progress.
        var validate = ActivatorUtilities.CreateInstance<ValidateDatabaseActivity>(host.Services, new CommandShutdown(ct));
        var activityContext = new AssessmentActivityContext(MigrationActivityNames.ValidateDatabase, manifest.Wave);
        var reports = new List<(string Engine, AssessmentReport Report)>();
        foreach (var database in manifest.Databases)
        {
            context.Output.Notice($"assessing [bold]{Markup.Escape(database.Name)}[/]…");
            AssessmentReport report;
            try
            {
                report = await validate.RunAsync(activityContext, new DatabaseStepInput(manifest.Wave, database) { Mode = manifest.Mode }).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                report = new AssessmentReport(database.Name, "unknown", 0, 0, [new AssessmentFinding("assessment.failed", FindingSeverity.Blocking, $"assessment could not run: {ex.Message}")]);
            }

            reports.Add((database.Source.Engine, report));
        }

        bool blocked = reports.Any(r => r.Report.IsBlocked);
        context.Output.Result(
            () => new JsonObject
            {
                ["wave"] = manifest.Wave,
                ["blocked"] = blocked,
                ["databases"] = JsonSerializer.SerializeToNode(reports.Select(r => r.Report).ToList(), DmigHost.JsonOptions),
            },
            console =>
            {
                var table = new Table().Border(TableBorder.Rounded).Title($"assessment of wave [bold]{Markup.Escape(manifest.Wave)}[/]")
                    .AddColumn("database").AddColumn("engine").AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("tables").RightAligned()).AddColumn("findings");
                foreach (var (engine, report) in reports)
                {
                    string findings = report.Findings.Count == 0
                        ? "[green]no findings[/]"
                        : string.Join("\n", report.Findings.Select(f => $"{SeverityMarkup(f.Severity)} {Markup.Escape(f.Message)} [grey]({Markup.Escape(f.Rule)})[/]"));
                    table.AddRow(new Markup(Markup.Escape(report.Database)), new Text($"{engine} {report.EngineVersion}"), new Text(Units.Bytes(report.SizeBytes)), new Text(report.Tables.ToString(CultureInfo.InvariantCulture)), new Markup(findings));
                }

                console.Write(table);
                console.MarkupLine(blocked ? "[red]Blocked: fix the blocking findings before running the wave.[/]" : "[green]Nothing blocks this wave.[/]");
            });
        return blocked ? DmigCommandLine.NotCompleted : DmigCommandLine.Success;
    }

    private static string SeverityMarkup(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Blocking => "[red]blocking[/]",
        FindingSeverity.Warning => "[yellow]warning[/]",
        _ => "[grey]info[/]",
    };

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

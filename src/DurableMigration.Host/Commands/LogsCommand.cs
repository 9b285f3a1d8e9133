using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig logs &lt;wave&gt; [database] [-f]</c>: the lines of the data directory's log files that concern a wave or one database.</summary>
internal static class LogsCommand
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(500);

    public static Command Create(CommonOptions options)
    {
        var waveArgument = WaveArguments.Wave(options);
        var databaseArgument = WaveArguments.Database(options, waveArgument, "Only the lines of this database");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines as they are written, until Ctrl+C" };
        var logs = new Command("logs", "Print the log lines of a wave (its databases and rollback included), or of one database, from <data-dir>/logs.");
        logs.Arguments.Add(waveArgument);
        logs.Arguments.Add(databaseArgument);
        logs.Options.Add(follow);
        logs.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(waveArgument)!, parse.GetValue(databaseArgument), parse.GetValue(follow), ct));
        return logs;
    }

    private static async Task<int> RunAsync(CommandContext context, string waveId, string? database, bool follow, CancellationToken ct)
    {
        bool known;
        await using (var host = context.OpenExistingHost())
        {
            if (host is null)
            {
                return DmigCommandLine.BadInput;
            }

            known = await host.Client.GetInstanceAsync(waveId, cancellation: ct).ConfigureAwait(false) is not null;
        }

        var filter = new LogLineFilter(waveId, database is null ? null : MigrationNames.DatabaseInstanceId(waveId, database));
        var reader = new LogDirectoryReader(Path.Combine(context.Settings.DataDirectory, "logs"), filter);
        var lines = await reader.ReadNewAsync(ct).ConfigureAwait(false);
        if (!known && lines.Count == 0)
        {
            // A purged wave's lines stay in the logs; only a wave with neither instance nor lines is unknown.
            return context.NoSuchWave(waveId);
        }

        if (!follow)
        {
            context.Output.Result(
                () => new JsonArray([.. lines.Select(l => (JsonNode)l.ToJson())]),
                console =>
                {
                    foreach (var line in lines)
                    {
                        console.Profile.Out.Writer.WriteLine(line.Text);
                    }
                });
            return DmigCommandLine.Success;
        }

        // Following streams: one line of text per log line, or one JSON object per line (JSON Lines) in machine mode.
        context.Output.Notice($"[grey]Following the logs of {Markup.Escape(filter.Describe())}; Ctrl+C stops.[/]");
        try
        {
            while (true)
            {
                foreach (var line in lines)
                {
                    context.Output.Stream(line.Text, () => line.ToJson());
                }

                await Task.Delay(FollowInterval, ct).ConfigureAwait(false);
                lines = await reader.ReadNewAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C is how following ends: not an interruption of any work.
            return DmigCommandLine.Success;
        }
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json.Nodes;
using DurableMigration.Application;
using DurableMigration.Host.Console;
using DurableMigration.Migration;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig list [--status s…] [--since t]</c>: the data directory's waves, filtered like Durable Functions' instance query.</summary>
internal static class ListCommand
{
    public static Command Create(CommonOptions options)
    {
        var status = new Option<OrchestrationRuntimeStatus[]>("--status")
        {
            Description = "Only waves with this runtime status (Pending, Running, Completed, Failed, Terminated, Suspended); repeatable",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "status",
        };
        var since = new Option<DateTimeOffset?>("--since")
        {
            Description = "Only waves created at or after this time: a date/time (2026-11-30, 2026-11-30T08:00Z) or an age (30m, 2h, 7d)",
            CustomParser = ParseSince,
            HelpName = "time",
        };
        var list = new Command("list", "List the waves of the data directory, newest first, filtered by runtime status and creation time.");
        list.Options.Add(status);
        list.Options.Add(since);
        list.SetAction((parse, ct) => RunAsync(options.For(parse), parse.GetValue(status) ?? [], parse.GetValue(since), ct));
        return list;
    }

    private static async Task<int> RunAsync(CommandContext context, OrchestrationRuntimeStatus[] statuses, DateTimeOffset? since, CancellationToken ct)
    {
        await using var host = context.OpenExistingHost();
        if (host is null)
        {
            return DmigCommandLine.BadInput;
        }

        var operations = new WaveOperations(host.Client);
        var waves = new List<OrchestrationMetadata>();
        var query = new WaveListQuery(statuses, since, PageSize: 1000);
        do
        {
            var page = await operations.ListWavesAsync(query, ct).ConfigureAwait(false);
            waves.AddRange(page.Waves);
            query = query with { ContinuationToken = page.ContinuationToken };
        }
        while (query.ContinuationToken is not null);

        waves.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));

        // A wave rolled back after it finished still completed as an orchestration; its rollback instance says what
        // became of it, so the list shows that (as 'dmig status' does) instead of a plain "completed".
        var rows = new List<(OrchestrationMetadata Wave, OrchestrationMetadata? Rollback)>(waves.Count);
        foreach (var wave in waves)
        {
            var rollback = wave.IsCompleted
                ? await host.Client.GetInstanceAsync(MigrationNames.RollbackInstanceId(wave.InstanceId), getInputsAndOutputs: true, ct).ConfigureAwait(false)
                : null;
            rows.Add((wave, rollback));
        }

        context.Output.Result(
            () => new JsonArray([.. rows.Select(r => (JsonNode)WaveJson.StatusNode(r.Wave, r.Rollback))]),
            console =>
            {
                if (rows.Count == 0)
                {
                    console.MarkupLine("No waves match.");
                    return;
                }

                var table = new Table().Border(TableBorder.Rounded).AddColumn("wave").AddColumn("ticket").AddColumn("status").AddColumn("outcome").AddColumn("rolled back by").AddColumn("created (UTC)").AddColumn("updated (UTC)");
                foreach (var (wave, rollback) in rows)
                {
                    table.AddRow(
                        Markup.Escape(wave.InstanceId),
                        Markup.Escape(WaveView.TicketOf(wave)?.Id ?? "-"),
                        Words.Of(wave.RuntimeStatus),
                        Markup.Escape(Outcome(rollback ?? wave)),
                        Markup.Escape(rollback?.InstanceId ?? "-"),
                        wave.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                        wave.LastUpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
                }

                console.Write(table);
            });
        return DmigCommandLine.Success;
    }

    /// <summary>How a wave (or its rollback) ended, or its phase while it runs, in words ("rolled back", "migrating").</summary>
    private static string Outcome(OrchestrationMetadata instance) => Words.Of(StatusCommand.Outcome(instance));

    /// <summary>An age (<c>2h</c>: created in the last two hours) or a point in time; times without a zone are UTC.</summary>
    private static DateTimeOffset? ParseSince(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Durations.TryParse(text, out var age) && !text.Contains(':', StringComparison.Ordinal))
        {
            return DateTimeOffset.UtcNow - age;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        result.AddError($"'{text}' is not a time: use an age such as 30m, 2h or 7d, or a date/time such as 2026-11-30 or 2026-11-30T08:00Z.");
        return null;
    }
}

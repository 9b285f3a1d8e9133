using System.CommandLine;
using System.CommandLine.Completions;
using DurableMigration.Host.Hosting;
using DurableMigration.Migration;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Host.Commands;

/// <summary>The wave and database arguments, with shell completion from the data directory's task hub.</summary>
/// <remarks>
/// Completion reads the task hub read-only and never creates a data directory. It queries the engine's versioned
/// <c>Instances</c> table directly: completion sources are synchronous, and blocking on the async client is not allowed.
/// </remarks>
internal static class WaveArguments
{
    /// <summary>A required wave-id argument completing the data directory's wave ids.</summary>
    public static Argument<string> Wave(CommonOptions options, string description = "The wave id")
    {
        var argument = new Argument<string>("wave") { Description = description, HelpName = "wave" };
        argument.CompletionSources.Add(context => WaveIds(options, context));
        return argument;
    }

    /// <summary>An optional wave-id argument (<c>dmig status [wave]</c>) completing the data directory's wave ids.</summary>
    public static Argument<string?> OptionalWave(CommonOptions options, string description)
    {
        var argument = new Argument<string?>("wave") { Description = description, HelpName = "wave", Arity = ArgumentArity.ZeroOrOne };
        argument.CompletionSources.Add(context => WaveIds(options, context));
        return argument;
    }

    /// <summary>A database argument (optional unless <paramref name="required"/>) completing the databases started in the wave named by <paramref name="wave"/>.</summary>
    public static Argument<string?> Database(CommonOptions options, Argument wave, string description, bool required = false)
    {
        var argument = new Argument<string?>("database") { Description = description, HelpName = "database", Arity = required ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne };
        argument.CompletionSources.Add(context => context.ParseResult.GetResult(wave)?.Tokens is [{ Value: { Length: > 0 } waveId }]
            ? Query(options, context, "SELECT substr(InstanceId, length($prefix) + 1) FROM Instances WHERE Name = $name AND substr(InstanceId, 1, length($prefix)) = $prefix ORDER BY 1", MigrationNames.DatabaseMigrationOrchestration, waveId + ":")
            : []);
        return argument;
    }

    private static IEnumerable<string> WaveIds(CommonOptions options, CompletionContext context) =>
        Query(options, context, "SELECT InstanceId FROM Instances WHERE Name = $name ORDER BY CreatedTime DESC", MigrationNames.WaveOrchestration);

    private static List<string> Query(CommonOptions options, CompletionContext context, string sql, string name, string? prefix = null)
    {
        var settings = HostSettings.From(context.ParseResult, options.DataDir, options.Durability);
        if (!settings.DataDirectoryExists)
        {
            return [];
        }

        try
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(settings.DataDirectory, DmigHost.TaskHubFileName)};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$name", name);
            if (prefix is not null)
            {
                command.Parameters.AddWithValue("$prefix", prefix);
            }

            using var reader = command.ExecuteReader();
            var values = new List<string>();
            while (reader.Read())
            {
                values.Add(reader.GetString(0));
            }

            return values;
        }
        catch (SqliteException)
        {
            // A locked, older or damaged task hub offers no completions rather than an error in the middle of typing.
            return [];
        }
    }
}

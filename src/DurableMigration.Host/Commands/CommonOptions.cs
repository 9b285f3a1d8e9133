using System.CommandLine;
using System.CommandLine.Parsing;
using DurableMigration.Engine;
using DurableMigration.Host.Output;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary>The options every <c>dmig</c> command takes, and what a command needs to run: settings, output, services.</summary>
internal sealed class CommonOptions(IAnsiConsole stdout, IAnsiConsole stderr, Action<IServiceCollection>? configure)
{
    public Option<string?> DataDir { get; } = new("--data-dir")
    {
        Description = $"Where the task hub, connection registry, logs and demo databases live (default: ${HostSettings.DataDirectoryVariable}, else ./{HostSettings.DefaultDataDirectory})",
        Recursive = true,
    };

    public Option<TaskHubDurability> Durability { get; } = new("--durability")
    {
        Description = "What a committed step survives: normal (a process crash; the default) or full (also a power loss, slower)",
        DefaultValueFactory = _ => TaskHubDurability.Normal,
        Recursive = true,
    };

    public Option<OutputFormat> Output { get; } = new("--output", "-o")
    {
        Description = "table (for people), json or yaml (the result alone on stdout; progress and errors on stderr)",
        DefaultValueFactory = _ => OutputFormat.Table,
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Shorthand for -o json",
        Recursive = true,
    };

    /// <summary>Gets <c>--backend</c>, <c>--connection</c> and <c>--hub</c>.</summary>
    public BackendOptions Backend { get; } = new();

    /// <summary>Adds the options to the root command.</summary>
    public void AddTo(RootCommand root)
    {
        Backend.AddTo(root);
        root.Validators.Add(CheckBackend);
        root.Options.Add(DataDir);
        root.Options.Add(Durability);
        root.Options.Add(Output);
        root.Options.Add(Json);
    }

    /// <summary>
    /// Checks the backend options on every command under <paramref name="command"/>, once they are all added: a command's
    /// validators run only when that command is the one invoked, so the root's check alone never sees <c>dmig run --backend x</c>.
    /// </summary>
    public void CheckBackendOnSubcommands(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var subcommand in command.Subcommands)
        {
            subcommand.Validators.Add(CheckBackend);
            CheckBackendOnSubcommands(subcommand);
        }
    }

    /// <summary>What the command being invoked runs with.</summary>
    public CommandContext For(ParseResult parse)
    {
        var format = parse.GetValue(Json) ? OutputFormat.Json : parse.GetValue(Output);
        var settings = HostSettings.From(parse, DataDir, Durability) with { Backend = Backend.Read(o => parse.GetValue(o), out _) ?? BackendSettings.Embedded };
        return new CommandContext(settings, new CommandOutput(format, stdout, stderr), configure)
        {
            Command = "dmig " + string.Join(' ', parse.Tokens.Select(t => t.Value)),
        };
    }

    /// <summary>Checked before any command runs: a bad backend is bad input (exit 2), never a half-started command.</summary>
    private void CheckBackend(CommandResult result)
    {
        if (Backend.Read(o => result.GetValue(o), out string? problem) is null)
        {
            result.AddError(problem!);
        }
    }
}

using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary>The <c>dmig</c> command line: demo, run, assess, status, approve, retry, rollback, list, history, logs, watch, terminate, suspend, resume, purge, serve, keys.</summary>
/// <remarks>Exit codes (docs/cli.md): 0 done; 1 the wave failed or was rolled back, or the request was refused; 2 bad
/// arguments, manifest, wave or database; 3 the wait stopped while a database needs attention or awaits approval; 130 interrupted.</remarks>
public static class DmigCommandLine
{
    /// <summary>Exit code: the wave completed, or the command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Exit code: the wave did not complete (failed, blocked, rolled back), or the request was refused.</summary>
    public const int NotCompleted = 1;

    /// <summary>Exit code: bad input (arguments, manifest, an unknown wave or database, no data directory).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code: the wait stopped while a database needs attention or awaits approval.</summary>
    public const int NeedsAttention = 3;

    /// <summary>Exit code: interrupted with Ctrl+C; the wave resumes with the same command.</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// Parses and runs a command line. <paramref name="console"/> is stdout, <paramref name="errors"/> stderr (progress
    /// goes there in json/yaml mode); argument errors are written to stderr and exit with <see cref="BadInput"/>.
    /// </summary>
    public static async Task<int> InvokeAsync(
        string[] args,
        IAnsiConsole? console = null,
        IAnsiConsole? errors = null,
        Action<IServiceCollection>? configure = null,
        InvocationConfiguration? invocation = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        errors ??= AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
        var (root, options) = BuildWithOptions(console, configure, errors);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // A script that asked for JSON or YAML gets its argument errors as problem details too, so it can parse stderr
            // whatever went wrong; people get one 'dmig:' line per error.
            if (MachineFormat(parse, options) is { } format)
            {
                var output = new Output.CommandOutput(format, console ?? AnsiConsole.Console, errors);
                return output.Fail(
                    BadInput,
                    "Bad arguments",
                    string.Join(" ", parse.Errors.Select(e => e.Message)) + " 'dmig --help' lists the commands and their options.",
                    parse.Errors.Select(e => (ErrorPath(e), e.Message)));
            }

            var writer = errors.Profile.Out.Writer;
            foreach (var error in parse.Errors)
            {
                await writer.WriteLineAsync($"dmig: {error.Message}").ConfigureAwait(false);
            }

            await writer.WriteLineAsync("Run 'dmig --help' for the commands and their options.").ConfigureAwait(false);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            return BadInput;
        }

        // Incomplete or insecure Logs Ingestion, Resource Manager or rehearsal variables are bad input for every command, before a host reads them.
        try
        {
            _ = Hosting.MonitoringSettings.From(Environment.GetEnvironmentVariable);
            _ = Hosting.AzureResourceManagerSettings.ClientOptions(Environment.GetEnvironmentVariable);
            _ = Hosting.AzureRehearsal.IsOn(Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException exception)
        {
            var writer = errors.Profile.Out.Writer;
            await writer.WriteLineAsync($"dmig: {exception.Message}").ConfigureAwait(false);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            return BadInput;
        }

        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree; <paramref name="console"/>, <paramref name="errors"/> and <paramref name="configure"/> let tests capture output and replace services.</summary>
    public static RootCommand Build(IAnsiConsole? console = null, Action<IServiceCollection>? configure = null, IAnsiConsole? errors = null) =>
        BuildWithOptions(console, configure, errors).Root;

    /// <summary>The output format asked for on a command line that did not parse, when it is json or yaml and itself parsed.</summary>
    private static Output.OutputFormat? MachineFormat(ParseResult parse, CommonOptions options)
    {
        if (parse.GetResult(options.Json) is { Implicit: false } json && !json.Errors.Any() && json.GetValueOrDefault<bool>())
        {
            return Output.OutputFormat.Json;
        }

        return parse.GetResult(options.Output) is { Implicit: false } output && !output.Errors.Any() && output.GetValueOrDefault<Output.OutputFormat>() is var format && format != Output.OutputFormat.Table
            ? format
            : null;
    }

    /// <summary>What an argument error is about: the option, argument or command it names (the problem's <c>errors[].path</c>).</summary>
    private static string ErrorPath(System.CommandLine.Parsing.ParseError error) => error.SymbolResult switch
    {
        System.CommandLine.Parsing.OptionResult option => option.Option.Name,
        System.CommandLine.Parsing.ArgumentResult argument => argument.Argument.Name,
        System.CommandLine.Parsing.CommandResult command => command.Command.Name,
        _ => "arguments",
    };

    private static (RootCommand Root, CommonOptions Options) BuildWithOptions(IAnsiConsole? console, Action<IServiceCollection>? configure, IAnsiConsole? errors)
    {
        var options = new CommonOptions(
            console ?? AnsiConsole.Console,
            errors ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) }),
            configure);
        var root = new RootCommand("dmig: migrate waves of databases durably, with rollback, on the embedded runtime.");
        options.AddTo(root);
        root.Subcommands.Add(DemoCommand.Create(options));
        root.Subcommands.Add(RunCommand.Create(options));
        root.Subcommands.Add(AssessCommand.Create(options));
        root.Subcommands.Add(StatusCommand.Create(options));
        root.Subcommands.Add(ApproveCommand.Create(options));
        root.Subcommands.Add(RetryCommand.Create(options));
        root.Subcommands.Add(RollbackCommand.Create(options));
        root.Subcommands.Add(ListCommand.Create(options));
        root.Subcommands.Add(HistoryCommand.Create(options));
        root.Subcommands.Add(LogsCommand.Create(options));
        root.Subcommands.Add(WatchCommand.Create(options));
        root.Subcommands.Add(TerminateCommand.Create(options));
        root.Subcommands.Add(SuspendCommand.Create(options));
        root.Subcommands.Add(ResumeCommand.Create(options));
        root.Subcommands.Add(PurgeCommand.Create(options));
        root.Subcommands.Add(ServeCommand.Create(options));
        root.Subcommands.Add(KeysCommand.Create(options));
        root.Subcommands.Add(WorkerCommand.Create(options));
        options.CheckBackendOnSubcommands(root);
        return (root, options);
    }
}

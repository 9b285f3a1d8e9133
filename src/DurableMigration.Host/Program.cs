// dmig: the DurableMigration command line. See README.md and docs/cli.md.
using System.CommandLine;
using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using Spectre.Console;

// Piped or redirected output (CI logs, files) gets plain text at a readable width; a terminal gets colour and live tables.
// stdout and stderr are judged apart: with -o json, stdout carries the result and stderr the live progress.
static IAnsiConsole Console(TextWriter writer, bool redirected)
{
    var console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        Out = new AnsiConsoleOutput(writer),
    });
    if (redirected)
    {
        console.Profile.Width = 160;
    }

    return console;
}

// Ctrl+C cancels the command; give it time to stop the runtime cleanly (running activities are handed back).
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };

// The background run of 'dmig run --no-wait' writes everything to the file its launcher names, never to the pipes it was given.
if (Environment.GetEnvironmentVariable(ProcessRunLauncher.OutputFileVariable) is { Length: > 0 } outputFile)
{
    var file = new StreamWriter(new FileStream(outputFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    await using (file.ConfigureAwait(false))
    {
        var sink = TextWriter.Synchronized(file);
        System.Console.SetOut(sink);
        System.Console.SetError(sink);
        invocation.Output = sink;
        invocation.Error = sink;
        return await DmigCommandLine.InvokeAsync(args, Console(sink, redirected: true), Console(sink, redirected: true), invocation: invocation);
    }
}

return await DmigCommandLine.InvokeAsync(
    args,
    Console(System.Console.Out, System.Console.IsOutputRedirected),
    Console(System.Console.Error, System.Console.IsErrorRedirected),
    invocation: invocation);

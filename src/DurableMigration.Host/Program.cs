// dmig: the DurableMigration command line. See README.md and docs/cli.md.
using System.CommandLine;
using DurableMigration.Host.Commands;
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
return await DmigCommandLine.InvokeAsync(
    args,
    Console(System.Console.Out, System.Console.IsOutputRedirected),
    Console(System.Console.Error, System.Console.IsErrorRedirected),
    invocation: new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });

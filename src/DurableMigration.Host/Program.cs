// dmig: the DurableMigration command line. See README.md and docs/cli.md.
using System.CommandLine;
using DurableMigration.Host.Commands;
using Spectre.Console;

// Piped or redirected output (CI logs, files) gets plain text at a readable width; a terminal gets colour and live tables.
var console = AnsiConsole.Create(new AnsiConsoleSettings
{
    Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
    ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
    Interactive = Console.IsOutputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
});
if (Console.IsOutputRedirected)
{
    console.Profile.Width = 160;
}

// Ctrl+C cancels the command; give it time to stop the runtime cleanly (running activities are handed back).
return await DmigCommandLine.InvokeAsync(args, console, invocation: new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });

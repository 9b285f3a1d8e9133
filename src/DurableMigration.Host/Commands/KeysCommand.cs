using System.CommandLine;
using System.Text.Json.Nodes;
using DurableMigration.Host.Api;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig keys show|rotate</c>: the key of <c>dmig serve</c>'s HTTP API, kept owner-only in the data directory.</summary>
internal static class KeysCommand
{
    public static Command Create(CommonOptions options)
    {
        var show = new Command("show", "Print the API key of the data directory (created by the first 'dmig serve').");
        show.SetAction((parse, ct) => ShowAsync(options.For(parse), ct));
        var rotate = new Command("rotate", "Replace the API key with a new one and print it; the old key stops working at once, also for a running 'dmig serve'.");
        rotate.SetAction((parse, ct) => RotateAsync(options.For(parse), ct));
        var keys = new Command("keys", "Show or rotate the key that 'dmig serve' requires (x-functions-key header or ?code=).");
        keys.Subcommands.Add(show);
        keys.Subcommands.Add(rotate);
        return keys;
    }

    private static async Task<int> ShowAsync(CommandContext context, CancellationToken ct)
    {
        var file = new ApiKeyFile(context.Settings.DataDirectory);
        if (await file.ReadAsync(ct).ConfigureAwait(false) is not { } key)
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "No API key", $"No API key in {context.Settings.DataDirectory} (from {context.Settings.DataDirectorySource}): 'dmig serve' creates one on its first start, 'dmig keys rotate' creates one now.");
        }

        context.Output.Result(() => new JsonObject { ["keyFile"] = file.FilePath, ["key"] = key }, console => console.WriteLine(key));
        return DmigCommandLine.Success;
    }

    private static async Task<int> RotateAsync(CommandContext context, CancellationToken ct)
    {
        var file = new ApiKeyFile(context.Settings.DataDirectory);
        string key = await file.RotateAsync(ct).ConfigureAwait(false);
        context.Output.Result(() => new JsonObject { ["keyFile"] = file.FilePath, ["key"] = key }, console => console.WriteLine(key));
        context.Output.Notice($"[grey]New API key written to {Markup.Escape(file.FilePath)} (owner-only); the old key no longer works.[/]");
        return DmigCommandLine.Success;
    }
}

using System.CommandLine;
using DurableMigration.Backends.AzureStorage;

namespace DurableMigration.Host.Commands;

/// <summary>The options that choose the runtime: <c>--backend</c>, <c>--connection</c>, <c>--hub</c>, each with an environment variable fallback.</summary>
internal sealed class BackendOptions
{
    public Option<string?> Backend { get; } = new("--backend")
    {
        Description = $"Where waves run: embedded (a SQLite task hub in the data directory, run by this process; the default) or azure-storage (a task hub in an Azure Storage account, run by 'dmig worker' processes). Default: ${BackendSettings.BackendVariable}, else embedded",
        Recursive = true,
    };

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = $"azure-storage: the storage account, as an account URI (https://<account>.blob.core.windows.net, signed in with DefaultAzureCredential: managed identity, workload identity, Azure CLI), a connection string (UseDevelopmentStorage=true for Azurite), or env:NAME to read either from a variable. Default: ${BackendSettings.ConnectionVariable}",
        Recursive = true,
    };

    public Option<string?> Hub { get; } = new("--hub")
    {
        Description = $"azure-storage: the task hub's name, 3 to 45 letters and digits (default: ${BackendSettings.HubVariable}, else {BackendSettings.DefaultHub})",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Backend);
        root.Options.Add(Connection);
        root.Options.Add(Hub);
    }

    /// <summary>Reads the backend settings; on bad input returns <c>null</c> and why, never repeating a connection string.</summary>
    public BackendSettings? Read(Func<Option<string?>, string?> value, out string? problem)
    {
        problem = null;
        string backend = value(Backend) ?? Environment.GetEnvironmentVariable(BackendSettings.BackendVariable) ?? "embedded";
        switch (backend.Trim().ToLowerInvariant())
        {
            case "" or "embedded":
                return BackendSettings.Embedded;
            case "azure-storage" or "azurestorage":
                break;
            default:
                problem = $"Unknown backend '{backend}': use embedded or azure-storage.";
                return null;
        }

        string hub = value(Hub) ?? Environment.GetEnvironmentVariable(BackendSettings.HubVariable) ?? BackendSettings.DefaultHub;
        if (hub.Length is < 3 or > 45 || !char.IsAsciiLetter(hub[0]) || !hub.All(char.IsAsciiLetterOrDigit))
        {
            problem = $"Task hub name '{hub}' is not valid: use 3 to 45 letters and digits, starting with a letter.";
            return null;
        }

        string? connection = value(Connection) ?? Environment.GetEnvironmentVariable(BackendSettings.ConnectionVariable);
        if (connection is { } reference && reference.StartsWith("env:", StringComparison.Ordinal))
        {
            string name = reference[4..];
            connection = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrWhiteSpace(connection))
            {
                problem = $"The storage connection variable {name} is not set.";
                return null;
            }
        }

        if (string.IsNullOrWhiteSpace(connection))
        {
            problem = $"--backend azure-storage needs the storage account: --connection <account URI | connection string | env:NAME>, or ${BackendSettings.ConnectionVariable}.";
            return null;
        }

        try
        {
            return new BackendSettings(BackendKind.AzureStorage, StorageAccount.Parse(connection), hub);
        }
        catch (ArgumentException ex)
        {
            problem = ex.Message;
            return null;
        }
    }
}

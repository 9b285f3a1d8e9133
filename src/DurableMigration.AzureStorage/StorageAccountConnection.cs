using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace DurableMigration.AzureStorage;

/// <summary>Builds clients of a storage account from a named connection in configuration, the way Azure Functions reads one.</summary>
/// <remarks>
/// A connection named <c>ProgressStorage</c> is either a connection string in the setting <c>ProgressStorage</c>
/// (<c>UseDevelopmentStorage=true</c> for Azurite), or, identity-based, the settings <c>ProgressStorage__tableServiceUri</c>
/// (or <c>ProgressStorage__accountName</c>) with an optional <c>ProgressStorage__clientId</c> of a user-assigned managed
/// identity, authenticated by <see cref="DefaultAzureCredential"/>. Errors name the settings, never their values.
/// </remarks>
public static class StorageAccountConnection
{
    /// <summary>A table service client for the connection <paramref name="name"/> in <paramref name="configuration"/>.</summary>
    /// <exception cref="InvalidOperationException">The connection is not configured.</exception>
    public static TableServiceClient CreateTableServiceClient(IConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (configuration[name] is { Length: > 0 } connectionString)
        {
            return new TableServiceClient(connectionString);
        }

        var section = configuration.GetSection(name);
        Uri? endpoint = section["tableServiceUri"] is { Length: > 0 } uri ? new Uri(uri)
            : section["accountName"] is { Length: > 0 } account ? new Uri($"https://{account}.table.core.windows.net")
            : null;
        if (endpoint is null)
        {
            throw new InvalidOperationException(
                $"The storage connection '{name}' is not configured: set '{name}' to a connection string, or '{name}__tableServiceUri' (or '{name}__accountName') for an identity-based connection.");
        }

        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = section["clientId"] is { Length: > 0 } clientId ? clientId : null });
        return new TableServiceClient(endpoint, credential);
    }
}

using DurableMigration.Providers.Dms;

namespace DurableMigration.Host.Hosting;

/// <summary>Where <c>dmig</c> reaches Azure Resource Manager for engine <c>sqlserver</c> (the Database Migration Service), from environment variables.</summary>
internal static class AzureResourceManagerSettings
{
    /// <summary>The Resource Manager endpoint, for a sovereign cloud (<c>https://management.usgovcloudapi.net</c>); the public cloud's unless set.</summary>
    public const string EndpointVariable = "DMIG_ARM_ENDPOINT";

    /// <summary>The DMS client's options: the endpoint of <see cref="EndpointVariable"/> (and its <c>.default</c> scope), or <see langword="null"/> for the public cloud.</summary>
    /// <param name="variable">Gives an environment variable's value, or <see langword="null"/>.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">The endpoint is not an absolute https URI.</exception>
    public static DatabaseMigrationServiceClientOptions? ClientOptions(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (variable(EndpointVariable) is not { Length: > 0 } text)
        {
            return null;
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var endpoint) || endpoint.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"{EndpointVariable} must be an absolute https URI, such as https://management.usgovcloudapi.net; it is '{text}'.");
        }

        return new DatabaseMigrationServiceClientOptions
        {
            Endpoint = endpoint,
            TokenScope = endpoint.GetLeftPart(UriPartial.Authority) + "/.default",
        };
    }
}

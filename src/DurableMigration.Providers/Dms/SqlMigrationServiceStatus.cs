namespace DurableMigration.Providers.Dms;

/// <summary>A migration service (<c>Microsoft.DataMigration/sqlMigrationServices</c>) as Resource Manager reports it.</summary>
/// <param name="Id">The service's resource id.</param>
/// <param name="Name">The service's name.</param>
/// <param name="Location">The service's region.</param>
/// <param name="ProvisioningState">The service's provisioning state (<c>properties.provisioningState</c>).</param>
/// <param name="IntegrationRuntimeState">The state of its self-hosted integration runtime (<c>properties.integrationRuntimeState</c>): <c>Online</c> when it can run migrations.</param>
public sealed record SqlMigrationServiceStatus(string Id, string Name, string? Location, string? ProvisioningState, string? IntegrationRuntimeState)
{
    /// <summary>Gets whether the integration runtime is online, which every migration needs (the service refuses one with <c>IntegrationRuntimeIsNotOnline</c> otherwise).</summary>
    public bool IsIntegrationRuntimeOnline => string.Equals(IntegrationRuntimeState, "Online", StringComparison.OrdinalIgnoreCase);
}

using System.Text.RegularExpressions;

namespace DurableMigration.Manifest;

/// <summary>The kind of Azure SQL target a Database Migration Service migration writes to, read from the target resource's type.</summary>
public enum AzureTargetKind
{
    /// <summary>Azure SQL Database on a logical server (<c>Microsoft.Sql/servers</c>): offline only; its schema is deployed beforehand.</summary>
    SqlDb,

    /// <summary>Azure SQL Managed Instance (<c>Microsoft.Sql/managedInstances</c>): backup and restore, offline or online.</summary>
    SqlMi,

    /// <summary>SQL Server on an Azure virtual machine (<c>Microsoft.SqlVirtualMachine/sqlVirtualMachines</c>): backup and restore, offline or online.</summary>
    SqlVm,
}

/// <summary>
/// Where an Azure Database Migration Service migration of a <c>sqlserver</c> database writes (the manifest's <c>target.azure</c>):
/// the target resource, the migration service that moves the data and, for a managed instance or VM, where the backups are.
/// Holds Resource Manager ids and connection references only, never a secret.
/// </summary>
/// <param name="Resource">The target's Resource Manager id: a logical server, managed instance or SQL virtual machine.</param>
/// <param name="MigrationService">The <c>Microsoft.DataMigration/sqlMigrationServices</c> resource id that runs the migration.</param>
public sealed record AzureTargetSpec(string Resource, string MigrationService)
{
    /// <summary>Gets the database's name on the target; the manifest database's name when <c>null</c>.</summary>
    public string? Database { get; init; }

    /// <summary>Gets where the backups are, for a managed instance or VM target; <c>null</c> for Azure SQL Database.</summary>
    public AzureBackupSpec? Backup { get; init; }

    /// <summary>Gets the kind of target, from <see cref="Resource"/>'s type.</summary>
    public AzureTargetKind Kind => AzureResourceIds.TargetKindOf(Resource) ?? throw new InvalidOperationException("The target resource is not a SQL target's id; the manifest reader refuses such a manifest.");

    /// <summary>Gets the subscription holding the target.</summary>
    public string SubscriptionId => AzureResourceIds.Parse(Resource)!.Value.Subscription;

    /// <summary>Gets the resource group holding the target.</summary>
    public string ResourceGroup => AzureResourceIds.Parse(Resource)!.Value.ResourceGroup;

    /// <summary>Gets the server, managed instance or virtual machine name.</summary>
    public string TargetName => AzureResourceIds.Parse(Resource)!.Value.Name;
}

/// <summary>Where a managed instance or VM migration reads its backups (the manifest's <c>target.azure.backup</c>): a blob container.</summary>
/// <param name="StorageAccount">The storage account's Resource Manager id.</param>
/// <param name="Container">The blob container holding the backups.</param>
/// <param name="AccountKey">A connection reference (<c>env:NAME</c>, <c>file:PATH</c>) to the account key, resolved only inside activities.</param>
public sealed record AzureBackupSpec(string StorageAccount, string Container, string AccountKey)
{
    /// <summary>Gets the last backup file's name, which an offline migration restores up to; the service finds it when <c>null</c>.</summary>
    public string? LastBackupName { get; init; }
}

/// <summary>Reads the Resource Manager ids a manifest names.</summary>
public static partial class AzureResourceIds
{
    /// <summary>The resource type of a Database Migration Service (<c>sqlMigrationServices</c>).</summary>
    public const string MigrationServiceType = "Microsoft.DataMigration/sqlMigrationServices";

    /// <summary>Splits <c>/subscriptions/{s}/resourceGroups/{g}/providers/{namespace}/{type}/{name}</c>; <c>null</c> when <paramref name="id"/> is not such an id.</summary>
    /// <param name="id">The id.</param>
    public static (string Subscription, string ResourceGroup, string Type, string Name)? Parse(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var match = ResourceId().Match(id);
        return match.Success
            ? (match.Groups["sub"].Value, match.Groups["group"].Value, $"{match.Groups["ns"].Value}/{match.Groups["type"].Value}", match.Groups["name"].Value)
            : null;
    }

    /// <summary>The kind of SQL target <paramref name="id"/> names, or <c>null</c> when it names none.</summary>
    /// <param name="id">A Resource Manager id.</param>
    public static AzureTargetKind? TargetKindOf(string id) => Parse(id)?.Type.ToLowerInvariant() switch
    {
        "microsoft.sql/servers" => AzureTargetKind.SqlDb,
        "microsoft.sql/managedinstances" => AzureTargetKind.SqlMi,
        "microsoft.sqlvirtualmachine/sqlvirtualmachines" => AzureTargetKind.SqlVm,
        _ => null,
    };

    /// <summary>Tells whether <paramref name="id"/> names a migration service.</summary>
    /// <param name="id">A Resource Manager id.</param>
    public static bool IsMigrationService(string id) => string.Equals(Parse(id)?.Type, MigrationServiceType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Tells whether <paramref name="id"/> names a storage account.</summary>
    /// <param name="id">A Resource Manager id.</param>
    public static bool IsStorageAccount(string id) => string.Equals(Parse(id)?.Type, "Microsoft.Storage/storageAccounts", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/\s]+)/resourceGroups/(?<group>[^/\s]+)/providers/(?<ns>[A-Za-z0-9.]+)/(?<type>[A-Za-z0-9]+)/(?<name>[^/\s]+)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ResourceId();
}

namespace DurableMigration.Providers.Dms;

/// <summary>The kind of Azure SQL target a Database Migration Service migration writes to (the <c>kind</c> of the resource).</summary>
public enum DatabaseMigrationTargetKind
{
    /// <summary>Azure SQL Database: a logical server, <c>Microsoft.Sql/servers/{server}</c>. Offline only; the table list and the target connection are part of the request.</summary>
    SqlDb,

    /// <summary>Azure SQL Managed Instance, <c>Microsoft.Sql/managedInstances/{instance}</c>: backup and restore, online (with cutover) or offline.</summary>
    SqlMi,

    /// <summary>SQL Server on an Azure virtual machine, <c>Microsoft.SqlVirtualMachine/sqlVirtualMachines/{vm}</c>: backup and restore, online or offline.</summary>
    SqlVm,
}

/// <summary>
/// Names one database migration resource: the target database under an Azure SQL server, managed instance or SQL virtual machine.
/// Its Resource Manager id is <c>{target resource id}/providers/Microsoft.DataMigration/databaseMigrations/{targetDatabaseName}</c>.
/// </summary>
public sealed record DatabaseMigrationTarget
{
    /// <summary>Initializes a target; prefer <see cref="SqlDb"/>, <see cref="SqlMi"/> or <see cref="SqlVm"/>.</summary>
    /// <param name="kind">The kind of target.</param>
    /// <param name="subscriptionId">The subscription holding the target.</param>
    /// <param name="resourceGroup">The resource group holding the target.</param>
    /// <param name="targetName">The server, managed instance or virtual machine name.</param>
    /// <param name="targetDatabaseName">The database's name on the target (the migration resource's name).</param>
    public DatabaseMigrationTarget(DatabaseMigrationTargetKind kind, string subscriptionId, string resourceGroup, string targetName, string targetDatabaseName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriptionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceGroup);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetName);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDatabaseName);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown target kind.");
        }

        Kind = kind;
        SubscriptionId = subscriptionId;
        ResourceGroup = resourceGroup;
        TargetName = targetName;
        TargetDatabaseName = targetDatabaseName;
    }

    /// <summary>Gets the kind of target.</summary>
    public DatabaseMigrationTargetKind Kind { get; }

    /// <summary>Gets the subscription holding the target.</summary>
    public string SubscriptionId { get; }

    /// <summary>Gets the resource group holding the target.</summary>
    public string ResourceGroup { get; }

    /// <summary>Gets the server, managed instance or virtual machine name.</summary>
    public string TargetName { get; }

    /// <summary>Gets the database's name on the target, which is also the migration resource's name.</summary>
    public string TargetDatabaseName { get; }

    /// <summary>Gets the target's Resource Manager id: the migration's <c>scope</c>.</summary>
    public string ScopeId =>
        $"/subscriptions/{Escape(SubscriptionId)}/resourceGroups/{Escape(ResourceGroup)}/providers/{ResourceType}/{Escape(TargetName)}";

    /// <summary>Gets the migration resource's Resource Manager id.</summary>
    public string MigrationId => $"{ScopeId}/providers/Microsoft.DataMigration/databaseMigrations/{Escape(TargetDatabaseName)}";

    /// <summary>Gets the Resource Manager type of the target (<c>Microsoft.Sql/servers</c>, ...).</summary>
    public string ResourceType => ResourceTypeOf(Kind);

    /// <summary>An Azure SQL Database target: database <paramref name="databaseName"/> on logical server <paramref name="serverName"/>.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="resourceGroup">The resource group.</param>
    /// <param name="serverName">The logical server's name.</param>
    /// <param name="databaseName">The target database's name.</param>
    /// <returns>The target.</returns>
    public static DatabaseMigrationTarget SqlDb(string subscriptionId, string resourceGroup, string serverName, string databaseName) =>
        new(DatabaseMigrationTargetKind.SqlDb, subscriptionId, resourceGroup, serverName, databaseName);

    /// <summary>An Azure SQL Managed Instance target.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="resourceGroup">The resource group.</param>
    /// <param name="managedInstanceName">The managed instance's name.</param>
    /// <param name="databaseName">The target database's name.</param>
    /// <returns>The target.</returns>
    public static DatabaseMigrationTarget SqlMi(string subscriptionId, string resourceGroup, string managedInstanceName, string databaseName) =>
        new(DatabaseMigrationTargetKind.SqlMi, subscriptionId, resourceGroup, managedInstanceName, databaseName);

    /// <summary>A SQL Server on Azure VM target.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="resourceGroup">The resource group.</param>
    /// <param name="virtualMachineName">The SQL virtual machine's name.</param>
    /// <param name="databaseName">The target database's name.</param>
    /// <returns>The target.</returns>
    public static DatabaseMigrationTarget SqlVm(string subscriptionId, string resourceGroup, string virtualMachineName, string databaseName) =>
        new(DatabaseMigrationTargetKind.SqlVm, subscriptionId, resourceGroup, virtualMachineName, databaseName);

    /// <summary>The Resource Manager type of a target kind.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns><c>Microsoft.Sql/servers</c>, <c>Microsoft.Sql/managedInstances</c> or <c>Microsoft.SqlVirtualMachine/sqlVirtualMachines</c>.</returns>
    public static string ResourceTypeOf(DatabaseMigrationTargetKind kind) => kind switch
    {
        DatabaseMigrationTargetKind.SqlDb => "Microsoft.Sql/servers",
        DatabaseMigrationTargetKind.SqlMi => "Microsoft.Sql/managedInstances",
        DatabaseMigrationTargetKind.SqlVm => "Microsoft.SqlVirtualMachine/sqlVirtualMachines",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown target kind."),
    };

    /// <inheritdoc/>
    public override string ToString() => $"{ResourceType}/{TargetName}/databaseMigrations/{TargetDatabaseName}";

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}

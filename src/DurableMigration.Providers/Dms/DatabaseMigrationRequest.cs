namespace DurableMigration.Providers.Dms;

/// <summary>
/// How the Database Migration Service reaches a SQL Server (the spec's <c>SqlConnectionInformation</c>).
/// Holds a password resolved from a secret: <see cref="ToString"/> never shows it, and the client sends it only in the create request's body.
/// </summary>
public sealed class SqlConnectionInformation
{
    /// <summary>Gets the server to connect to (<c>dataSource</c>): a host name, <c>host,port</c> or <c>host\instance</c>.</summary>
    public required string DataSource { get; init; }

    /// <summary>Gets the authentication type (<c>authentication</c>): <c>SqlAuthentication</c> (the default) or <c>WindowsAuthentication</c>.</summary>
    public string Authentication { get; init; } = "SqlAuthentication";

    /// <summary>Gets the login (<c>userName</c>).</summary>
    public string? UserName { get; init; }

    /// <summary>Gets the password (<c>password</c>); never logged, never part of a message.</summary>
    public string? Password { get; init; }

    /// <summary>Gets whether the connection is encrypted (<c>encryptConnection</c>); <see langword="true"/> unless set.</summary>
    public bool EncryptConnection { get; init; } = true;

    /// <summary>Gets whether the server certificate is trusted without validation (<c>trustServerCertificate</c>).</summary>
    public bool TrustServerCertificate { get; init; }

    /// <summary>Describes the connection without its password.</summary>
    /// <returns>The data source and login.</returns>
    public override string ToString() => UserName is null ? DataSource : $"{UserName}@{DataSource}";
}

/// <summary>Where a managed instance or SQL VM migration reads its backups (the spec's <c>backupConfiguration</c>); holds secrets, never shown by <see cref="ToString"/>.</summary>
public sealed class DatabaseMigrationBackupConfiguration
{
    /// <summary>Gets the storage account holding the backups (<c>sourceLocation.azureBlob.storageAccountResourceId</c>), for backups in Azure Blob Storage.</summary>
    public string? BlobStorageAccountResourceId { get; init; }

    /// <summary>Gets the storage account key (<c>sourceLocation.azureBlob.accountKey</c>); a secret.</summary>
    public string? BlobAccountKey { get; init; }

    /// <summary>Gets the blob container holding the backups (<c>sourceLocation.azureBlob.blobContainerName</c>).</summary>
    public string? BlobContainerName { get; init; }

    /// <summary>Gets the network share holding the backups (<c>sourceLocation.fileShare.path</c>), for backups on a share read by the self-hosted integration runtime.</summary>
    public string? FileSharePath { get; init; }

    /// <summary>Gets the share's user (<c>sourceLocation.fileShare.username</c>).</summary>
    public string? FileShareUserName { get; init; }

    /// <summary>Gets the share's password (<c>sourceLocation.fileShare.password</c>); a secret.</summary>
    public string? FileSharePassword { get; init; }

    /// <summary>Gets the storage account the integration runtime uploads share backups to (<c>targetLocation.storageAccountResourceId</c>).</summary>
    public string? TargetStorageAccountResourceId { get; init; }

    /// <summary>Gets that storage account's key (<c>targetLocation.accountKey</c>); a secret.</summary>
    public string? TargetAccountKey { get; init; }

    /// <summary>Describes the configuration without its secrets.</summary>
    /// <returns>The backup source.</returns>
    public override string ToString() =>
        FileSharePath is not null ? $"file share {FileSharePath}" : $"blob container {BlobContainerName} in {BlobStorageAccountResourceId}";
}

/// <summary>The body of a database migration's create request (the spec's <c>DatabaseMigrationProperties*</c>); <see cref="ToString"/> never shows a secret.</summary>
public sealed class DatabaseMigrationRequest
{
    /// <summary>Gets the <c>sqlMigrationServices</c> resource id that runs the migration (<c>migrationService</c>).</summary>
    public required string MigrationServiceId { get; init; }

    /// <summary>Gets how the service reaches the source SQL Server (<c>sourceSqlConnection</c>).</summary>
    public required SqlConnectionInformation SourceSqlConnection { get; init; }

    /// <summary>Gets the source database's name (<c>sourceDatabaseName</c>).</summary>
    public required string SourceDatabaseName { get; init; }

    /// <summary>Gets how the service reaches the target Azure SQL Database (<c>targetSqlConnection</c>); required for <see cref="DatabaseMigrationTargetKind.SqlDb"/>, ignored otherwise.</summary>
    public SqlConnectionInformation? TargetSqlConnection { get; init; }

    /// <summary>Gets the tables to copy, as <c>[schema].[table]</c> (<c>tableList</c>); <see cref="DatabaseMigrationTargetKind.SqlDb"/> only; all tables when empty.</summary>
    public IReadOnlyList<string> TableList { get; init; } = [];

    /// <summary>Gets whether the migration is offline (<c>offlineConfiguration.offline</c>). Azure SQL Database migrations always are; an online managed instance or VM migration waits for a cutover.</summary>
    public bool Offline { get; init; } = true;

    /// <summary>Gets the last backup file's name, for an offline managed instance or VM migration (<c>offlineConfiguration.lastBackupName</c>).</summary>
    public string? LastBackupName { get; init; }

    /// <summary>Gets where the backups are, for a managed instance or VM migration (<c>backupConfiguration</c>).</summary>
    public DatabaseMigrationBackupConfiguration? BackupConfiguration { get; init; }

    /// <summary>Gets the target database's collation (<c>targetDatabaseCollation</c>), when set.</summary>
    public string? TargetDatabaseCollation { get; init; }

    /// <summary>Describes the request without its secrets.</summary>
    /// <returns>The source database, the source and the service.</returns>
    public override string ToString() => $"{SourceDatabaseName} from {SourceSqlConnection} via {MigrationServiceId}";
}

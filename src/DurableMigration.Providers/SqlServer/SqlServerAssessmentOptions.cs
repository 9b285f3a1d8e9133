using DurableMigration.Providers.Dms;

namespace DurableMigration.Providers.SqlServer;

/// <summary>Limits the SQL Server assessment checks against: the targets' size limits, the lowest compatibility level each accepts, the oldest source version.</summary>
/// <remarks>
/// Defaults, from Microsoft's published resource limits (late 2026): Azure SQL Database 4 TiB, the largest most service
/// tiers allow (vCore General Purpose and Business Critical; Hyperscale allows 128 TiB: set
/// <see cref="SqlDbMaxSizeBytes"/> to <see cref="HyperscaleMaxSizeBytes"/> for it); Managed Instance 16 TiB (General
/// Purpose and Business Critical; the next-gen General Purpose allows 32 TiB); SQL Server on an Azure VM: no limit here
/// (the VM's disks decide). Compatibility level 100 (SQL Server 2008) is the lowest Azure SQL Database, Managed Instance
/// and SQL Server 2022 accept. Size is the data files' used space (<c>FILEPROPERTY(name, 'SpaceUsed')</c>), not the log.
/// </remarks>
public sealed class SqlServerAssessmentOptions
{
    /// <summary>1 TiB in bytes.</summary>
    public const long TiB = 1L << 40;

    /// <summary>Azure SQL Database Hyperscale's limit, 128 TiB.</summary>
    public const long HyperscaleMaxSizeBytes = 128 * TiB;

    /// <summary>Gets or sets the largest source an Azure SQL Database target takes; 4 TiB unless set.</summary>
    public long? SqlDbMaxSizeBytes { get; set; } = 4 * TiB;

    /// <summary>Gets or sets the largest source a Managed Instance target takes; 16 TiB unless set.</summary>
    public long? SqlMiMaxSizeBytes { get; set; } = 16 * TiB;

    /// <summary>Gets or sets the largest source a SQL Server VM target takes; <c>null</c> (no check) unless set.</summary>
    public long? SqlVmMaxSizeBytes { get; set; }

    /// <summary>Gets or sets the share of the limit above which size is a warning; 0.9 unless set.</summary>
    public double SizeWarningRatio { get; set; } = 0.9;

    /// <summary>Gets or sets the lowest compatibility level an Azure SQL Database target supports; 100 unless set.</summary>
    public int SqlDbMinimumCompatibilityLevel { get; set; } = 100;

    /// <summary>Gets or sets the lowest compatibility level a Managed Instance target supports; 100 unless set.</summary>
    public int SqlMiMinimumCompatibilityLevel { get; set; } = 100;

    /// <summary>Gets or sets the lowest compatibility level a SQL Server VM target supports; 100 (SQL Server 2022) unless set.</summary>
    public int SqlVmMinimumCompatibilityLevel { get; set; } = 100;

    /// <summary>Gets or sets the oldest source major version the catalog queries run on; 13 (SQL Server 2016) unless set.</summary>
    public int MinimumSourceMajorVersion { get; set; } = 13;

    /// <summary>Gets the size limit for a target kind; <c>null</c> for none.</summary>
    /// <param name="target">The kind of target.</param>
    /// <returns>The limit in bytes.</returns>
    public long? MaxSizeBytesFor(DatabaseMigrationTargetKind target) => target switch
    {
        DatabaseMigrationTargetKind.SqlDb => SqlDbMaxSizeBytes,
        DatabaseMigrationTargetKind.SqlMi => SqlMiMaxSizeBytes,
        DatabaseMigrationTargetKind.SqlVm => SqlVmMaxSizeBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown target kind."),
    };

    /// <summary>Gets the lowest compatibility level a target kind supports.</summary>
    /// <param name="target">The kind of target.</param>
    /// <returns>The level.</returns>
    public int MinimumCompatibilityLevelFor(DatabaseMigrationTargetKind target) => target switch
    {
        DatabaseMigrationTargetKind.SqlDb => SqlDbMinimumCompatibilityLevel,
        DatabaseMigrationTargetKind.SqlMi => SqlMiMinimumCompatibilityLevel,
        DatabaseMigrationTargetKind.SqlVm => SqlVmMinimumCompatibilityLevel,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown target kind."),
    };
}

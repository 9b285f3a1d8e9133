namespace DurableMigration.Providers.Postgres;

/// <summary>The stable rule ids of the PostgreSQL provider's assessment findings.</summary>
public static class PostgresAssessmentRules
{
    /// <summary>Blocking: the source or target server cannot be reached, or refuses the login, or the source database does not exist.</summary>
    public const string Connectivity = "postgresql.connectivity";

    /// <summary>Blocking when the target server's major version is older than the source's; information otherwise.</summary>
    public const string Version = "postgresql.version";

    /// <summary>Blocking: <c>pg_dump</c>/<c>pg_restore</c> are missing or older than the source server.</summary>
    public const string Tools = "postgresql.tools";

    /// <summary>Blocking: the table filter names a table the source does not have.</summary>
    public const string UnknownTable = "postgresql.unknown-table";

    /// <summary>Blocking: an extension installed in the source database is not available on the target server.</summary>
    public const string Extension = "postgresql.extension";

    /// <summary>Blocking: the target database exists, holds objects and does not carry this tool's marker.</summary>
    public const string TargetNotEmpty = "postgresql.target-not-empty";

    /// <summary>Information: the target database carries this tool's marker (an earlier attempt); it will be replaced. Or: it will be created.</summary>
    public const string TargetState = "postgresql.target";

    /// <summary>Blocking: the target database is missing and the target user may not create databases.</summary>
    public const string CreateDatabase = "postgresql.create-database";

    /// <summary>Blocking: source and target are the same database.</summary>
    public const string SameDatabase = "postgresql.same-database";

    /// <summary>Online: blocking when the source's <c>wal_level</c> is not <c>logical</c>; offline: a warning that writes during the copy are caught by a second full copy.</summary>
    public const string WalLevel = "postgresql.wal-level";

    /// <summary>Online, blocking: the source user has neither REPLICATION nor superuser.</summary>
    public const string ReplicationPrivilege = "postgresql.replication-privilege";

    /// <summary>Online: no free replication slot or WAL sender on the source (blocking), or only one left (warning).</summary>
    public const string ReplicationCapacity = "postgresql.replication-capacity";

    /// <summary>Online, blocking: the target user may not create a subscription (PostgreSQL 15 and older: superuser only; 16 and newer: superuser or <c>pg_create_subscription</c>).</summary>
    public const string SubscriptionPrivilege = "postgresql.subscription-privilege";

    /// <summary>Online: blocking; offline: information. A table has neither a primary key nor REPLICA IDENTITY FULL or INDEX.</summary>
    public const string NoPrimaryKey = "postgresql.no-primary-key";

    /// <summary>Warning offline, blocking online: unlogged tables (copied, but not replicated).</summary>
    public const string UnloggedTable = "postgresql.unlogged-table";

    /// <summary>Warning offline, blocking online: large objects (<c>pg_largeobject</c>) are not copied.</summary>
    public const string LargeObjects = "postgresql.large-objects";

    /// <summary>Information: sequences are set from the source after the copy (offline) and at cutover (online).</summary>
    public const string Sequences = "postgresql.sequences";

    /// <summary>Information: materialized views are refreshed in the target after the copy (not replicated online).</summary>
    public const string MaterializedViews = "postgresql.materialized-views";

    /// <summary>Information (online): schema changes (DDL) made on the source after the schema copy are not replicated.</summary>
    public const string Ddl = "postgresql.ddl";

    /// <summary>Warning: foreign tables move as definitions only (no rows); their servers and user mappings must work from the target.</summary>
    public const string ForeignTable = "postgresql.foreign-table";

    /// <summary>Information: source size and table count.</summary>
    public const string Size = "postgresql.size";
}

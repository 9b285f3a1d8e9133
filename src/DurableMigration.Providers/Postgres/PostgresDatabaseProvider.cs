using System.Globalization;
using DurableMigration.Manifest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>Moves PostgreSQL databases, server to server: offline (copy once, source made read-only at cutover) and online (logical replication until cutover).</summary>
/// <remarks>
/// <para>
/// Connections are Npgsql connection strings (<c>Host=...;Port=...;Database=...;Username=...;Password=...</c>): secrets.
/// Messages and logs name the wave's database and the database name on the server, never host, user or password.
/// <c>pg_dump</c> and <c>pg_restore</c> get connection details through libpq's environment variables (<c>PGHOST</c>,
/// <c>PGPASSWORD</c>, ...), never on their command lines, which other users of the machine can read.
/// </para>
/// <para>
/// Target: the target connection names the target database. The schema copy creates it when missing (through the same
/// server's <c>postgres</c> database, so the target user needs CREATEDB) and marks it with a database comment
/// (<c>COMMENT ON DATABASE ... IS 'DurableMigration target of ...'</c>). The provider replaces and drops only databases
/// carrying that marker, adopts an existing empty one, and refuses non-retriably to touch a database holding objects
/// without it.
/// </para>
/// <para>
/// Owner rule: the schema is restored with <c>pg_restore --no-owner --no-privileges</c>, so every object first belongs to
/// the target connection's user; then every schema, table, view, sequence, routine and type whose source owner is a
/// role that exists on the target server is given to that role (<c>ALTER ... OWNER TO</c>; when the target user may
/// not do that, the object keeps the target user and a warning is logged). Grants are not copied.
/// </para>
/// <para>
/// Read-only mechanism: <see cref="MakeSourceReadOnlyAsync"/> sets <c>default_transaction_read_only = on</c> on the
/// source database (<c>ALTER DATABASE</c>) and terminates its other client sessions, so every session starts read-only
/// and a write fails with SQLSTATE 25006. A client can still turn it off for its own session
/// (<c>SET default_transaction_read_only = off</c>, or <c>BEGIN READ WRITE</c>), superusers too: it stops applications,
/// not a deliberate writer. Replication (WAL sender) sessions are left alone.
/// </para>
/// <para>Every step is idempotent: activities run at least once, and a crash mid-step reruns it.</para>
/// </remarks>
public sealed partial class PostgresDatabaseProvider : IDatabaseProvider
{
    /// <summary>The engine name this provider serves.</summary>
    public const string EngineName = "postgresql";

    private readonly ILogger _logger;
    private readonly PostgresProviderOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly PgTools _tools;

    /// <summary>Initializes the provider.</summary>
    /// <param name="logger">Where step summaries go; never connection strings.</param>
    /// <param name="options">Tuning; defaults when <c>null</c>.</param>
    /// <param name="timeProvider">The clock for elapsed times; <see cref="TimeProvider.System"/> when <c>null</c>.</param>
    public PostgresDatabaseProvider(ILogger<PostgresDatabaseProvider>? logger = null, PostgresProviderOptions? options = null, TimeProvider? timeProvider = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _options = options ?? new PostgresProviderOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ParallelTables, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.SplitTableBytes, 8192, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ValidationBucketRows, 1, nameof(options));
        _tools = new PgTools(_options.ToolsDirectory, _options.ToolTimeout);
    }

    /// <inheritdoc/>
    public string Engine => EngineName;

    /// <inheritdoc/>
    public bool SupportsOnline => true;

    /// <inheritdoc/>
    /// <remarks>
    /// Reports problems as findings rather than throwing (rule ids: <see cref="PostgresAssessmentRules"/>): an
    /// unreachable server or missing database, a target server older than the source, missing extensions, unknown
    /// filter names, a target holding someone else's data, and in online mode what logical replication needs
    /// (<c>wal_level=logical</c>, REPLICATION, free slots and WAL senders, a key or replica identity on every table, no
    /// unlogged tables or large objects) block the wave.
    /// </remarks>
    public async Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        string database = endpoints.Database;
        var findings = new List<AssessmentFinding>();
        bool online = endpoints.Mode == MigrationMode.Online;
        PgEndpoint source, target;
        try
        {
            source = Source(endpoints);
            target = Target(endpoints);
        }
        catch (PermanentDatabaseProviderException ex)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Connectivity, FindingSeverity.Blocking, ex.Message));
            return new AssessmentReport(database, "unknown", 0, 0, findings);
        }

        SourceFacts facts;
        try
        {
            await using var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            facts = await ReadSourceFactsAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException && !cancellationToken.IsCancellationRequested)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Connectivity, FindingSeverity.Blocking, $"Database '{database}': cannot open the source database '{source.DatabaseName}': {PgErrors.Describe(ex, source.Password)}. Check that the server runs and is reachable, and the connection's database, user and password.", source.DatabaseName));
            await AssessTargetAsync(endpoints, source, target, null, [], findings, cancellationToken).ConfigureAwait(false);
            return Report(database, "unknown", 0, 0, findings);
        }

        var tables = facts.Tables.Where(t => PgCatalog.Includes(endpoints.Tables, t)).ToList();
        foreach (string name in PgCatalog.UnknownNames(endpoints.Tables, facts.Tables))
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.UnknownTable, FindingSeverity.Blocking, $"The table filter of database '{database}' names '{name}', which is no table of the source; name tables as schema.table (or table), and correct the manifest.", name));
        }

        int? tools = await _tools.DumpMajorVersionAsync(cancellationToken).ConfigureAwait(false);
        int sourceMajor = facts.VersionNumber / 10000;
        if (tools is null)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Tools, FindingSeverity.Blocking, $"pg_dump cannot be run from {_tools.Directory ?? "the PATH"}, and the schema copy of database '{database}' needs it; install PostgreSQL's client tools or set the provider's ToolsDirectory."));
        }
        else if (tools < sourceMajor)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Tools, FindingSeverity.Blocking, $"pg_dump is version {tools.Value.ToString(CultureInfo.InvariantCulture)}, older than the source server of database '{database}' ({sourceMajor.ToString(CultureInfo.InvariantCulture)}); install client tools of version {sourceMajor.ToString(CultureInfo.InvariantCulture)} or newer and set the provider's ToolsDirectory."));
        }

        AssessSource(database, online, facts, tables, findings);
        await AssessTargetAsync(endpoints, source, target, facts, facts.Extensions, findings, cancellationToken).ConfigureAwait(false);
        return Report(database, facts.Version, facts.SizeBytes, tables.Count(t => t.Kind != 'p'), findings);
    }

    private AssessmentReport Report(string database, string version, long size, int tables, List<AssessmentFinding> findings)
    {
        PgLogs.Assessed(_logger, database, tables, size, findings.Count(f => f.Severity == FindingSeverity.Blocking));
        return new AssessmentReport(database, version, size, tables, findings);
    }

    private static void AssessSource(string database, bool online, SourceFacts facts, List<PgTable> tables, List<AssessmentFinding> findings)
    {
        if (facts.WalLevel != "logical")
        {
            findings.Add(online
                ? new AssessmentFinding(PostgresAssessmentRules.WalLevel, FindingSeverity.Blocking, $"The source server of database '{database}' has wal_level={facts.WalLevel}; online mode needs logical. Set wal_level = logical in postgresql.conf and restart the server, or migrate offline.")
                : new AssessmentFinding(PostgresAssessmentRules.WalLevel, FindingSeverity.Warning, $"The source server of database '{database}' has wal_level={facts.WalLevel}, so changes made during the copy are not recorded: writes that reach the source during the copy are caught by a second full copy inside the write-blocked window, which lengthens it. Set wal_level = logical (restart) to avoid that."));
        }

        if (online)
        {
            if (!facts.Superuser && !facts.Replication)
            {
                findings.Add(new AssessmentFinding(PostgresAssessmentRules.ReplicationPrivilege, FindingSeverity.Blocking, $"The source user of database '{database}' has neither REPLICATION nor superuser; online mode creates a replication slot. Run ALTER ROLE <user> REPLICATION on the source, or migrate offline."));
            }

            AssessCapacity(database, "replication slot(s)", "max_replication_slots", facts.MaxSlots - facts.UsedSlots, findings);
            AssessCapacity(database, "WAL sender(s)", "max_wal_senders", facts.MaxWalSenders - facts.UsedWalSenders, findings);
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Ddl, FindingSeverity.Information, $"Logical replication does not carry schema changes: do not change the schema of database '{database}' (CREATE, ALTER, DROP) between the schema copy and cutover."));
        }

        foreach (var table in tables.Where(t => t.HoldsRows && !t.HasPrimaryKey && t.ReplicaIdentity is not ('f' or 'i')))
        {
            findings.Add(online
                ? new AssessmentFinding(PostgresAssessmentRules.NoPrimaryKey, FindingSeverity.Blocking, $"Table {table.QualifiedName} of database '{database}' has no primary key and no REPLICA IDENTITY FULL or USING INDEX, so its updates and deletes cannot be replicated. Add a primary key, or run ALTER TABLE {table.Quoted} REPLICA IDENTITY FULL.", table.QualifiedName)
                : new AssessmentFinding(PostgresAssessmentRules.NoPrimaryKey, FindingSeverity.Information, $"Table {table.QualifiedName} of database '{database}' has no primary key: a validation mismatch names the table but not the key range.", table.QualifiedName));
        }

        foreach (var table in tables.Where(t => t.Unlogged))
        {
            findings.Add(online
                ? new AssessmentFinding(PostgresAssessmentRules.UnloggedTable, FindingSeverity.Blocking, $"Table {table.QualifiedName} of database '{database}' is unlogged: logical replication does not carry its changes. Make it logged (ALTER TABLE {table.Quoted} SET LOGGED), exclude it, or migrate offline.", table.QualifiedName)
                : new AssessmentFinding(PostgresAssessmentRules.UnloggedTable, FindingSeverity.Warning, $"Table {table.QualifiedName} of database '{database}' is unlogged: it is copied, and stays unlogged in the target (emptied by a crash of the target server).", table.QualifiedName));
        }

        foreach (var table in tables.Where(t => t.Kind == 'f'))
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.ForeignTable, FindingSeverity.Warning, $"Foreign table {table.QualifiedName} of database '{database}' moves as a definition only (its rows live elsewhere); its server and user mappings must work from the target.", table.QualifiedName));
        }

        if (facts.LargeObjects > 0)
        {
            findings.Add(online
                ? new AssessmentFinding(PostgresAssessmentRules.LargeObjects, FindingSeverity.Blocking, $"Database '{database}' holds {facts.LargeObjects.ToString(CultureInfo.InvariantCulture)} large object(s) (pg_largeobject): the provider does not copy them and logical replication does not carry them. Move them into bytea columns, or migrate them by hand (pg_dump --large-objects) and offline.")
                : new AssessmentFinding(PostgresAssessmentRules.LargeObjects, FindingSeverity.Warning, $"Database '{database}' holds {facts.LargeObjects.ToString(CultureInfo.InvariantCulture)} large object(s) (pg_largeobject): the provider does not copy them, and columns of type oid that point at them will dangle in the target. Copy them by hand (pg_dump --large-objects) or move them into bytea columns."));
        }

        if (facts.Sequences > 0)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Sequences, FindingSeverity.Information, $"Database '{database}' has {facts.Sequences.ToString(CultureInfo.InvariantCulture)} sequence(s): their values are set from the source after the copy{(online ? " and again at cutover (logical replication does not carry them)" : string.Empty)}."));
        }

        if (facts.MaterializedViews > 0)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.MaterializedViews, FindingSeverity.Information, $"Database '{database}' has {facts.MaterializedViews.ToString(CultureInfo.InvariantCulture)} materialized view(s): they are refreshed in the target after the copy{(online ? "; replication does not refresh them, refresh them after cutover" : string.Empty)}."));
        }

        findings.Add(new AssessmentFinding(PostgresAssessmentRules.Size, FindingSeverity.Information, $"Database '{database}': {facts.SizeBytes.ToString(CultureInfo.InvariantCulture)} bytes, {tables.Count(t => t.Kind != 'p').ToString(CultureInfo.InvariantCulture)} table(s) to move, PostgreSQL {facts.Version}."));
    }

    private static void AssessCapacity(string database, string what, string setting, int free, List<AssessmentFinding> findings)
    {
        if (free < 1)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.ReplicationCapacity, FindingSeverity.Blocking, $"The source server of database '{database}' has no free {what}; online mode needs one. Raise {setting} (restart) or drop unused ones."));
        }
        else if (free == 1)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.ReplicationCapacity, FindingSeverity.Warning, $"The source server of database '{database}' has one free {what} left; online mode takes it. Consider raising {setting}."));
        }
    }

    private async Task AssessTargetAsync(MigrationEndpoints endpoints, PgEndpoint source, PgEndpoint target, SourceFacts? facts, IReadOnlyList<string> extensions, List<AssessmentFinding> findings, CancellationToken cancellationToken)
    {
        string database = endpoints.Database;
        if (string.Equals(source.Identity, target.Identity, StringComparison.Ordinal))
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.SameDatabase, FindingSeverity.Blocking, $"Source and target of database '{database}' are the same database ('{source.DatabaseName}' on the same server); choose another target.", source.DatabaseName));
            return;
        }

        try
        {
            await using var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false);
            int version = int.Parse(await PgSql.ScalarAsync<string>(admin, "SHOW server_version_num", cancellationToken).ConfigureAwait(false) ?? "0", CultureInfo.InvariantCulture);
            if (facts is not null && version / 10000 < facts.VersionNumber / 10000)
            {
                findings.Add(new AssessmentFinding(PostgresAssessmentRules.Version, FindingSeverity.Blocking, $"The target server of database '{database}' runs PostgreSQL {(version / 10000).ToString(CultureInfo.InvariantCulture)}, older than the source's {(facts.VersionNumber / 10000).ToString(CultureInfo.InvariantCulture)}; a dump of a newer server may not restore. Use a target server of version {(facts.VersionNumber / 10000).ToString(CultureInfo.InvariantCulture)} or newer."));
            }

            if (endpoints.Mode == MigrationMode.Online)
            {
                const string mayCreateSubscription = """
                    SELECT r.rolsuper OR CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_create_subscription')
                                              THEN pg_has_role(current_user, 'pg_create_subscription', 'MEMBER') ELSE false END
                    FROM pg_roles r WHERE r.rolname = current_user
                    """;
                if (!await PgSql.ScalarAsync<bool>(admin, mayCreateSubscription, cancellationToken).ConfigureAwait(false))
                {
                    string who = version >= 160000 ? "a superuser or a member of pg_create_subscription" : "a superuser (PostgreSQL 15 and older)";
                    findings.Add(new AssessmentFinding(PostgresAssessmentRules.SubscriptionPrivilege, FindingSeverity.Blocking, $"Online mode subscribes the target database of '{database}' to the source, which needs {who}; the target user is not. Use such a user for the target connection, or migrate offline."));
                }
            }

            var available = new HashSet<string>(await PgSql.QueryAsync(admin, "SELECT name FROM pg_available_extensions", r => r.GetString(0), cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
            foreach (string extension in extensions.Where(e => !available.Contains(e)))
            {
                findings.Add(new AssessmentFinding(PostgresAssessmentRules.Extension, FindingSeverity.Blocking, $"Extension '{extension}' is installed in the source of database '{database}' but not available on the target server; install it there (its package, e.g. postgresql-contrib), or drop it from the source.", extension));
            }

            var state = await PgMarker.ReadAsync(admin, target, cancellationToken).ConfigureAwait(false);
            switch (state.Kind)
            {
                case TargetKind.UnmarkedNotEmpty:
                    findings.Add(new AssessmentFinding(PostgresAssessmentRules.TargetNotEmpty, FindingSeverity.Blocking, $"The target database '{target.DatabaseName}' of database '{database}' exists and holds objects DurableMigration did not write; it is never replaced. Name an empty or missing database as target, or drop that one yourself.", target.DatabaseName));
                    break;
                case TargetKind.Marked:
                    findings.Add(new AssessmentFinding(PostgresAssessmentRules.TargetState, FindingSeverity.Information, $"The target database '{target.DatabaseName}' of database '{database}' was written by an earlier attempt (state {state.CopyState ?? "unknown"}); the schema copy replaces it.", target.DatabaseName));
                    break;
                case TargetKind.Missing:
                    bool mayCreate = await PgSql.ScalarAsync<bool>(admin, "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user", cancellationToken).ConfigureAwait(false);
                    findings.Add(mayCreate
                        ? new AssessmentFinding(PostgresAssessmentRules.TargetState, FindingSeverity.Information, $"The target database '{target.DatabaseName}' of database '{database}' does not exist; the schema copy creates it.", target.DatabaseName)
                        : new AssessmentFinding(PostgresAssessmentRules.CreateDatabase, FindingSeverity.Blocking, $"The target database '{target.DatabaseName}' of database '{database}' does not exist and the target user may not create databases; grant it CREATEDB, or create the database empty and owned by that user.", target.DatabaseName));
                    break;
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException && !cancellationToken.IsCancellationRequested)
        {
            findings.Add(new AssessmentFinding(PostgresAssessmentRules.Connectivity, FindingSeverity.Blocking, $"Database '{database}': cannot open the target server's 'postgres' database: {PgErrors.Describe(ex, target.Password)}. Check that the server runs and is reachable, and the connection's user and password.", target.DatabaseName));
        }
    }

    private static async Task<SourceFacts> ReadSourceFactsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT current_setting('server_version'), current_setting('server_version_num')::int, pg_database_size(current_database()),
                   current_setting('wal_level'), r.rolsuper, r.rolreplication,
                   current_setting('max_replication_slots')::int, (SELECT count(*)::int FROM pg_replication_slots),
                   current_setting('max_wal_senders')::int, (SELECT count(*)::int FROM pg_stat_replication),
                   (SELECT count(*) FROM pg_largeobject_metadata),
                   (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')),
                   (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND n.nspname NOT IN ('pg_catalog', 'information_schema'))
            FROM pg_roles r WHERE r.rolname = current_user
            """;
        var facts = (await PgSql.QueryAsync(connection, sql, r => new SourceFacts(
            r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetString(3), r.GetBoolean(4), r.GetBoolean(5),
            r.GetInt32(6), r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.GetInt64(10), r.GetInt32(11), r.GetInt32(12)), cancellationToken).ConfigureAwait(false)).Single();
        return facts with
        {
            Tables = await PgCatalog.ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false),
            Extensions = await PgSql.QueryAsync(connection, "SELECT extname FROM pg_extension ORDER BY extname", r => r.GetString(0), cancellationToken).ConfigureAwait(false),
        };
    }

    private PgEndpoint Source(MigrationEndpoints endpoints) => PgEndpoint.Parse(endpoints.Database, "source", endpoints.SourceConnection, _options.LockTimeout);

    private PgEndpoint Target(MigrationEndpoints endpoints) => PgEndpoint.Parse(endpoints.Database, "target", endpoints.TargetConnection, _options.LockTimeout);

    /// <summary>What assessment reads from the source.</summary>
    private sealed record SourceFacts(string Version, int VersionNumber, long SizeBytes, string WalLevel, bool Superuser, bool Replication, int MaxSlots, int UsedSlots, int MaxWalSenders, int UsedWalSenders, long LargeObjects, int Sequences, int MaterializedViews)
    {
        public IReadOnlyList<PgTable> Tables { get; init; } = [];

        public IReadOnlyList<string> Extensions { get; init; } = [];
    }
}

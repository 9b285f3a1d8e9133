using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Moves SQLite databases: file to file, offline (no continuous sync).</summary>
/// <remarks>
/// <para>
/// Connections are Microsoft.Data.Sqlite connection strings (<c>Data Source=/path/file.db</c>). They and the paths
/// they hold are secrets here: messages and logs name the database and at most the file name.
/// </para>
/// <para>
/// Every step is idempotent. A target this provider writes carries a marker table (<see cref="MarkerTable"/>) from
/// its schema copy on; the provider replaces or deletes only targets that are absent, empty or marked, and refuses
/// (non-retriably) to touch anything else.
/// </para>
/// <para>
/// Read-only mechanism: <see cref="MakeSourceReadOnlyAsync"/> creates, on every table of the source,
/// <c>BEFORE INSERT</c>, <c>BEFORE UPDATE</c> and <c>BEFORE DELETE</c> triggers named
/// <c>dmig_readonly_&lt;table&gt;_&lt;insert|update|delete&gt;</c> that <c>RAISE(ABORT, 'read-only: migrated by DurableMigration')</c>.
/// File permissions would not do: they do not stop a process running as root, and they would not travel with the
/// file. The triggers block every row change by any connection; they do not block schema changes (CREATE, DROP,
/// ALTER), and a writer that drops them can write again. <see cref="MakeSourceWritableAsync"/> drops them.
/// </para>
/// </remarks>
public sealed partial class SqliteDatabaseProvider : IDatabaseProvider
{
    /// <summary>The engine name this provider serves.</summary>
    public const string EngineName = "sqlite";

    /// <summary>The name prefix of the read-only triggers: <c>dmig_readonly_&lt;table&gt;_&lt;insert|update|delete&gt;</c>.</summary>
    public const string ReadOnlyTriggerPrefix = SqliteSchema.ReadOnlyTriggerPrefix;

    /// <summary>The error message a write to a read-only source fails with.</summary>
    public const string ReadOnlyMessage = "read-only: migrated by DurableMigration";

    /// <summary>The marker table every target written by this provider carries: database, source file name, copy state.</summary>
    public const string MarkerTable = SqliteSchema.MarkerTable;

    private readonly ILogger _logger;
    private readonly SqliteProviderOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes the provider.</summary>
    /// <param name="logger">Where step summaries go; never connection strings or paths.</param>
    /// <param name="options">Tuning; defaults when <c>null</c>.</param>
    /// <param name="timeProvider">The clock for the marker's timestamps; <see cref="TimeProvider.System"/> when <c>null</c>.</param>
    public SqliteDatabaseProvider(ILogger<SqliteDatabaseProvider>? logger = null, SqliteProviderOptions? options = null, TimeProvider? timeProvider = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _options = options ?? new SqliteProviderOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ProgressBatchRows, 1, nameof(options));
    }

    /// <inheritdoc/>
    public string Engine => EngineName;

    /// <inheritdoc/>
    public bool SupportsOnline => false;

    /// <inheritdoc/>
    /// <remarks>
    /// Reports problems as findings rather than throwing: a missing or unreadable source, failed integrity check,
    /// unknown filter names, virtual tables and a target holding someone else's data block the wave; tables without a
    /// primary key, foreign keys that cross the filter and dependents left behind are warnings.
    /// </remarks>
    public Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "assessment", job => Task.FromResult(Assess(job)), cancellationToken);

    /// <summary>Runs <paramref name="work"/> on a pool thread, translating SQLite and I/O failures into provider exceptions without secrets.</summary>
    /// <remarks>Microsoft.Data.Sqlite's async methods complete synchronously; a long copy must not hold the caller's thread.</remarks>
    private async Task<T> RunAsync<T>(MigrationEndpoints endpoints, string operation, Func<Job, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        cancellationToken.ThrowIfCancellationRequested();
        var job = new Job(endpoints, cancellationToken);
        try
        {
            return await Task.Run(() => work(job), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw SqliteErrors.Translate(ex, endpoints.Database, operation, job.Redaction, cancellationToken);
        }
    }

    private AssessmentReport Assess(Job job)
    {
        string database = job.Database;
        var findings = new List<AssessmentFinding>();
        var source = job.Source;
        string version = LibraryVersion();
        if (!source.Exists)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.SourceMissing, FindingSeverity.Blocking, $"The source file '{source.FileName}' of database '{database}' does not exist; check the source connection.", source.FileName));
            AssessTarget(job, findings);
            return Report(job, version, 0, 0, findings);
        }

        SqliteSchema schema;
        using (var connection = new SqliteConnection(source.ConnectionString(SqliteOpenMode.ReadOnly)))
        {
            try
            {
                connection.Open();
                version = Sql.Scalar(connection, "SELECT sqlite_version()") as string ?? version;
                var problems = Sql.Query(connection, "PRAGMA integrity_check(10)", r => r.GetString(0));
                if (problems is not ["ok"])
                {
                    findings.Add(new AssessmentFinding(SqliteAssessmentRules.Integrity, FindingSeverity.Blocking, $"The integrity check of database '{database}' ({source.FileName}) failed: {string.Join("; ", problems.Take(3))}. Repair or restore it first.", source.FileName));
                }

                schema = SqliteSchema.Read(connection, "main");
            }
            catch (SqliteException ex) when (SqliteErrors.IsUnreadable(ex))
            {
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.Integrity, FindingSeverity.Blocking, $"The source file '{source.FileName}' of database '{database}' is not a SQLite database or is corrupt (SQLite error {ex.SqliteErrorCode}). Restore it from a backup.", source.FileName));
                AssessTarget(job, findings);
                return Report(job, version, new FileInfo(source.Path).Length, 0, findings);
            }
        }

        var plan = MigrationPlan.Create(schema, job.Endpoints.Tables);
        foreach (string name in plan.UnknownTables)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.UnknownTable, FindingSeverity.Blocking, $"The table filter of database '{database}' names '{name}', which is no table of the source; correct the manifest.", name));
        }

        foreach (string name in plan.VirtualTables)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.VirtualTable, FindingSeverity.Blocking, $"Table '{name}' of database '{database}' is a virtual table; its module may be missing in the target. Exclude it in the table filter, or move it by hand.", name));
        }

        foreach (var table in plan.Tables.Where(t => !t.HasPrimaryKey))
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.NoPrimaryKey, FindingSeverity.Warning, $"Table '{table.Name}' of database '{database}' has no primary key; validation relies on its row count and checksum alone.", table.Name));
        }

        AssessForeignKeys(database, schema, plan, findings);
        foreach (var dependent in plan.DependentsLeftBehind)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.DependentExcluded, FindingSeverity.Warning, $"The {dependent.Type} '{dependent.Name}' of database '{database}' reads a table the filter leaves behind, so it stays behind too.", dependent.Name));
        }

        if (schema.ReadOnlyTriggers.Count > 0)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.SourceReadOnly, FindingSeverity.Information, $"The source of database '{database}' is already read-only ({schema.ReadOnlyTriggers.Count} read-only trigger(s)); rollback makes it writable again.", source.FileName));
        }

        if (job.Target.IsSameFileAs(source))
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.SameFile, FindingSeverity.Blocking, $"Source and target of database '{database}' are the same file ({source.FileName}); choose another target.", source.FileName));
        }
        else
        {
            AssessTarget(job, findings);
        }

        return Report(job, version, schema.SizeBytes, plan.Tables.Count, findings);
    }

    private static void AssessForeignKeys(string database, SqliteSchema schema, MigrationPlan plan, List<AssessmentFinding> findings)
    {
        var moving = new HashSet<string>(plan.Tables.Select(t => t.Name), StringComparer.OrdinalIgnoreCase);
        var staying = new HashSet<string>(plan.TablesLeftBehind, StringComparer.OrdinalIgnoreCase);
        foreach (var table in plan.Tables)
        {
            foreach (string parent in table.References.Where(staying.Contains))
            {
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.ForeignKeyExcluded, FindingSeverity.Warning, $"Table '{table.Name}' of database '{database}' references '{parent}', which the filter leaves behind: its foreign keys will point at a table the target lacks.", table.Name));
            }
        }

        foreach (var table in schema.Tables.Where(t => staying.Contains(t.Name)))
        {
            foreach (string parent in table.References.Where(moving.Contains))
            {
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.ForeignKeyExcluded, FindingSeverity.Warning, $"Table '{table.Name}' of database '{database}' stays behind but references '{parent}', which moves: its rows will refer to a table that no longer lives beside them.", parent));
            }
        }
    }

    private static void AssessTarget(Job job, List<AssessmentFinding> findings)
    {
        var target = job.Target;
        var inspection = MigrationMarker.Inspect(target);
        string database = job.Database;
        switch (inspection.Kind)
        {
            case TargetKind.Marked:
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.TargetPartial, FindingSeverity.Information, $"The target file '{target.FileName}' holds an earlier migration attempt of database '{database}' (state {inspection.State ?? "unknown"}); the schema copy replaces it.", target.FileName));
                break;
            case TargetKind.Foreign:
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.TargetNotEmpty, FindingSeverity.Blocking, $"The target file '{target.FileName}' of database '{database}' already holds tables DurableMigration did not write; choose an empty target or remove the file.", target.FileName));
                break;
            case TargetKind.NotADatabase:
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.TargetNotEmpty, FindingSeverity.Blocking, $"The target file '{target.FileName}' of database '{database}' exists and is not a SQLite database; choose another target or remove the file.", target.FileName));
                break;
        }
    }

    private AssessmentReport Report(Job job, string version, long size, int tables, List<AssessmentFinding> findings)
    {
        var report = new AssessmentReport(job.Database, version, size, tables, findings);
        Logs.Assessed(_logger, job.Database, tables, size, findings.Count(f => f.Severity == FindingSeverity.Blocking));
        return report;
    }

    private static string LibraryVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return Sql.Scalar(connection, "SELECT sqlite_version()") as string ?? "unknown";
    }

    /// <summary>Reads the source's schema and plan; refuses (non-retriably) a source that is missing, unreadable, or has blocking features.</summary>
    private static (SqliteSchema Schema, MigrationPlan Plan) ReadSource(Job job, bool refuseBlocking = true)
    {
        var source = RequireSource(job);
        SqliteSchema schema;
        using (var connection = new SqliteConnection(source.ConnectionString(SqliteOpenMode.ReadOnly)))
        {
            try
            {
                connection.Open();
                schema = SqliteSchema.Read(connection, "main");
            }
            catch (SqliteException ex) when (SqliteErrors.IsUnreadable(ex))
            {
                throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': the source file '{source.FileName}' is not a SQLite database or is corrupt (SQLite error {ex.SqliteErrorCode}); restore it from a backup.");
            }
        }

        var plan = MigrationPlan.Create(schema, job.Endpoints.Tables);
        if (refuseBlocking && plan.UnknownTables.Count > 0)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': the table filter names no table of the source: {string.Join(", ", plan.UnknownTables)}.");
        }

        if (refuseBlocking && plan.VirtualTables.Count > 0)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': virtual tables cannot be migrated ({string.Join(", ", plan.VirtualTables)}); exclude them in the table filter.");
        }

        return (schema, plan);
    }

    private static SqliteFile RequireSource(Job job)
    {
        var source = job.Source;
        if (!source.Exists)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': the source file '{source.FileName}' does not exist; check the source connection.");
        }

        return source;
    }

    private static void RequireDistinct(Job job)
    {
        if (job.Source.IsSameFileAs(job.Target))
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': source and target are the same file ({job.Source.FileName}); choose another target.");
        }
    }

    /// <summary>One call's endpoints, parsed on first use, and the redaction of their secrets.</summary>
    private sealed class Job
    {
        private SqliteFile? _source;
        private SqliteFile? _target;

        public Job(MigrationEndpoints endpoints, CancellationToken cancellationToken)
        {
            Endpoints = endpoints;
            CancellationToken = cancellationToken;
            Redaction = new Redaction()
                .ConnectionString(endpoints.SourceConnection)
                .ConnectionString(endpoints.TargetConnection)
                .File(SqliteFile.TryParse(endpoints.SourceConnection))
                .File(SqliteFile.TryParse(endpoints.TargetConnection));
        }

        public MigrationEndpoints Endpoints { get; }

        public string Database => Endpoints.Database;

        public CancellationToken CancellationToken { get; }

        public Redaction Redaction { get; }

        public SqliteFile Source => _source ??= SqliteFile.Parse(Endpoints.SourceConnection, Database, "source");

        public SqliteFile Target => _target ??= SqliteFile.Parse(Endpoints.TargetConnection, Database, "target");
    }
}

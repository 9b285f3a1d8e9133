using DurableMigration.Manifest;
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

    /// <summary>How many integrity problems assessment reads at most (the finding shows the first and the count, the log all).</summary>
    private const int IntegrityProblemsShown = 100;

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
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.LockTimeout, TimeSpan.Zero, nameof(options));
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

    /// <inheritdoc/>
    public async Task<AssessmentReport> AssessAsync(MigrationEndpoints endpoints, ValidationOptions validation, CancellationToken cancellationToken = default) =>
        CommonAssessmentRules.WithValidationFinding(await AssessAsync(endpoints, cancellationToken).ConfigureAwait(false), validation);

    /// <summary>Runs <paramref name="work"/> on a pool thread, translating SQLite and I/O failures into provider exceptions without secrets.</summary>
    /// <remarks>Microsoft.Data.Sqlite's async methods complete synchronously; a long copy must not hold the caller's thread.</remarks>
    private async Task<T> RunAsync<T>(MigrationEndpoints endpoints, string operation, Func<Job, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        cancellationToken.ThrowIfCancellationRequested();
        var job = new Job(endpoints, _options.LockTimeout, cancellationToken);
        try
        {
            return await Task.Run(() => work(job), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw SqliteErrors.Translate(ex, endpoints.Database, operation, job.Redaction, cancellationToken, job.Lock);
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
            AssessTarget(job, 0, findings);
            return Report(job, version, 0, 0, findings);
        }

        SqliteSchema schema;
        job.Reading(source);
        using (var connection = source.Open(SqliteOpenMode.ReadOnly))
        {
            try
            {
                version = Sql.Scalar(connection, "SELECT sqlite_version()") as string ?? version;
                List<string> problems;
                try
                {
                    problems = Sql.Query(connection, $"PRAGMA integrity_check({IntegrityProblemsShown})", r => SqliteErrors.OneLine(r.GetString(0)));
                    schema = SqliteSchema.Read(connection, "main");
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteErrors.Error)
                {
                    // The whole-file check also checks virtual tables, and fails outright on one this SQLite cannot open
                    // (a missing module or tokenizer: reported below). Check the ordinary tables one by one instead.
                    schema = SqliteSchema.Read(connection, "main");
                    problems = schema.Tables
                        .SelectMany(t => Sql.Query(connection, $"PRAGMA main.integrity_check({Sql.Quote(t.Name)})", r => SqliteErrors.OneLine(r.GetString(0))))
                        .Where(p => p != "ok")
                        .DefaultIfEmpty("ok")
                        .Take(IntegrityProblemsShown)
                        .ToList();
                }

                if (problems is not ["ok"])
                {
                    findings.Add(IntegrityFinding(database, source.FileName, problems));
                }
            }
            catch (SqliteException ex) when (SqliteErrors.IsUnreadable(ex))
            {
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.Integrity, FindingSeverity.Blocking, $"The source file '{source.FileName}' of database '{database}' is not a SQLite database or is corrupt (SQLite error {ex.SqliteErrorCode}). Restore it from a backup.", source.FileName));
                long length = new FileInfo(source.Path).Length;
                AssessTarget(job, length, findings);
                return Report(job, version, length, 0, findings);
            }
        }

        var plan = MigrationPlan.Create(schema, job.Endpoints.Tables);
        foreach (string name in plan.UnknownTables)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.UnknownTable, FindingSeverity.Blocking, $"The table filter of database '{database}' names '{name}', which is no table of the source; correct the manifest.", name));
        }

        foreach (var (table, reason) in plan.BlockedVirtualTables)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.VirtualTable, FindingSeverity.Blocking, $"Virtual table '{table.Name}' of database '{database}' cannot move: {reason}. Exclude it in the table filter, or move it by hand.", table.Name));
        }

        foreach (var table in plan.VirtualTables)
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.VirtualTable, FindingSeverity.Information, $"Virtual table '{table.Name}' ({table.Module}) of database '{database}' moves: {HowItMoves(table)}.", table.Name));
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
            AssessTarget(job, schema.SizeBytes, findings);
        }

        return Report(job, version, schema.SizeBytes, plan.Tables.Count + plan.VirtualTables.Count, findings);
    }

    private static string HowItMoves(SqliteVirtualTable table) => table.Kind switch
    {
        VirtualTableKind.FullTextWithContent => "re-created in the target, its documents re-inserted and indexed there",
        VirtualTableKind.FullTextExternalContent => $"re-created in the target and its index rebuilt from its content table '{table.ContentTable}'",
        VirtualTableKind.FullTextContentless => "re-created in the target with its index copied as stored (a contentless table keeps no documents to index again)",
        VirtualTableKind.Rows => "re-created in the target and its rows re-inserted",
        _ => "re-created in the target; it reads another table and holds no rows of its own",
    };

    /// <summary>Summarizes a failed integrity check in one line (the first problem and the count); every problem goes to the log.</summary>
    private AssessmentFinding IntegrityFinding(string database, string fileName, IReadOnlyList<string> problems)
    {
        foreach (string problem in problems)
        {
            Logs.IntegrityProblem(_logger, database, problem);
        }

        // SQLite starts the first line with "*** in database main ***"; the problem itself follows.
        string first = System.Text.RegularExpressions.Regex.Replace(problems[0], @"^\*\*\* in database \S+ \*\*\*\s*", string.Empty);
        string count = problems.Count >= IntegrityProblemsShown ? $"{IntegrityProblemsShown} or more problems" : problems.Count == 1 ? "1 problem" : $"{problems.Count} problems";
        return new AssessmentFinding(SqliteAssessmentRules.Integrity, FindingSeverity.Blocking, $"The integrity check of database '{database}' ({fileName}) found {count}, the first: {first}. Repair or restore the file first; every problem is in the log.", fileName);
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

    private void AssessTarget(Job job, long sourceBytes, List<AssessmentFinding> findings)
    {
        if (!AssessTargetLocation(job, sourceBytes, findings))
        {
            return;
        }

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

    /// <summary>Checks the target's folder: it exists (or may be created), is writable, and has room for the copy. Returns whether the folder exists.</summary>
    private bool AssessTargetLocation(Job job, long sourceBytes, List<AssessmentFinding> findings)
    {
        var target = job.Target;
        string database = job.Database;
        if (Path.GetDirectoryName(target.Path) is not { Length: > 0 } folder)
        {
            return true;
        }

        if (!Directory.Exists(folder))
        {
            findings.Add(_options.CreateTargetDirectory
                ? new AssessmentFinding(SqliteAssessmentRules.TargetDirectoryMissing, FindingSeverity.Information, $"The folder of the target file '{target.FileName}' of database '{database}' does not exist; the schema copy creates it.", target.FileName)
                : new AssessmentFinding(SqliteAssessmentRules.TargetDirectoryMissing, FindingSeverity.Blocking, $"The folder of the target file '{target.FileName}' of database '{database}' does not exist. Create it, or correct the target connection; the provider creates folders only when its CreateTargetDirectory option is set.", target.FileName));
            return false;
        }

        if (!CanCreateFileIn(folder, job.Redaction, out string reason))
        {
            findings.Add(new AssessmentFinding(SqliteAssessmentRules.TargetNotWritable, FindingSeverity.Blocking, $"The folder of the target file '{target.FileName}' of database '{database}' is not writable ({reason}); the copy creates the file and its journal there. Fix its permissions or choose another target.", target.FileName));
            return true;
        }

        long required = RequiredBytes(sourceBytes);
        if (sourceBytes > 0 && FreeBytes(folder) is { } free)
        {
            long reclaimed = target.Exists ? new FileInfo(target.Path).Length : 0; // the copy replaces an earlier attempt
            if (free + reclaimed < required)
            {
                findings.Add(new AssessmentFinding(SqliteAssessmentRules.TargetDiskSpace, FindingSeverity.Blocking, $"The file system of the target file '{target.FileName}' of database '{database}' has {Mebibytes(free + reclaimed)} MiB free; the copy needs about {Mebibytes(required)} MiB (the source's {Mebibytes(sourceBytes)} MiB plus 10% and 16 MiB). Free some space or choose another target.", target.FileName));
            }
        }

        return true;
    }

    /// <summary>The room a copy of <paramref name="sourceBytes"/> needs: the source's size plus 10% and 16 MiB for journals and rounding.</summary>
    private static long RequiredBytes(long sourceBytes) => sourceBytes + (sourceBytes / 10) + (16L << 20);

    private static long Mebibytes(long bytes) => (bytes + (1L << 20) - 1) >> 20;

    private long? FreeBytes(string folder)
    {
        try
        {
            return _options.FreeSpaceProbe is { } probe ? probe(folder) : new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // unknown: the copy itself reports a full disk
        }
    }

    /// <summary>Tells whether a file can be created in <paramref name="folder"/>, by creating (and at once deleting) one: permission bits do not tell, for root or on a read-only mount.</summary>
    private static bool CanCreateFileIn(string folder, Redaction redaction, out string reason)
    {
        string probe = Path.Combine(folder, $".dmig-probe-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }

            reason = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reason = SqliteErrors.OneLine(redaction.Apply(ex.Message, out _).Replace(Path.GetFileName(probe), "a test file", StringComparison.Ordinal));
            return false;
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
        job.Reading(source);
        using (var connection = source.Open(SqliteOpenMode.ReadOnly))
        {
            try
            {
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

        if (refuseBlocking && plan.BlockedVirtualTables.Count > 0)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': virtual tables that cannot move: {string.Join("; ", plan.BlockedVirtualTables.Select(b => $"'{b.Table.Name}': {b.Reason}"))}. Exclude them in the table filter.");
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

        private readonly TimeSpan _lockTimeout;

        public Job(MigrationEndpoints endpoints, TimeSpan lockTimeout, CancellationToken cancellationToken)
        {
            _lockTimeout = lockTimeout;
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

        public SqliteFile Source => _source ??= SqliteFile.Parse(Endpoints.SourceConnection, Database, "source", _lockTimeout);

        public SqliteFile Target => _target ??= SqliteFile.Parse(Endpoints.TargetConnection, Database, "target", _lockTimeout);

        /// <summary>Gets what the step is doing now, for naming the lock when another connection's lock stops it.</summary>
        public LockScope? Lock { get; private set; }

        /// <summary>Records that the step now reads <paramref name="file"/>.</summary>
        public void Reading(SqliteFile file) => Lock = new LockScope(file, ReferenceEquals(file, _target) ? "target" : "source", Write: false);

        /// <summary>Records that the step now writes <paramref name="file"/>.</summary>
        public void Writing(SqliteFile file) => Lock = new LockScope(file, ReferenceEquals(file, _target) ? "target" : "source", Write: true);
    }
}

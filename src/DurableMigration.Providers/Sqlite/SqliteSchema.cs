using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>A column of a table, as <c>PRAGMA table_xinfo</c> reports it.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Hidden">0 for an ordinary column; 2 or 3 for a generated column (computed, so never copied).</param>
/// <param name="PrimaryKeyOrdinal">Its position in the primary key, 0 when not part of it.</param>
internal sealed record SqliteColumn(string Name, int Hidden, int PrimaryKeyOrdinal);

/// <summary>An ordinary table of a SQLite schema.</summary>
/// <param name="Name">The table's name.</param>
/// <param name="Sql">Its CREATE TABLE statement, as stored in <c>sqlite_schema</c>.</param>
/// <param name="WithoutRowid">Whether it is a WITHOUT ROWID table.</param>
/// <param name="Columns">Its columns in declaration order.</param>
/// <param name="RowidName">A name that reaches its rowid (<c>rowid</c>, <c>_rowid_</c> or <c>oid</c>, whichever no column shadows); <c>null</c> when none does.</param>
/// <param name="HasRowidAlias">Whether a column is an alias of the rowid (an INTEGER PRIMARY KEY).</param>
/// <param name="References">The tables its foreign keys point at.</param>
/// <param name="HasIndexes">Whether it has any index, including those SQLite makes for UNIQUE and PRIMARY KEY constraints.</param>
internal sealed record SqliteTable(
    string Name,
    string Sql,
    bool WithoutRowid,
    IReadOnlyList<SqliteColumn> Columns,
    string? RowidName,
    bool HasRowidAlias,
    IReadOnlyList<string> References,
    bool HasIndexes)
{
    /// <summary>Gets a value indicating whether the table declares a primary key.</summary>
    public bool HasPrimaryKey => WithoutRowid || Columns.Any(c => c.PrimaryKeyOrdinal > 0);

    /// <summary>Gets the columns that hold stored values (not generated).</summary>
    public IReadOnlyList<SqliteColumn> StoredColumns => Columns.Where(c => c.Hidden == 0).ToList();

    /// <summary>Gets a value indicating whether the table has generated columns.</summary>
    public bool HasGeneratedColumns => Columns.Any(c => c.Hidden != 0);
}

/// <summary>How the content of a virtual table reaches the target.</summary>
internal enum VirtualTableKind
{
    /// <summary>FTS3/4/5 storing its own documents: re-created, then its rows inserted (the module indexes them).</summary>
    FullTextWithContent,

    /// <summary>FTS4/5 over a content table (<c>content=</c>): re-created after that table, then <c>INSERT INTO t(t) VALUES('rebuild')</c>.</summary>
    FullTextExternalContent,

    /// <summary>FTS4/5 without stored documents (<c>content=''</c>): nothing to re-insert, so its shadow tables are copied as they are.</summary>
    FullTextContentless,

    /// <summary>R*Tree and Geopoly: re-created, then its rows inserted.</summary>
    Rows,

    /// <summary>Read-only views over another virtual table (fts4aux, fts5vocab, fts3tokenize): re-created, no rows of its own.</summary>
    Derived,

    /// <summary>A module this provider has no strategy for.</summary>
    Unknown,
}

/// <summary>A virtual table of a SQLite schema.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Sql">Its CREATE VIRTUAL TABLE statement.</param>
/// <param name="Module">The module name, lower case (<c>fts5</c>, <c>rtree</c>, ...).</param>
/// <param name="Kind">How its content moves.</param>
/// <param name="ContentTable">The content table of an external-content FTS table.</param>
/// <param name="Columns">Its declared (not hidden) columns; empty when its module is missing.</param>
/// <param name="ShadowTables">The shadow tables its module keeps (<c>name_data</c>, <c>name_node</c>, ...).</param>
internal sealed record SqliteVirtualTable(string Name, string Sql, string Module, VirtualTableKind Kind, string? ContentTable, IReadOnlyList<string> Columns, IReadOnlyList<string> ShadowTables)
{
    /// <summary>Gets a value indicating whether it holds rows to copy and compare (everything but derived and unknown modules).</summary>
    public bool HasContent => Kind is not (VirtualTableKind.Derived or VirtualTableKind.Unknown);

    /// <summary>
    /// Gets the shadow table its module writes once per row changed, and only then (<c>_docsize</c> or <c>_content</c>
    /// of FTS, <c>_rowid</c> of R*Tree and Geopoly): where change capture watches the virtual table, or <c>null</c>.
    /// </summary>
    /// <remarks>
    /// Never a shadow table the module writes while flushing its buffered terms (FTS <c>_data</c>, <c>_idx</c>,
    /// <c>_segments</c>, <c>_segdir</c>): a trigger there opens a statement savepoint, which makes the module flush
    /// again, which fires the trigger again, until the stack overflows.
    /// </remarks>
    public string? ChangeShadow => HasContent
        ? new[] { "_docsize", "_content", "_rowid" }.Select(suffix => Name + suffix).FirstOrDefault(n => ShadowTables.Contains(n, StringComparer.OrdinalIgnoreCase))
        : null;

    /// <summary>Gets the statement that reads its content for validation: the rowid and every declared column.</summary>
    public string ContentSelect(string schema) =>
        $"SELECT rowid{string.Concat(Columns.Select(c => ", " + Providers.Sqlite.Sql.Quote(c)))} FROM {Providers.Sqlite.Sql.Quote(schema)}.{Providers.Sqlite.Sql.Quote(Name)}";
}

/// <summary>An index, view or trigger of a SQLite schema.</summary>
/// <param name="Type"><c>index</c>, <c>view</c> or <c>trigger</c>.</param>
/// <param name="Name">Its name.</param>
/// <param name="Table">The table (or view) it belongs to; a view's own name.</param>
/// <param name="Sql">Its CREATE statement.</param>
internal sealed record SqliteObject(string Type, string Name, string Table, string Sql);

/// <summary>What one schema of a connection (<c>main</c>, or an attached one) holds, as far as migration cares.</summary>
internal sealed class SqliteSchema
{
    /// <summary>The table that marks a target written by this provider.</summary>
    public const string MarkerTable = "_dmig_migration";

    /// <summary>The table of a source's change capture: which rows changed since the data copy began.</summary>
    public const string ChangesTable = "_dmig_changes";

    /// <summary>The name prefix of the change-capture triggers of a source.</summary>
    public const string CaptureTriggerPrefix = "dmig_capture_";

    /// <summary>The table of a target's change capture: which rows changed since cutover (<see cref="TargetCapture"/>).</summary>
    public const string TargetChangesTable = "_dmig_target_changes";

    /// <summary>The table of a target's baseline: its schema fingerprint, row counts and copy-back progress.</summary>
    public const string TargetBaselineTable = "_dmig_target_baseline";

    /// <summary>The name prefix of the change-capture triggers of a target.</summary>
    public const string TargetCaptureTriggerPrefix = "dmig_target_capture_";

    /// <summary>The name prefix of the triggers that make a source read-only.</summary>
    public const string ReadOnlyTriggerPrefix = "dmig_readonly_";

    private static readonly string[] RowidNames = ["rowid", "_rowid_", "oid"];

    /// <summary>Gets the ordinary user tables in creation order (no <c>sqlite_</c> tables, no marker table).</summary>
    public required IReadOnlyList<SqliteTable> Tables { get; init; }

    /// <summary>Gets the virtual tables in creation order.</summary>
    public required IReadOnlyList<SqliteVirtualTable> VirtualTables { get; init; }

    /// <summary>Gets the views in creation order.</summary>
    public required IReadOnlyList<SqliteObject> Views { get; init; }

    /// <summary>Gets the explicitly created indexes (not those SQLite makes for UNIQUE and PRIMARY KEY constraints).</summary>
    public required IReadOnlyList<SqliteObject> Indexes { get; init; }

    /// <summary>Gets the triggers, without this provider's read-only triggers.</summary>
    public required IReadOnlyList<SqliteObject> Triggers { get; init; }

    /// <summary>Gets the names of this provider's read-only triggers.</summary>
    public required IReadOnlyList<string> ReadOnlyTriggers { get; init; }

    /// <summary>Gets the names of this provider's change-capture triggers (a source's and a target's).</summary>
    public required IReadOnlyList<string> CaptureTriggers { get; init; }

    /// <summary>Gets a value indicating whether the schema holds the change-capture table.</summary>
    public required bool HasChangesTable { get; init; }

    /// <summary>Gets a value indicating whether the schema holds the marker table.</summary>
    public required bool HasMarker { get; init; }

    /// <summary>Gets a value indicating whether the schema holds <c>sqlite_sequence</c> (AUTOINCREMENT counters).</summary>
    public required bool HasSequences { get; init; }

    /// <summary>Gets a value indicating whether the schema holds <c>sqlite_stat1</c> (ANALYZE statistics).</summary>
    public required bool HasStatistics { get; init; }

    /// <summary>Gets the page count.</summary>
    public required long PageCount { get; init; }

    /// <summary>Gets the page size in bytes.</summary>
    public required long PageSize { get; init; }

    /// <summary>Gets the auto-vacuum mode (0 none, 1 full, 2 incremental).</summary>
    public required long AutoVacuum { get; init; }

    /// <summary>Gets the user version (applications keep their schema version here).</summary>
    public required long UserVersion { get; init; }

    /// <summary>Gets the application id.</summary>
    public required long ApplicationId { get; init; }

    /// <summary>Gets the journal mode (<c>wal</c>, <c>delete</c>, ...).</summary>
    public required string JournalMode { get; init; }

    /// <summary>Gets the text encoding (<c>UTF-8</c>, <c>UTF-16le</c>, <c>UTF-16be</c>).</summary>
    public required string Encoding { get; init; }

    /// <summary>Gets the size in bytes: page count times page size.</summary>
    public long SizeBytes => PageCount * PageSize;

    /// <summary>Gets a value indicating whether the schema holds any user object at all.</summary>
    public bool HasUserObjects => Tables.Count + VirtualTables.Count + Views.Count + Indexes.Count + Triggers.Count + ReadOnlyTriggers.Count > 0 || HasMarker;

    /// <summary>Reads schema <paramref name="schema"/> of <paramref name="connection"/>.</summary>
    public static SqliteSchema Read(SqliteConnection connection, string schema)
    {
        string s = Sql.Quote(schema);
        var entries = Sql.Query(
            connection,
            $"SELECT type, name, tbl_name, sql FROM {s}.sqlite_schema ORDER BY rowid",
            r => (Type: r.GetString(0), Name: r.GetString(1), Table: r.GetString(2), Sql: r.NullableString(3)));

        // table_list tells virtual tables and their shadow tables apart from ordinary ones; sqlite_schema cannot.
        var kinds = Sql.Query(
            connection,
            "SELECT name, type, wr FROM pragma_table_list WHERE schema = $schema",
            r => (Name: r.GetString(0), Type: r.GetString(1), WithoutRowid: r.GetInt64(2) != 0),
            ("$schema", schema)).ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);

        var tables = new List<SqliteTable>();
        var virtualTables = new List<SqliteVirtualTable>();
        var shadows = kinds.Values.Where(k => k.Type == "shadow").Select(k => k.Name).ToList();
        foreach (var entry in entries.Where(e => e.Type == "table" && !IsInternal(e.Name)))
        {
            string kind = kinds.TryGetValue(entry.Name, out var k) ? k.Type : "table";
            if (kind == "virtual")
            {
                virtualTables.Add(ReadVirtualTable(connection, schema, entry.Name, entry.Sql ?? string.Empty, shadows));
            }
            else if (kind == "table" && !IsOwnTable(entry.Name))
            {
                tables.Add(ReadTable(connection, schema, entry.Name, entry.Sql ?? string.Empty, k.WithoutRowid));
            }
        }

        var triggers = entries.Where(e => e.Type == "trigger" && e.Sql is not null).ToList();
        return new SqliteSchema
        {
            Tables = tables,
            VirtualTables = virtualTables,
            Views = entries.Where(e => e.Type == "view" && e.Sql is not null).Select(e => new SqliteObject("view", e.Name, e.Table, e.Sql!)).ToList(),
            Indexes = entries.Where(e => e.Type == "index" && e.Sql is not null).Select(e => new SqliteObject("index", e.Name, e.Table, e.Sql!)).ToList(),
            Triggers = triggers.Where(e => !IsReadOnlyTrigger(e.Name) && !IsCaptureTrigger(e.Name)).Select(e => new SqliteObject("trigger", e.Name, e.Table, e.Sql!)).ToList(),
            ReadOnlyTriggers = triggers.Where(e => IsReadOnlyTrigger(e.Name)).Select(e => e.Name).ToList(),
            CaptureTriggers = triggers.Where(e => IsCaptureTrigger(e.Name)).Select(e => e.Name).ToList(),
            HasChangesTable = entries.Any(e => e.Type == "table" && string.Equals(e.Name, ChangesTable, StringComparison.OrdinalIgnoreCase)),
            HasMarker = entries.Any(e => e.Type == "table" && string.Equals(e.Name, MarkerTable, StringComparison.OrdinalIgnoreCase)),
            HasSequences = entries.Any(e => e.Type == "table" && e.Name == "sqlite_sequence"),
            HasStatistics = entries.Any(e => e.Type == "table" && e.Name == "sqlite_stat1"),
            PageCount = Sql.Int64(connection, $"PRAGMA {s}.page_count"),
            PageSize = Sql.Int64(connection, $"PRAGMA {s}.page_size"),
            AutoVacuum = Sql.Int64(connection, $"PRAGMA {s}.auto_vacuum"),
            UserVersion = Sql.Int64(connection, $"PRAGMA {s}.user_version"),
            ApplicationId = Sql.Int64(connection, $"PRAGMA {s}.application_id"),
            JournalMode = Sql.Scalar(connection, $"PRAGMA {s}.journal_mode") as string ?? "delete",
            Encoding = Sql.Scalar(connection, "PRAGMA encoding") as string ?? "UTF-8",
        };
    }

    /// <summary>Tells whether a table is SQLite's own (<c>sqlite_schema</c>, <c>sqlite_sequence</c>, <c>sqlite_stat1</c>, ...).</summary>
    public static bool IsInternal(string name) => name.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase);

    /// <summary>Tells whether a trigger is one of this provider's read-only triggers.</summary>
    public static bool IsReadOnlyTrigger(string name) => name.StartsWith(ReadOnlyTriggerPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Tells whether a trigger is one of this provider's change-capture triggers.</summary>
    public static bool IsCaptureTrigger(string name) =>
        name.StartsWith(CaptureTriggerPrefix, StringComparison.OrdinalIgnoreCase) || name.StartsWith(TargetCaptureTriggerPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Tells whether a table is this provider's own: the marker table and the baseline and change-capture tables of a target, the change-capture table of a source.</summary>
    public static bool IsOwnTable(string name) =>
        string.Equals(name, MarkerTable, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, ChangesTable, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, TargetChangesTable, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, TargetBaselineTable, StringComparison.OrdinalIgnoreCase);

    private static SqliteVirtualTable ReadVirtualTable(SqliteConnection connection, string schema, string name, string sql, List<string> shadows)
    {
        var (module, arguments) = VirtualTableSql.Parse(sql);
        string? content = null;
        VirtualTableKind kind;
        switch (module)
        {
            case "fts3" or "fts4" or "fts5":
                content = arguments.Select(VirtualTableSql.ContentOption).LastOrDefault(c => c is not null);
                kind = content is null ? VirtualTableKind.FullTextWithContent : content.Length == 0 ? VirtualTableKind.FullTextContentless : VirtualTableKind.FullTextExternalContent;
                content = string.IsNullOrEmpty(content) ? null : content;
                break;
            case "rtree" or "rtree_i32" or "geopoly":
                kind = VirtualTableKind.Rows;
                break;
            case "fts3tokenize" or "fts4aux" or "fts5vocab":
                kind = VirtualTableKind.Derived;
                break;
            default:
                kind = VirtualTableKind.Unknown;
                break;
        }

        List<string> columns;
        try
        {
            columns = Sql.Query(connection, "SELECT name FROM pragma_table_xinfo($table, $schema) WHERE hidden = 0 ORDER BY cid", r => r.GetString(0), ("$table", name), ("$schema", schema));
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteErrors.Error)
        {
            columns = []; // the module is missing here: assessment says so
        }

        // A shadow table is named after its virtual table and a suffix; with overlapping names the longest owner wins.
        var own = shadows.Where(s => s.StartsWith(name + "_", StringComparison.OrdinalIgnoreCase)).ToList();
        return new SqliteVirtualTable(name, sql, module, kind, content, columns, own);
    }

    private static SqliteTable ReadTable(SqliteConnection connection, string schema, string name, string sql, bool withoutRowid)
    {
        var columns = Sql.Query(
            connection,
            "SELECT name, hidden, pk FROM pragma_table_xinfo($table, $schema) ORDER BY cid",
            r => new SqliteColumn(r.GetString(0), r.GetInt32(1), r.GetInt32(2)),
            ("$table", name),
            ("$schema", schema));
        var references = Sql.Query(
            connection,
            "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($table, $schema)",
            r => r.GetString(0),
            ("$table", name),
            ("$schema", schema));

        bool hasIndexes = Sql.Int64(connection, "SELECT count(*) FROM pragma_index_list($table, $schema)", ("$table", name), ("$schema", schema)) > 0;
        string? rowidName = null;
        bool hasAlias = false;
        if (!withoutRowid)
        {
            rowidName = RowidNames.FirstOrDefault(n => !columns.Any(c => string.Equals(c.Name, n, StringComparison.OrdinalIgnoreCase)));
            if (rowidName is not null)
            {
                // SQLite names a selected rowid after the INTEGER PRIMARY KEY column that aliases it, if there is one:
                // more reliable than re-deriving SQLite's alias rules (INTEGER spelled exactly, the DESC quirk, ...).
                using var command = Sql.Command(connection, $"SELECT {rowidName} FROM {Sql.Quote(schema)}.{Sql.Quote(name)} LIMIT 0");
                using var reader = command.ExecuteReader();
                string shown = reader.GetName(0);
                hasAlias = columns.Any(c => string.Equals(c.Name, shown, StringComparison.OrdinalIgnoreCase));
            }
        }

        return new SqliteTable(name, sql, withoutRowid, columns, rowidName, hasAlias, references, hasIndexes);
    }
}

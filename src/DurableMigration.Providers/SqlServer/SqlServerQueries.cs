using System.Text;

namespace DurableMigration.Providers.SqlServer;

/// <summary>
/// Every SQL text the SQL Server pieces run, each under a stable name: fixed catalog queries as properties, statements that
/// name a table or database built by the (internal) templates below. Recorded result sets are stored under these names,
/// and <c>tests/DurableMigration.Providers.Tests/SqlServer/queries.golden.sql</c> holds every text for review.
/// </summary>
/// <remarks>
/// The catalog queries need SQL Server 2016 (13.x) or later (<c>sys.tables.is_memory_optimized</c>, <c>HASHBYTES</c> over
/// more than 8000 bytes, <c>CONVERT</c> style 1 of binary). Values always go in as parameters; identifiers that cannot
/// (a table in <c>FROM</c>, a database in <c>ALTER DATABASE</c>) are quoted by <see cref="SqlServerIdentifier.Quote(string)"/>.
/// </remarks>
public static class SqlServerQueries
{
    /// <summary>Gets the server's version and edition and the current database's compatibility level, Service Broker flag, state and collation.</summary>
    public static SqlServerQuery ServerProperties { get; } = new(
        "server.properties",
        "The server's version and edition and the current database's settings.",
        """
        SELECT
            CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) AS product_version,
            CONVERT(nvarchar(128), SERVERPROPERTY('Edition')) AS edition,
            CONVERT(int, SERVERPROPERTY('EngineEdition')) AS engine_edition,
            d.name AS database_name,
            d.compatibility_level,
            d.is_broker_enabled,
            d.is_read_only,
            d.state_desc,
            d.collation_name
        FROM sys.databases AS d
        WHERE d.database_id = DB_ID();
        """);

    /// <summary>Gets whether the login is a sysadmin and holds the server permissions the catalog rules need to see every row.</summary>
    public static SqlServerQuery ServerPermissions { get; } = new(
        "server.permissions",
        "Whether the login is sysadmin and has VIEW SERVER STATE and VIEW ANY DEFINITION (catalog views hide rows otherwise).",
        """
        SELECT
            CONVERT(bit, ISNULL(IS_SRVROLEMEMBER('sysadmin'), 0)) AS is_sysadmin,
            CONVERT(bit, ISNULL(HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE'), 0)) AS view_server_state,
            CONVERT(bit, ISNULL(HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DEFINITION'), 0)) AS view_any_definition;
        """);

    /// <summary>Gets the current database's data files (allocated and used) and log size, in bytes.</summary>
    public static SqlServerQuery DatabaseSize { get; } = new(
        "database.size",
        "Data allocated and used, and log allocated, in bytes (8 KiB pages).",
        """
        SELECT
            SUM(CASE WHEN f.type = 0 THEN CONVERT(bigint, f.size) ELSE 0 END) * 8192 AS data_allocated_bytes,
            SUM(CASE WHEN f.type = 0 THEN CONVERT(bigint, FILEPROPERTY(f.name, 'SpaceUsed')) ELSE 0 END) * 8192 AS data_used_bytes,
            SUM(CASE WHEN f.type = 1 THEN CONVERT(bigint, f.size) ELSE 0 END) * 8192 AS log_allocated_bytes
        FROM sys.database_files AS f;
        """);

    /// <summary>Gets the user tables with their row counts (from <c>sys.partitions</c>) and whether each has a primary key.</summary>
    public static SqlServerQuery Tables { get; } = new(
        "database.tables",
        "User tables with row counts (sys.partitions) and primary key presence.",
        """
        SELECT
            s.name AS schema_name,
            t.name AS table_name,
            ISNULL((SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1)), 0) AS row_count,
            CONVERT(bit, CASE WHEN EXISTS (SELECT 1 FROM sys.key_constraints AS k WHERE k.parent_object_id = t.object_id AND k.type = 'PK') THEN 1 ELSE 0 END) AS has_primary_key
        FROM sys.tables AS t
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        WHERE t.is_ms_shipped = 0
        ORDER BY s.name, t.name;
        """);

    /// <summary>Gets modules that reference objects in another database (three- or four-part names).</summary>
    public static SqlServerQuery CrossDatabaseReferences { get; } = new(
        "assessment.cross-database-references",
        "Modules referencing another database (sys.sql_expression_dependencies).",
        """
        SELECT DISTINCT
            OBJECT_SCHEMA_NAME(d.referencing_id) + N'.' + OBJECT_NAME(d.referencing_id) AS object_name,
            d.referenced_server_name,
            d.referenced_database_name
        FROM sys.sql_expression_dependencies AS d
        WHERE d.referencing_class = 1
          AND d.referenced_database_name IS NOT NULL
          AND d.referenced_database_name <> DB_NAME()
        ORDER BY object_name, d.referenced_database_name;
        """);

    /// <summary>Gets the user-defined CLR assemblies.</summary>
    public static SqlServerQuery ClrAssemblies { get; } = new(
        "assessment.clr-assemblies",
        "User-defined CLR assemblies (sys.assemblies).",
        """
        SELECT a.name AS assembly_name, a.permission_set_desc
        FROM sys.assemblies AS a
        WHERE a.is_user_defined = 1
        ORDER BY a.name;
        """);

    /// <summary>Gets the SQL Agent job steps that run in the current database or name it in their command.</summary>
    public static SqlServerQuery AgentJobs { get; } = new(
        "assessment.agent-jobs",
        "SQL Agent job steps that run in or name the current database (msdb.dbo.sysjobs, sysjobsteps).",
        """
        SELECT j.name AS job_name, s.step_id, s.step_name, s.subsystem, CONVERT(bit, j.enabled) AS enabled
        FROM msdb.dbo.sysjobs AS j
        JOIN msdb.dbo.sysjobsteps AS s ON s.job_id = j.job_id
        WHERE s.database_name = DB_NAME() OR CHARINDEX(DB_NAME(), s.command) > 0
        ORDER BY j.name, s.step_id;
        """);

    /// <summary>Gets the linked servers defined on the instance.</summary>
    public static SqlServerQuery LinkedServers { get; } = new(
        "assessment.linked-servers",
        "Linked servers of the instance (sys.servers).",
        """
        SELECT s.name AS linked_server, s.product, s.provider
        FROM sys.servers AS s
        WHERE s.is_linked = 1
        ORDER BY s.name;
        """);

    /// <summary>Gets the modules that send mail through Database Mail, and the instance's Database Mail profiles.</summary>
    public static SqlServerQuery DatabaseMail { get; } = new(
        "assessment.database-mail",
        "Modules calling sp_send_dbmail, and Database Mail profiles (msdb.dbo.sysmail_profile).",
        """
        SELECT N'module' AS kind, OBJECT_SCHEMA_NAME(m.object_id) + N'.' + OBJECT_NAME(m.object_id) AS object_name
        FROM sys.sql_modules AS m
        WHERE m.definition LIKE N'%sp[_]send[_]dbmail%'
        UNION ALL
        SELECT N'profile', p.name
        FROM msdb.dbo.sysmail_profile AS p
        ORDER BY kind, object_name;
        """);

    /// <summary>Gets FILESTREAM filegroups, FileTables and FILESTREAM columns.</summary>
    public static SqlServerQuery Filestream { get; } = new(
        "assessment.filestream",
        "FILESTREAM filegroups, FileTables and FILESTREAM columns.",
        """
        SELECT N'filegroup' AS kind, fg.name AS object_name
        FROM sys.filegroups AS fg
        WHERE fg.type = 'FD'
        UNION ALL
        SELECT N'filetable', s.name + N'.' + t.name
        FROM sys.tables AS t
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        WHERE t.is_filetable = 1
        UNION ALL
        SELECT N'column', s.name + N'.' + t.name + N'.' + c.name
        FROM sys.columns AS c
        JOIN sys.tables AS t ON t.object_id = c.object_id
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        WHERE c.is_filestream = 1
        ORDER BY kind, object_name;
        """);

    /// <summary>Gets the user Service Broker queues and services of the current database.</summary>
    public static SqlServerQuery ServiceBroker { get; } = new(
        "assessment.service-broker",
        "User Service Broker queues and services.",
        """
        SELECT N'queue' AS kind, SCHEMA_NAME(q.schema_id) + N'.' + q.name AS object_name
        FROM sys.service_queues AS q
        WHERE q.is_ms_shipped = 0
        UNION ALL
        SELECT N'service', v.name
        FROM sys.services AS v
        WHERE v.name NOT LIKE N'http://schemas.microsoft.com/SQL/%'
        ORDER BY kind, object_name;
        """);

    /// <summary>Gets the user server-level (DDL and logon) triggers.</summary>
    public static SqlServerQuery ServerTriggers { get; } = new(
        "assessment.server-triggers",
        "User server-scoped triggers (sys.server_triggers).",
        """
        SELECT t.name AS trigger_name, t.is_disabled
        FROM sys.server_triggers AS t
        WHERE t.is_ms_shipped = 0
        ORDER BY t.name;
        """);

    /// <summary>Gets the globally enabled trace flags (columns <c>TraceFlag</c>, <c>Status</c>, <c>Global</c>, <c>Session</c>).</summary>
    public static SqlServerQuery TraceFlags { get; } = new(
        "assessment.trace-flags",
        "Globally enabled trace flags.",
        """
        DBCC TRACESTATUS(-1) WITH NO_INFOMSGS;
        """);

    /// <summary>Gets columns, tables, modules and principals using data types or features some targets lack, one row per (feature, object).</summary>
    public static SqlServerQuery UnsupportedFeatures { get; } = new(
        "assessment.unsupported-features",
        "Deprecated and CLR data types, memory-optimized tables, modules using xp_cmdshell, OPENROWSET, OPENDATASOURCE, BULK INSERT, distributed transactions or external scripts, Windows principals.",
        """
        SELECT N'deprecated-type' AS feature, s.name + N'.' + t.name + N'.' + c.name AS object_name, ty.name AS detail
        FROM sys.columns AS c
        JOIN sys.tables AS t ON t.object_id = c.object_id
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id
        WHERE t.is_ms_shipped = 0 AND ty.name IN (N'text', N'ntext', N'image')
        UNION ALL
        SELECT N'clr-type', s.name + N'.' + t.name + N'.' + c.name, ty.name
        FROM sys.columns AS c
        JOIN sys.tables AS t ON t.object_id = c.object_id
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id
        WHERE t.is_ms_shipped = 0 AND ty.is_assembly_type = 1 AND ty.is_user_defined = 1
        UNION ALL
        SELECT N'memory-optimized', s.name + N'.' + t.name, NULL
        FROM sys.tables AS t
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        WHERE t.is_memory_optimized = 1
        UNION ALL
        SELECT f.feature, OBJECT_SCHEMA_NAME(m.object_id) + N'.' + OBJECT_NAME(m.object_id), NULL
        FROM sys.sql_modules AS m
        CROSS APPLY (VALUES
            (N'xp_cmdshell', N'%xp[_]cmdshell%'),
            (N'openrowset', N'%OPENROWSET%'),
            (N'opendatasource', N'%OPENDATASOURCE%'),
            (N'bulk-insert', N'%BULK INSERT%'),
            (N'distributed-transaction', N'%BEGIN DISTRIBUTED TRAN%'),
            (N'external-script', N'%sp[_]execute[_]external[_]script%')) AS f (feature, pattern)
        WHERE m.definition LIKE f.pattern
        UNION ALL
        SELECT N'windows-principal', p.name, p.type_desc
        FROM sys.database_principals AS p
        WHERE p.type IN ('U', 'G') AND p.name <> N'dbo'
        ORDER BY feature, object_name;
        """);

    /// <summary>Gets every user object validation compares by name: tables, views, procedures, functions, triggers and indexes (system-named key constraints by kind, since their names differ per server).</summary>
    public static SqlServerQuery Inventory { get; } = new(
        "validation.inventory",
        "User tables, views, procedures, functions, triggers and indexes as (kind, name, owning table).",
        """
        SELECT
            CASE o.type
                WHEN 'U' THEN N'table' WHEN 'V' THEN N'view'
                WHEN 'P' THEN N'procedure' WHEN 'PC' THEN N'procedure'
                WHEN 'TR' THEN N'trigger' WHEN 'TA' THEN N'trigger'
                ELSE N'function' END AS kind,
            SCHEMA_NAME(o.schema_id) + N'.' + o.name AS object_name,
            CASE WHEN o.parent_object_id <> 0 THEN OBJECT_SCHEMA_NAME(o.parent_object_id) + N'.' + OBJECT_NAME(o.parent_object_id) END AS table_name
        FROM sys.objects AS o
        WHERE o.is_ms_shipped = 0 AND o.type IN ('U', 'V', 'P', 'PC', 'FN', 'IF', 'TF', 'FS', 'FT', 'TR', 'TA')
        UNION ALL
        SELECT
            N'index',
            CASE WHEN k.is_system_named = 1 THEN LOWER(REPLACE(k.type_desc, N'_CONSTRAINT', N'')) + N' (system-named)' ELSE i.name END
                + N' on ' + s.name + N'.' + t.name,
            s.name + N'.' + t.name
        FROM sys.indexes AS i
        JOIN sys.tables AS t ON t.object_id = i.object_id
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        LEFT JOIN sys.key_constraints AS k ON k.parent_object_id = i.object_id AND k.unique_index_id = i.index_id
        WHERE t.is_ms_shipped = 0 AND i.type > 0 AND i.is_hypothetical = 0
        ORDER BY kind, object_name;
        """);

    /// <summary>Gets every column of every user table, in column order, with its base type, primary key position and whether it is computed.</summary>
    public static SqlServerQuery Columns { get; } = new(
        "validation.columns",
        "Columns of user tables with base type, primary key ordinal and computed flag.",
        """
        SELECT
            s.name AS schema_name,
            t.name AS table_name,
            c.name AS column_name,
            CASE WHEN ty.is_assembly_type = 1 THEN N'clr' ELSE TYPE_NAME(c.system_type_id) END AS base_type,
            ISNULL(ic.key_ordinal, 0) AS key_ordinal,
            c.is_computed
        FROM sys.tables AS t
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        JOIN sys.columns AS c ON c.object_id = t.object_id
        JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id
        LEFT JOIN sys.key_constraints AS k ON k.parent_object_id = t.object_id AND k.type = 'PK'
        LEFT JOIN sys.index_columns AS ic ON ic.object_id = t.object_id AND ic.index_id = k.unique_index_id AND ic.column_id = c.column_id
        WHERE t.is_ms_shipped = 0
        ORDER BY s.name, t.name, c.column_id;
        """);

    /// <summary>Gets the target's user tables and whether each holds rows (from <c>sys.partitions</c>).</summary>
    public static SqlServerQuery TargetTables { get; } = new(
        "cutover.target-tables",
        "The target's user tables and whether each holds rows (sys.partitions).",
        """
        SELECT
            s.name AS schema_name,
            t.name AS table_name,
            CONVERT(bit, CASE WHEN EXISTS (SELECT 1 FROM sys.partitions AS p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1) AND p.rows > 0) THEN 1 ELSE 0 END) AS has_rows
        FROM sys.tables AS t
        JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        WHERE t.is_ms_shipped = 0
        ORDER BY s.name, t.name;
        """);

    /// <summary>Gets every fixed query, in the golden file's order.</summary>
    public static IReadOnlyList<SqlServerQuery> All { get; } =
    [
        ServerProperties, ServerPermissions, DatabaseSize, Tables,
        CrossDatabaseReferences, ClrAssemblies, AgentJobs, LinkedServers, DatabaseMail, Filestream, ServiceBroker, ServerTriggers, TraceFlags, UnsupportedFeatures,
        Inventory, Columns, TargetTables,
    ];

    /// <summary>Name of the per-table row count and checksum statement.</summary>
    public const string TableChecksumName = "validation.table-checksum";

    /// <summary>Name of the per-table row count statement (checksums off).</summary>
    public const string TableCountName = "validation.table-count";

    /// <summary>Name of the per-key-range row count and checksum statement.</summary>
    public const string KeyRangeChecksumsName = "validation.key-range-checksums";

    /// <summary>Name of the statement that makes the source read-only.</summary>
    public const string SourceReadOnlyName = "cutover.source-read-only";

    /// <summary>Name of the statement that makes the source writable again.</summary>
    public const string SourceWritableName = "cutover.source-writable";

    /// <summary>Name of the statement that empties the tables a migration copied into a target.</summary>
    public const string EmptyTablesName = "compensation.empty-tables";

    /// <summary>Name of the statement that drops a target database.</summary>
    public const string DropDatabaseName = "compensation.drop-database";

    /// <summary>
    /// Row count and checksum of one table (parameter <c>@table</c>: its display name, echoed back).
    /// </summary>
    /// <remarks>
    /// Each row's canonical text (<see cref="RowText"/>) is hashed with <c>HASHBYTES('SHA2_256', ...)</c>, and the 32-byte
    /// hashes are added up as four sums of their 8-byte parts (each read as a signed bigint and summed as
    /// <c>decimal(38, 0)</c>, which cannot overflow below 2^64 rows). Addition does not care about order, so the result
    /// is the same however each server reads the rows, and it is computed inside the database: only one row per table
    /// travels. Why not <c>CHECKSUM_AGG(BINARY_CHECKSUM(*))</c>: that is a 32-bit XOR of a weak 32-bit hash, so two equal
    /// changes cancel out, duplicated row pairs vanish, and some value changes (case, trailing blanks under some
    /// collations) do not change <c>BINARY_CHECKSUM</c> at all. With SHA-256 and a 256-bit sum, a changed, missing or
    /// duplicated row goes unnoticed only with probability about 2^-64 per part.
    /// </remarks>
    internal static SqlServerQuery TableChecksum(SqlServerTableShape table) => new(
        TableChecksumName,
        "Row count and order-independent SHA-256 checksum of one table.",
        $"""
        SELECT @table AS table_name, COUNT_BIG(*) AS row_count, {ChecksumAggregate("h.row_hash")} AS row_checksum
        FROM {table.Quoted} AS x
        CROSS APPLY (SELECT HASHBYTES('SHA2_256', {RowText(table)}) AS row_hash) AS h;
        """);

    /// <summary>Row count of one table (parameter <c>@table</c>, echoed back).</summary>
    internal static SqlServerQuery TableCount(SqlServerTableShape table) => new(
        TableCountName,
        "Row count of one table.",
        $"""
        SELECT @table AS table_name, COUNT_BIG(*) AS row_count, CONVERT(nvarchar(200), NULL) AS row_checksum
        FROM {table.Quoted} AS x;
        """);

    /// <summary>
    /// Row counts and checksums of a table's rows split by primary key order into ranges of <c>@bucket_rows</c> rows,
    /// each with its first and last key as text (parameter <c>@table</c>, echoed back). Run on both sides with the same
    /// <c>@bucket_rows</c>: the first range that differs holds the first differing key.
    /// </summary>
    internal static SqlServerQuery KeyRangeChecksums(SqlServerTableShape table)
    {
        var key = table.Key;
        string order = string.Join(", ", key.Select(c => "x." + SqlServerIdentifier.Quote(c.Name)));
        string keyText = key.Count == 1
            ? Canonical(key[0])
            : "N'(' + " + string.Join(" + N', ' + ", key.Select(c => $"ISNULL({Canonical(c)}, N'NULL')")) + " + N')'";
        return new(
            KeyRangeChecksumsName,
            "Row counts, checksums and first/last keys of a table's rows in primary key ranges of @bucket_rows rows.",
            $"""
            WITH numbered AS (
                SELECT ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS rn, {keyText} AS key_text, HASHBYTES('SHA2_256', {RowText(table)}) AS row_hash
                FROM {table.Quoted} AS x
            ), bucketed AS (
                SELECT rn / @bucket_rows AS bucket, rn, MAX(rn) OVER (PARTITION BY rn / @bucket_rows) AS last_rn, key_text, row_hash
                FROM numbered
            )
            SELECT @table AS table_name, bucket, COUNT_BIG(*) AS row_count, {ChecksumAggregate("row_hash")} AS row_checksum,
                MAX(CASE WHEN rn % @bucket_rows = 0 THEN key_text END) AS first_key,
                MAX(CASE WHEN rn = last_rn THEN key_text END) AS last_key
            FROM bucketed
            GROUP BY bucket
            ORDER BY bucket;
            """);
    }

    /// <summary>Makes database <paramref name="databaseName"/> read-only, rolling back other sessions' open transactions; nothing when it already is (parameter <c>@database</c>: the same name).</summary>
    internal static SqlServerQuery SourceReadOnly(string databaseName) => new(
        SourceReadOnlyName,
        "Make the source database read-only (rolls back open transactions); idempotent.",
        $"""
        IF DATABASEPROPERTYEX(@database, 'Updateability') = 'READ_WRITE'
            ALTER DATABASE {SqlServerIdentifier.Quote(databaseName)} SET READ_ONLY WITH ROLLBACK IMMEDIATE;
        """);

    /// <summary>Makes database <paramref name="databaseName"/> writable again; nothing when it already is (parameter <c>@database</c>: the same name).</summary>
    internal static SqlServerQuery SourceWritable(string databaseName) => new(
        SourceWritableName,
        "Make the source database writable again; idempotent.",
        $"""
        IF DATABASEPROPERTYEX(@database, 'Updateability') = 'READ_ONLY'
            ALTER DATABASE {SqlServerIdentifier.Quote(databaseName)} SET READ_WRITE WITH ROLLBACK IMMEDIATE;
        """);

    /// <summary>
    /// Deletes every row of <paramref name="tables"/> in one transaction: their foreign keys are switched off for the
    /// delete and back on (checked) after, so the order does not matter; a table outside the list that still references
    /// one of them makes the delete fail (error 547) and the transaction roll back, so nothing is left dangling.
    /// </summary>
    internal static SqlServerQuery EmptyTables(IReadOnlyList<(string Schema, string Name)> tables)
    {
        var text = new StringBuilder();
        text.AppendLine("SET XACT_ABORT ON;");
        text.AppendLine("BEGIN TRANSACTION;");
        foreach (var (schema, name) in tables)
        {
            text.AppendLine($"ALTER TABLE {SqlServerIdentifier.Quote(schema, name)} NOCHECK CONSTRAINT ALL;");
        }

        foreach (var (schema, name) in tables)
        {
            text.AppendLine($"DELETE FROM {SqlServerIdentifier.Quote(schema, name)};");
        }

        foreach (var (schema, name) in tables)
        {
            text.AppendLine($"ALTER TABLE {SqlServerIdentifier.Quote(schema, name)} WITH CHECK CHECK CONSTRAINT ALL;");
        }

        text.Append("COMMIT TRANSACTION;");
        return new(EmptyTablesName, "Empty the tables a migration copied into the target, in one transaction.", text.ToString());
    }

    /// <summary>Drops database <paramref name="databaseName"/> when it exists, ending its sessions first (parameter <c>@database</c>: the same name). Refuses to run from inside that database.</summary>
    internal static SqlServerQuery DropDatabase(string databaseName) => new(
        DropDatabaseName,
        "Drop the target database on a SQL Server instance (run from master); nothing when it is missing.",
        $"""
        IF DB_NAME() = @database
            THROW 50001, N'Connect to master (or another database) to drop this database.', 1;
        IF DB_ID(@database) IS NOT NULL
        BEGIN
            ALTER DATABASE {SqlServerIdentifier.Quote(databaseName)} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
            DROP DATABASE {SqlServerIdentifier.Quote(databaseName)};
        END;
        """);

    /// <summary>
    /// One row's canonical text: per compared column its <see cref="Canonical"/> text prefixed with that text's byte
    /// length (<c>12:hello world!</c>), or <c>~</c> for NULL, joined by <c>|</c>. The length prefix keeps the text
    /// unambiguous (no value can imitate a separator), and NULL differs from the empty string.
    /// </summary>
    internal static string RowText(SqlServerTableShape table)
    {
        var parts = table.Columns.Where(c => c.IsCompared).Select(c =>
        {
            string value = Canonical(c);
            return $"ISNULL(CONVERT(nvarchar(20), DATALENGTH({value})) + N':' + {value}, N'~')";
        }).ToList();
        // One column per line, so the golden file reads as a list.
        return parts.Count == 0 ? "N''" : string.Join("\n        + N'|' + ", parts);
    }

    /// <summary>
    /// A column's value as text that is the same on every server whatever its session settings (language, date
    /// format): exact binary for float and real, hex for binary types and CLR types (geography, geometry,
    /// hierarchyid), four decimals for money, ISO 8601 for every date and time type.
    /// </summary>
    internal static string Canonical(SqlServerColumn column)
    {
        string c = "x." + SqlServerIdentifier.Quote(column.Name);
        return column.BaseType switch
        {
            "float" => $"CONVERT(nvarchar(max), CONVERT(varbinary(8), {c}), 1)",
            "real" => $"CONVERT(nvarchar(max), CONVERT(varbinary(4), {c}), 1)",
            "binary" or "varbinary" => $"CONVERT(nvarchar(max), {c}, 1)",
            "image" or "clr" => $"CONVERT(nvarchar(max), CONVERT(varbinary(max), {c}), 1)",
            "money" or "smallmoney" => $"CONVERT(nvarchar(max), {c}, 2)",
            "datetime" or "smalldatetime" => $"CONVERT(nvarchar(max), {c}, 126)",
            "sql_variant" => $"CONVERT(nvarchar(max), SQL_VARIANT_PROPERTY({c}, 'BaseType')) + N':' + CONVERT(nvarchar(max), {c})",
            // date, time, datetime2, datetimeoffset: style 0 is ISO 8601 with full precision for these types. A sql_variant
            // holding a datetime prints it in style 0 (minutes only): such values differ only in seconds unnoticed.
            _ => $"CONVERT(nvarchar(max), {c})",
        };
    }

    /// <summary>The order-independent sum of 32-byte hashes in <paramref name="hash"/>: four <c>decimal(38, 0)</c> sums of its 8-byte parts, joined by dots.</summary>
    private static string ChecksumAggregate(string hash) =>
        string.Join(
            "\n    + N'.' + ",
            new[] { 1, 9, 17, 25 }.Select(start =>
                $"CONVERT(nvarchar(40), ISNULL(SUM(CONVERT(decimal(38, 0), CONVERT(bigint, SUBSTRING({hash}, {start}, 8)))), 0))"));
}

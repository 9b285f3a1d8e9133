namespace DurableMigration.Providers.Sqlite;

/// <summary>The stable rule ids of the SQLite provider's assessment findings.</summary>
public static class SqliteAssessmentRules
{
    /// <summary>Blocking: the source file does not exist.</summary>
    public const string SourceMissing = "sqlite.source-missing";

    /// <summary>Blocking: the source is not a SQLite database, or <c>PRAGMA integrity_check</c> reports problems.</summary>
    public const string Integrity = "sqlite.integrity";

    /// <summary>Blocking: a table that would move is a virtual table; its module (FTS, R*Tree, an extension) may be missing in the target.</summary>
    public const string VirtualTable = "sqlite.virtual-table";

    /// <summary>Blocking: the table filter names a table the source does not have.</summary>
    public const string UnknownTable = "sqlite.unknown-table";

    /// <summary>Blocking: the target file exists and holds data this tool did not write (or is not a SQLite database).</summary>
    public const string TargetNotEmpty = "sqlite.target-not-empty";

    /// <summary>Blocking: the target file's folder does not exist (information when the provider's <c>CreateTargetDirectory</c> option is set).</summary>
    public const string TargetDirectoryMissing = "sqlite.target-directory-missing";

    /// <summary>Blocking: no file can be created in the target file's folder.</summary>
    public const string TargetNotWritable = "sqlite.target-not-writable";

    /// <summary>Blocking: the target's file system has less free space than the source's size plus 10% and 16 MiB.</summary>
    public const string TargetDiskSpace = "sqlite.target-disk-space";

    /// <summary>Blocking: source and target name the same file.</summary>
    public const string SameFile = "sqlite.same-file";

    /// <summary>Warning: a table that moves has no primary key; validation then relies on checksums alone.</summary>
    public const string NoPrimaryKey = "sqlite.no-primary-key";

    /// <summary>Warning: a foreign key crosses the table filter (a moved table references one left behind, or the reverse).</summary>
    public const string ForeignKeyExcluded = "sqlite.foreign-key-excluded";

    /// <summary>Warning: a view or trigger reads a table the filter leaves behind, so it stays behind too.</summary>
    public const string DependentExcluded = "sqlite.dependent-excluded";

    /// <summary>Information: the target holds a partial migration by this tool; the schema copy replaces it.</summary>
    public const string TargetPartial = "sqlite.target-partial";

    /// <summary>Information: the source already carries this tool's read-only triggers.</summary>
    public const string SourceReadOnly = "sqlite.source-read-only";
}

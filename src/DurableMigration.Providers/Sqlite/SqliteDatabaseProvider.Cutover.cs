using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Sqlite;

/// <summary>Read-only source, writable source, and dropping the target.</summary>
public sealed partial class SqliteDatabaseProvider
{
    private static readonly string[] WriteOperations = ["insert", "update", "delete"];

    /// <inheritdoc/>
    /// <remarks>
    /// Creates, in one transaction, <c>BEFORE INSERT</c>, <c>BEFORE UPDATE</c> and <c>BEFORE DELETE</c> triggers
    /// named <c>dmig_readonly_&lt;table&gt;_&lt;insert|update|delete&gt;</c> on every table of the source (whatever the
    /// table filter), each raising <c>ABORT</c> with <see cref="ReadOnlyMessage"/>. Idempotent: existing triggers stay.
    /// Virtual tables cannot carry triggers; their shadow tables (FTS and the like) get them, so writes through a
    /// virtual table fail too, with the module's own error. Schema changes are not blocked.
    /// </remarks>
    public Task MakeSourceReadOnlyAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "making the source read-only", job => Task.FromResult(MakeReadOnly(job)), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// Drops every <c>dmig_readonly_*</c> trigger of the source, and the change capture (<c>dmig_capture_*</c> triggers and
    /// <c>_dmig_changes</c>) if the copy left one, so the source ends as it was. The target's marker forgets which capture
    /// it followed: writes to the source from now on are not recorded, so a later change sync copies everything again.
    /// Idempotent: a source without them is left as it is.
    /// </remarks>
    public Task MakeSourceWritableAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "making the source writable", job => Task.FromResult(MakeWritable(job)), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// Deletes the target file and its <c>-wal</c>, <c>-shm</c> and <c>-journal</c>, and drops the source's change
    /// capture if the copy left one. Idempotent: a missing target is fine. Refuses (non-retriably) to delete the source,
    /// or a file that holds data DurableMigration did not write.
    /// </para>
    /// <para>
    /// It does not refuse a target that consumers wrote to after cutover: that is the caller's decision. After cutover,
    /// call <see cref="GetTargetChangesAsync"/> first, and drop a target that may have changed only after
    /// <see cref="CopyBackAsync"/> or <see cref="BackupTargetAsync"/>.
    /// </para>
    /// </remarks>
    public Task DropTargetAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default) =>
        RunAsync(endpoints, "dropping the target", job => Task.FromResult(DropTarget(job)), cancellationToken);

    private bool MakeReadOnly(Job job)
    {
        var source = RequireSource(job);
        job.Writing(source);
        using var connection = source.Open(SqliteOpenMode.ReadWrite);
        var (created, tables) = CreateReadOnlyTriggers(connection);
        Logs.MadeReadOnly(_logger, job.Database, created, tables);
        return true;
    }

    /// <summary>In one transaction, creates the read-only triggers the main database lacks on every table (shadow tables included, this tool's own tables not); returns how many it created, on how many tables.</summary>
    private static (int Created, int Tables) CreateReadOnlyTriggers(SqliteConnection connection)
    {
        int created = 0;
        var tables = new List<string>();
        Sql.InTransaction(
            connection,
            () =>
            {
                // Shadow tables (behind FTS and other virtual tables) take triggers too, so their module cannot write either.
                tables = Sql.Query(
                    connection,
                    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'shadow') ORDER BY name",
                    r => r.GetString(0)).Where(n => !SqliteSchema.IsInternal(n) && !SqliteSchema.IsOwnTable(n)).ToList();
                var existing = Sql.Query(connection, "SELECT name FROM main.sqlite_schema WHERE type = 'trigger'", r => r.GetString(0))
                    .ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (string table in tables)
                {
                    foreach (string operation in WriteOperations)
                    {
                        string trigger = ReadOnlyTriggerPrefix + table + "_" + operation;
                        if (existing.Contains(trigger))
                        {
                            continue;
                        }

                        Sql.Execute(connection, $"CREATE TRIGGER {Sql.Quote(trigger)} BEFORE {operation.ToUpperInvariant()} ON {Sql.Quote(table)} BEGIN SELECT RAISE(ABORT, {Sql.Literal(ReadOnlyMessage)}); END");
                        created++;
                    }
                }
            },
            immediate: true);
        return (created, tables.Count);
    }

    private bool MakeWritable(Job job)
    {
        var source = RequireSource(job);
        ForgetCapture(job);
        job.Writing(source);
        using var connection = source.Open(SqliteOpenMode.ReadWrite);
        if (ChangeCapture.Remove(connection))
        {
            Logs.CaptureRemoved(_logger, job.Database);
        }

        int dropped = DropReadOnlyTriggers(connection);
        Logs.MadeWritable(_logger, job.Database, dropped);
        return true;
    }

    /// <summary>In one transaction, drops every read-only trigger of the main database; returns how many.</summary>
    private static int DropReadOnlyTriggers(SqliteConnection connection)
    {
        int dropped = 0;
        Sql.InTransaction(
            connection,
            () =>
            {
                var triggers = Sql.Query(connection, "SELECT name FROM main.sqlite_schema WHERE type = 'trigger'", r => r.GetString(0))
                    .Where(SqliteSchema.IsReadOnlyTrigger)
                    .ToList();
                foreach (string trigger in triggers)
                {
                    Sql.Execute(connection, $"DROP TRIGGER IF EXISTS main.{Sql.Quote(trigger)}");
                }

                dropped = triggers.Count;
            },
            immediate: true);
        return dropped;
    }

    private bool DropTarget(Job job)
    {
        var target = job.Target;
        if (SqliteFile.TryParse(job.Endpoints.SourceConnection) is { } source && source.IsSameFileAs(target))
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': source and target are the same file ({target.FileName}); refusing to delete the source.");
        }

        var inspection = MigrationMarker.Inspect(target);
        if (!inspection.MayReplace)
        {
            throw new PermanentDatabaseProviderException(job.Database, $"Database '{job.Database}': the target file '{target.FileName}' holds data DurableMigration did not write; refusing to delete it.");
        }

        RemoveCapture(job);
        target.Delete();
        target.WithSuffix(PageCopySuffix).Delete(); // what a page copy cut short left
        Logs.TargetDropped(_logger, job.Database, target.FileName);
        return true;
    }

    /// <summary>Makes the target's marker forget the change capture it follows, so that a later change sync copies everything again.</summary>
    private void ForgetCapture(Job job)
    {
        if (SqliteFile.TryParse(job.Endpoints.TargetConnection) is null || job.Target.IsSameFileAs(job.Source) || MigrationMarker.Inspect(job.Target) is not { Kind: TargetKind.Marked, Capture: not null })
        {
            return;
        }

        job.Writing(job.Target);
        using var connection = job.Target.Open(SqliteOpenMode.ReadWrite);
        MigrationMarker.SetCapture(connection, null, 0, _timeProvider.GetUtcNow());
    }
}

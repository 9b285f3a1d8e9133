using System.Globalization;
using Npgsql;
using static DurableMigration.Providers.Postgres.PostgresReplicationSql;

namespace DurableMigration.Providers.Postgres;

/// <summary>What online mode (logical replication) needs of a source and a target, as assessment findings: read only, nothing is created.</summary>
internal static class PostgresReplicationAssessment
{
    /// <summary>Blocking: the source's <c>wal_level</c> is not <c>logical</c>.</summary>
    public const string WalLevel = "postgres.online.wal_level";

    /// <summary>Blocking: the source is a standby (logical decoding needs a primary before PostgreSQL 16).</summary>
    public const string Standby = "postgres.online.standby";

    /// <summary>Blocking: no replication slot or WAL sender is free on the source.</summary>
    public const string Capacity = "postgres.online.capacity";

    /// <summary>Blocking: the source's role may not replicate (neither superuser nor <c>REPLICATION</c>).</summary>
    public const string SourceRole = "postgres.online.source_role";

    /// <summary>Blocking: the target's role may not create a subscription (superuser on 15; <c>pg_create_subscription</c> from 16).</summary>
    public const string TargetRole = "postgres.online.target_role";

    /// <summary>Warning: the target has no free logical replication worker now.</summary>
    public const string Workers = "postgres.online.workers";

    /// <summary>Blocking: a table cannot be replicated (no replica identity, unlogged, not a table, missing).</summary>
    public const string Table = "postgres.online.table";

    /// <summary>Warning: the source holds large objects, which logical replication does not carry.</summary>
    public const string LargeObjects = "postgres.online.large_objects";

    /// <summary>
    /// Checks the source (and the target, when <paramref name="target"/> answers) for online mode. Connection failures
    /// propagate (the provider's own assessment reports reachability); a target database that does not exist yet is
    /// checked on its cluster's <c>postgres</c> database.
    /// </summary>
    /// <param name="database">The database's name in the wave (for messages).</param>
    /// <param name="source">The source's connection string.</param>
    /// <param name="target">The target's connection string.</param>
    /// <param name="qualifiedTables">The tables that would be replicated, <c>schema.table</c>.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public static async Task<IReadOnlyList<AssessmentFinding>> AssessAsync(string database, string source, string target, IReadOnlyList<string> qualifiedTables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(qualifiedTables);
        var findings = new List<AssessmentFinding>();
        try
        {
            await using (var connection = new NpgsqlConnection(source))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await AssessSourceAsync(database, connection, qualifiedTables, findings, cancellationToken).ConfigureAwait(false);
            }

            await AssessTargetAsync(database, target, findings, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, database, "assessing online mode", cancellationToken) is var translated && translated != exception)
        {
            throw translated;
        }

        return findings;
    }

    private static async Task AssessSourceAsync(string database, NpgsqlConnection connection, IReadOnlyList<string> qualifiedTables, List<AssessmentFinding> findings, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT current_setting('wal_level'),
                   pg_is_in_recovery(),
                   current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int,
                   current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)::int,
                   (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user),
                   EXISTS (SELECT 1 FROM pg_largeobject_metadata)
            """;
        await using (var command = new NpgsqlCommand(Sql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            string walLevel = reader.GetString(0);
            if (walLevel != "logical")
            {
                findings.Add(new AssessmentFinding(WalLevel, FindingSeverity.Blocking, $"Database '{database}': the source's wal_level is '{walLevel}'; online mode needs 'logical' (ALTER SYSTEM SET wal_level = logical, then restart the server)."));
            }

            if (reader.GetBoolean(1))
            {
                findings.Add(new AssessmentFinding(Standby, FindingSeverity.Blocking, $"Database '{database}': the source is a standby; online mode replicates from the primary."));
            }

            int freeSlots = reader.GetInt32(2);
            int freeSenders = reader.GetInt32(3);
            if (freeSlots < 1 || freeSenders < 1)
            {
                findings.Add(new AssessmentFinding(Capacity, FindingSeverity.Blocking, string.Create(CultureInfo.InvariantCulture, $"Database '{database}': the source has {freeSlots} free replication slot(s) and {freeSenders} free WAL sender(s); online mode needs one of each per database migrated at once (raise max_replication_slots and max_wal_senders, then restart the server).")));
            }

            if (!reader.GetBoolean(4))
            {
                findings.Add(new AssessmentFinding(SourceRole, FindingSeverity.Blocking, $"Database '{database}': the source's role may not replicate; online mode needs a role with REPLICATION (ALTER ROLE ... REPLICATION) that may also publish the tables (owner, or superuser)."));
            }

            if (reader.GetBoolean(5))
            {
                findings.Add(new AssessmentFinding(LargeObjects, FindingSeverity.Warning, $"Database '{database}': the source holds large objects (pg_largeobject); logical replication does not carry them, nor does a table copy."));
            }
        }

        var tables = qualifiedTables.Select(ParseQualifiedName).Distinct().ToList();
        foreach (var (table, problem) in await PostgresReplication.FindUnpublishableTablesAsync(connection, tables, cancellationToken).ConfigureAwait(false))
        {
            findings.Add(new AssessmentFinding(Table, FindingSeverity.Blocking, $"Database '{database}': table {table} {problem}.", table));
        }
    }

    private static async Task AssessTargetAsync(string database, string target, List<AssessmentFinding> findings, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            try
            {
                connection = new NpgsqlConnection(target);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException exception) when (IsMissingDatabase(exception))
            {
                // Not created yet: the role and the workers are the cluster's, so ask its maintenance database.
                await connection!.DisposeAsync().ConfigureAwait(false);
                connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Database = "postgres" }.ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            }

            bool sixteen = connection.PostgreSqlVersion.Major >= 16;
            string sql = $"""
                SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                       {(sixteen ? "OR pg_has_role(current_user, 'pg_create_subscription', 'USAGE')" : string.Empty)},
                       current_setting('max_logical_replication_workers')::int - (SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL)::int
                """;
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!reader.GetBoolean(0))
            {
                findings.Add(new AssessmentFinding(TargetRole, FindingSeverity.Blocking, sixteen
                    ? $"Database '{database}': the target's role may not create a subscription; online mode needs a superuser or a member of pg_create_subscription."
                    : $"Database '{database}': the target's role is not a superuser; on PostgreSQL 15 and earlier only a superuser may create the subscription online mode needs."));
            }

            int freeWorkers = reader.GetInt32(1);
            if (freeWorkers < 1)
            {
                findings.Add(new AssessmentFinding(Workers, FindingSeverity.Warning, string.Create(CultureInfo.InvariantCulture, $"Database '{database}': the target has no free logical replication worker now (max_logical_replication_workers); the subscription would wait for one.")));
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

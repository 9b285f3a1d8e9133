using System.Globalization;
using DurableMigration.Manifest;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

public sealed partial class PostgresDatabaseProvider
{
    /// <summary>The owner statements the schema copy runs on the target, built on the source: one per schema, table, view, sequence, routine and type (not extension members, not objects owned through a table).</summary>
    private const string OwnerStatementsSql = """
        SELECT o.owner, o.what, o.statement FROM (
            SELECT pg_get_userbyid(n.nspowner) AS owner, format('schema %I', n.nspname) AS what, format('ALTER SCHEMA %I OWNER TO %I', n.nspname, pg_get_userbyid(n.nspowner)) AS statement
            FROM pg_namespace n
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e')
            UNION ALL
            SELECT pg_get_userbyid(c.relowner), format('%s %I.%I', k.word, n.nspname, c.relname),
                   format('ALTER %s %I.%I OWNER TO %I', k.word, n.nspname, c.relname, pg_get_userbyid(c.relowner))
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN (VALUES ('r', 'TABLE'), ('p', 'TABLE'), ('v', 'VIEW'), ('m', 'MATERIALIZED VIEW'), ('S', 'SEQUENCE'), ('f', 'FOREIGN TABLE')) AS k(kind, word) ON k.kind = c.relkind::text
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype IN ('e', 'a', 'i'))
            UNION ALL
            SELECT pg_get_userbyid(p.proowner), format('routine %I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
                   format('ALTER ROUTINE %I.%I(%s) OWNER TO %I', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_userbyid(p.proowner))
            FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
            UNION ALL
            SELECT pg_get_userbyid(t.typowner), format('type %I.%I', n.nspname, t.typname),
                   format('ALTER %s %I.%I OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, n.nspname, t.typname, pg_get_userbyid(t.typowner))
            FROM pg_type t
            JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
              AND t.typtype IN ('e', 'd', 'r', 'c') AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
              AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
        ) AS o
        """;

    private const string RestoreAdvice = "Nothing of the section was kept (one transaction). Make the object restorable: an object that refers to a table the filter leaves behind (a view, a foreign key, a function) cannot be restored, so move that table too or drop the object; a role, extension or tablespace it needs must exist on the target. Then retry";

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// Creates the target database when missing (adopting an existing empty one), or replaces one left by an earlier
    /// attempt (marked: its replication subscription is removed, then it is dropped and created again); a database
    /// holding objects without the marker is refused, non-retriably. Then <c>pg_dump -Fc --section=pre-data</c> of
    /// the source (the tables the filter leaves behind excluded; no publications, subscriptions, tablespaces) is
    /// restored with <c>pg_restore --section=pre-data --no-owner --no-privileges --single-transaction</c>: schemas,
    /// extensions, types, tables without their constraints and indexes, views, routines, comments. Indexes,
    /// constraints and triggers come after the data (<see cref="CopyDataAsync"/>).
    /// </para>
    /// <para>
    /// Owner rule: objects first belong to the target connection's user; each whose source owner role exists on the
    /// target server is then given to that role. Counts: tables and views from the restored target; indexes and
    /// triggers from the source (they are built after the data).
    /// </para>
    /// </remarks>
    public async Task<SchemaCopyResult> CopySchemaAsync(MigrationEndpoints endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var source = Source(endpoints);
        var target = Target(endpoints);
        try
        {
            await RecreateSchemaAsync(endpoints, source, target, cancellationToken).ConfigureAwait(false);
            await using var sourceConnection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var targetConnection = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
            var tables = (await PgCatalog.ReadTablesAsync(sourceConnection, cancellationToken).ConfigureAwait(false)).Where(t => PgCatalog.Includes(endpoints.Tables, t)).ToList();
            var oids = tables.Select(t => (long)t.Oid).ToArray();
            int indexes = (int)await PgSql.ScalarAsync<long>(sourceConnection, "SELECT count(*) FROM pg_index WHERE indrelid = ANY(@oids::bigint[]::oid[])", cancellationToken, ("oids", oids)).ConfigureAwait(false);
            int triggers = (int)await PgSql.ScalarAsync<long>(sourceConnection, "SELECT count(*) FROM pg_trigger WHERE tgrelid = ANY(@oids::bigint[]::oid[]) AND NOT tgisinternal", cancellationToken, ("oids", oids)).ConfigureAwait(false);
            const string counts = """
                SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p', 'f')), count(*) FILTER (WHERE c.relkind IN ('v', 'm'))
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
                """;
            var (tableCount, viewCount) = (await PgSql.QueryAsync(targetConnection, counts, r => ((int)r.GetInt64(0), (int)r.GetInt64(1)), cancellationToken).ConfigureAwait(false)).Single();
            PgLogs.SchemaCopied(_logger, endpoints.Database, target.DatabaseName, tableCount, viewCount);
            return new SchemaCopyResult(tableCount, indexes, viewCount, triggers);
        }
        catch (Exception ex) when (ex is not DatabaseProviderException and not OperationCanceledException)
        {
            throw PgErrors.Translate(ex, endpoints.Database, "schema copy", cancellationToken, source.Password, target.Password);
        }
    }

    /// <summary>Makes the target a fresh pre-data copy of the source, marked <see cref="PgMarker.SchemaCopied"/>: creates, adopts or replaces the target database, restores pre-data, applies the owner rule.</summary>
    /// <remarks>Leaves the source's replication objects alone (the online half may hold a slot for the copy that follows).</remarks>
    private async Task RecreateSchemaAsync(MigrationEndpoints endpoints, PgEndpoint source, PgEndpoint target, CancellationToken cancellationToken)
    {
        string database = endpoints.Database;
        if (string.Equals(source.Identity, target.Identity, StringComparison.Ordinal))
        {
            throw new PermanentDatabaseProviderException(database, $"Database '{database}': source and target are the same database ('{source.DatabaseName}'); choose another target.");
        }

        List<PgTable> tables;
        string encoding, collate, ctype;
        await using (var sourceConnection = await source.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            tables = await PgCatalog.ReadTablesAsync(sourceConnection, cancellationToken).ConfigureAwait(false);
            if (PgCatalog.UnknownNames(endpoints.Tables, tables) is [var unknown, ..])
            {
                throw new PermanentDatabaseProviderException(database, $"Database '{database}': the table filter names '{unknown}', which is no table of the source; correct the manifest.");
            }

            (encoding, collate, ctype) = (await PgSql.QueryAsync(sourceConnection, "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = current_database()", r => (r.GetString(0), r.GetString(1), r.GetString(2)), cancellationToken).ConfigureAwait(false)).Single();
        }

        await using (var admin = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false))
        {
            var state = await PgMarker.ReadAsync(admin, target, cancellationToken).ConfigureAwait(false);
            switch (state.Kind)
            {
                case TargetKind.UnmarkedNotEmpty:
                    throw RefuseTarget(database, target);
                case TargetKind.Marked:
                    PgLogs.ReplacingTarget(_logger, database, target.DatabaseName, $"state {state.CopyState ?? "unknown"}");
                    await DropSubscriptionsAsync(endpoints, target, cancellationToken).ConfigureAwait(false);
                    await PgMarker.ExecuteFormattedAsync(admin, "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', @name::text)", cancellationToken, ("name", target.DatabaseName)).ConfigureAwait(false);
                    await CreateDatabaseAsync(admin, target, encoding, collate, ctype, cancellationToken).ConfigureAwait(false);
                    break;
                case TargetKind.Missing:
                    await CreateDatabaseAsync(admin, target, encoding, collate, ctype, cancellationToken).ConfigureAwait(false);
                    break;
            }

            await PgMarker.WriteAsync(admin, target.DatabaseName, database, PgMarker.Created, cancellationToken).ConfigureAwait(false);
        }

        await DumpAndRestoreAsync(endpoints, source, target, tables, "pre-data", cancellationToken).ConfigureAwait(false);
        await ApplyOwnersAsync(database, source, target, cancellationToken).ConfigureAwait(false);
        await using var marker = await target.OpenAdminAsync(cancellationToken).ConfigureAwait(false);
        await PgMarker.WriteAsync(marker, target.DatabaseName, database, PgMarker.SchemaCopied, cancellationToken).ConfigureAwait(false);
    }

    private static PermanentDatabaseProviderException RefuseTarget(string database, PgEndpoint target) =>
        new(database, $"Database '{database}': the target database '{target.DatabaseName}' holds objects DurableMigration did not write (it lacks the marker comment), so it is never replaced or dropped. Name an empty or missing database as target, or drop that one yourself.");

    private static Task CreateDatabaseAsync(NpgsqlConnection admin, PgEndpoint target, string encoding, string collate, string ctype, CancellationToken cancellationToken) =>
        PgMarker.ExecuteFormattedAsync(
            admin,
            "SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L LC_COLLATE %L LC_CTYPE %L', @name::text, @encoding::text, @collate::text, @ctype::text)",
            cancellationToken,
            ("name", target.DatabaseName),
            ("encoding", encoding),
            ("collate", collate),
            ("ctype", ctype));

    /// <summary>
    /// Dumps one section of the source and restores it into the target: <c>pre-data</c> in one transaction;
    /// <c>post-data</c> (keys, indexes, foreign keys, triggers) with <see cref="PostgresProviderOptions.ParallelTables"/>
    /// jobs, each index build with <see cref="PostgresProviderOptions.IndexBuildMemory"/> of <c>maintenance_work_mem</c>.
    /// A post-data restore cut short leaves the target marked <c>post-data</c>, which a rerun rebuilds from a fresh schema.
    /// </summary>
    private async Task DumpAndRestoreAsync(MigrationEndpoints endpoints, PgEndpoint source, PgEndpoint target, IReadOnlyList<PgTable> tables, string section, CancellationToken cancellationToken)
    {
        string file = Path.Combine(Path.GetTempPath(), $"dmig-{Guid.NewGuid():N}.dump");
        try
        {
            List<string> dump = ["--format=custom", "--compress=0", $"--section={section}", "--no-publications", "--no-subscriptions", "--no-tablespaces", "--file", file, .. PgCatalog.DumpExclusions(endpoints.Tables, tables)];
            await _tools.RunCheckedAsync(endpoints.Database, $"the {section} dump of the source", "pg_dump", dump, source.ToolEnvironment(), cancellationToken).ConfigureAwait(false);
            bool postData = section == "post-data";
            // Index builds dominate post-data: several at once, each with room to sort in memory.
            string atomicity = postData ? $"--jobs={_options.ParallelTables.ToString(CultureInfo.InvariantCulture)}" : "--single-transaction";
            List<string> restore = [$"--section={section}", "--no-owner", "--no-privileges", atomicity, "--exit-on-error", "--dbname", $"application_name={PgEndpoint.ApplicationName}", file];
            var environment = target.ToolEnvironment();
            if (postData)
            {
                environment["PGOPTIONS"] = $"-c maintenance_work_mem={_options.IndexBuildMemory}";
            }

            await _tools.RunCheckedAsync(endpoints.Database, $"the {section} restore into the target", "pg_restore", restore, environment, cancellationToken, RestoreAdvice).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The owner rule: every object whose source owner exists as a role on the target server gets that owner; the rest keep the target user.</summary>
    private async Task ApplyOwnersAsync(string database, PgEndpoint source, PgEndpoint target, CancellationToken cancellationToken)
    {
        List<(string Owner, string What, string Statement)> statements;
        await using (var sourceConnection = await source.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            statements = await PgSql.QueryAsync(sourceConnection, OwnerStatementsSql, r => (r.GetString(0), r.GetString(1), r.GetString(2)), cancellationToken).ConfigureAwait(false);
        }

        await using var connection = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
        var roles = new HashSet<string>(await PgSql.QueryAsync(connection, "SELECT rolname FROM pg_roles", r => r.GetString(0), cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        string self = await PgSql.ScalarAsync<string>(connection, "SELECT current_user::text", cancellationToken).ConfigureAwait(false) ?? string.Empty;
        foreach (var (owner, what, statement) in statements.Where(s => s.Owner != self && roles.Contains(s.Owner)))
        {
            try
            {
                await PgSql.ExecuteAsync(connection, statement, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is "42501" or "42P01" or "42704" or "42883" or "3F000" or "42809")
            {
                // Not restored (left behind by the filter) or not ours to give away: it keeps the target user.
                if (ex.SqlState == "42501")
                {
                    PgLogs.OwnerNotSet(_logger, database, what, ex.MessageText);
                }
            }
        }
    }

    /// <summary>Removes this provider's subscriptions (<c>dmig_*</c>) from the target database, without touching the source's slot: disable, detach the slot, drop.</summary>
    private async Task DropSubscriptionsAsync(MigrationEndpoints endpoints, PgEndpoint target, CancellationToken cancellationToken)
    {
        await using var connection = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
        var names = await PgSql.QueryAsync(connection, "SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND subname LIKE @prefix", r => r.GetString(0), cancellationToken, ("prefix", ReplicationNames.Prefix.Replace("_", "\\_", StringComparison.Ordinal) + "%")).ConfigureAwait(false);
        foreach (string name in names)
        {
            string quoted = PgSql.Quote(name);
            await PgSql.ExecuteAsync(connection, $"ALTER SUBSCRIPTION {quoted} DISABLE", cancellationToken).ConfigureAwait(false);
            await PgSql.ExecuteAsync(connection, $"ALTER SUBSCRIPTION {quoted} SET (slot_name = NONE)", cancellationToken).ConfigureAwait(false);
            await PgSql.ExecuteAsync(connection, $"DROP SUBSCRIPTION {quoted}", cancellationToken).ConfigureAwait(false);
            PgLogs.ReplicationObjectRemoved(_logger, endpoints.Database, "subscription " + name, "target");
        }
    }
}

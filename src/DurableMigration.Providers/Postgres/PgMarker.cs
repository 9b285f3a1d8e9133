using System.Text.RegularExpressions;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>What the target database is, as far as this provider is concerned.</summary>
internal enum TargetKind
{
    /// <summary>It does not exist.</summary>
    Missing,

    /// <summary>It carries this provider's marker: written by DurableMigration, may be replaced or dropped.</summary>
    Marked,

    /// <summary>It exists without the marker and holds no user objects: may be adopted.</summary>
    UnmarkedEmpty,

    /// <summary>It exists without the marker and holds objects: someone else's data, never touched.</summary>
    UnmarkedNotEmpty,
}

/// <summary>The target database's state: its kind and, when marked, the copy's state (<see cref="PgMarker"/>).</summary>
internal sealed record TargetState(TargetKind Kind, string? CopyState);

/// <summary>
/// The marker of a target database written by this provider: its <c>COMMENT ON DATABASE</c>,
/// <c>DurableMigration target of 'db'; state=schema-copied; ...</c>.
/// </summary>
/// <remarks>
/// A database comment is a shared catalog entry (<c>pg_shdescription</c>), readable from the server's <c>postgres</c>
/// database without connecting to the target, and <c>pg_dump</c> leaves it out unless asked to create the database,
/// so it never travels to a copy. States: <c>created</c> (empty), <c>schema-copied</c> (pre-data restored, ready for
/// rows), <c>copying</c> (rows being copied into the pre-data schema), <c>post-data</c> (indexes and constraints being
/// built), <c>copied</c>.
/// </remarks>
internal static partial class PgMarker
{
    /// <summary>The marker comment's fixed beginning.</summary>
    public const string Prefix = "DurableMigration target of ";

    /// <summary>The database exists, nothing restored yet.</summary>
    public const string Created = "created";

    /// <summary>The pre-data schema is restored; no rows yet.</summary>
    public const string SchemaCopied = "schema-copied";

    /// <summary>Rows are being copied into the pre-data schema.</summary>
    public const string Copying = "copying";

    /// <summary>Post-data (indexes, constraints, triggers) is being restored.</summary>
    public const string PostData = "post-data";

    /// <summary>Everything is copied.</summary>
    public const string Copied = "copied";

    /// <summary>Counts the user objects of the database a connection is open on (extensions other than plpgsql, schemas other than public, relations, routines, types).</summary>
    private const string UserObjectsSql = """
        SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%')
             + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
             + (SELECT count(*) FROM pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\_%')
             + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
        """;

    /// <summary>Reads the state of the target database through a connection to its server's maintenance database.</summary>
    public static async Task<TargetState> ReadAsync(NpgsqlConnection admin, PgEndpoint target, CancellationToken cancellationToken)
    {
        var rows = await PgSql.QueryAsync(admin, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = @name", r => r.IsDBNull(0) ? null : r.GetString(0), cancellationToken, ("name", target.DatabaseName)).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return new TargetState(TargetKind.Missing, null);
        }

        if (rows[0] is { } comment && comment.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var match = StatePattern().Match(comment);
            return new TargetState(TargetKind.Marked, match.Success ? match.Groups[1].Value : null);
        }

        await using var connection = await target.OpenAsync(cancellationToken).ConfigureAwait(false);
        long objects = await PgSql.ScalarAsync<long>(connection, UserObjectsSql, cancellationToken).ConfigureAwait(false);
        return new TargetState(objects == 0 ? TargetKind.UnmarkedEmpty : TargetKind.UnmarkedNotEmpty, null);
    }

    /// <summary>Sets the marker with <paramref name="state"/> (the comment is built and quoted by the server).</summary>
    public static Task WriteAsync(NpgsqlConnection connection, string targetDatabase, string database, string state, CancellationToken cancellationToken) =>
        ExecuteFormattedAsync(
            connection,
            "SELECT format('COMMENT ON DATABASE %I IS %L', @target::text, @comment::text)",
            cancellationToken,
            ("target", targetDatabase),
            ("comment", $"{Prefix}'{database}'; state={state}; do not remove: DurableMigration replaces or drops only databases that carry this comment"));

    /// <summary>Builds a statement on the server with <c>format()</c> (identifiers <c>%I</c>, literals <c>%L</c>) and runs it: for utility statements, which take no parameters.</summary>
    public static async Task ExecuteFormattedAsync(NpgsqlConnection connection, string formatQuery, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        string sql = await PgSql.ScalarAsync<string>(connection, formatQuery, cancellationToken, parameters).ConfigureAwait(false)
            ?? throw new InvalidOperationException("format() returned null.");
        await PgSql.ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex(@"; state=([a-z-]+);")]
    private static partial Regex StatePattern();
}

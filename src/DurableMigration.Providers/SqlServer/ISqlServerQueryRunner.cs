namespace DurableMigration.Providers.SqlServer;

/// <summary>Runs named SQL Server statements (<see cref="SqlServerQuery"/>) against one database: the seam between the SQL Server pieces and the server.</summary>
/// <remarks>
/// <see cref="SqlServerQueryRunner"/> runs them on a server through Microsoft.Data.SqlClient; tests replay recorded result
/// sets under the same names. Failures are <see cref="DatabaseProviderException"/> (retrying may help) or
/// <see cref="PermanentDatabaseProviderException"/>, naming <see cref="Database"/>, never a connection string.
/// </remarks>
public interface ISqlServerQueryRunner
{
    /// <summary>Gets the database's name in the wave, for messages and logs.</summary>
    string Database { get; }

    /// <summary>Runs <paramref name="query"/> and returns the rows of its first result set.</summary>
    /// <param name="query">The statement.</param>
    /// <param name="parameters">Its parameters by name without <c>@</c>; <c>null</c> for none.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The rows, in the order the server returned them.</returns>
    Task<IReadOnlyList<SqlServerRow>> QueryAsync(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="query"/> for its effect.</summary>
    /// <param name="query">The statement.</param>
    /// <param name="parameters">Its parameters by name without <c>@</c>; <c>null</c> for none.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>The rows affected, as the server counts them (-1 when it does not say).</returns>
    Task<int> ExecuteAsync(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default);
}

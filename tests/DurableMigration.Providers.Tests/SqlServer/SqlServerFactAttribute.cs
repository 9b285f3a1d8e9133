namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>A fact that runs only against a real SQL Server: environment variable <c>DMIG_TEST_SQLSERVER</c> must hold a connection string (a login that may create databases). Otherwise the test is reported as skipped, with the reason.</summary>
public sealed class SqlServerFactAttribute : FactAttribute
{
    /// <summary>The environment variable naming the server.</summary>
    public const string Variable = "DMIG_TEST_SQLSERVER";

    /// <summary>Initializes the attribute; sets <see cref="FactAttribute.Skip"/> when <see cref="Variable"/> is not set.</summary>
    public SqlServerFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Skipped: no SQL Server here. Set {Variable} to a SQL Server connection string (a login that may create databases) to run this test against a live server.";
        }
    }

    /// <summary>Gets the connection string from <see cref="Variable"/>.</summary>
    public static string ConnectionString => Environment.GetEnvironmentVariable(Variable) ?? throw new InvalidOperationException($"{Variable} is not set.");
}

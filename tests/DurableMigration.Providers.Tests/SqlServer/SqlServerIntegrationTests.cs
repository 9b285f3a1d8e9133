using DurableMigration.Manifest;
using DurableMigration.Providers.Dms;
using DurableMigration.Providers.SqlServer;
using Microsoft.Data.SqlClient;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>
/// Runs assessment, validation and the cutover statements against a live SQL Server named by <c>DMIG_TEST_SQLSERVER</c>
/// (a connection string whose login may create databases), in two scratch databases that each test creates and drops.
/// Without the variable every test here is reported as skipped, with the reason.
/// </summary>
public sealed class SqlServerIntegrationTests
{
    private const string Schema = """
        CREATE TABLE dbo.orders (
            id int NOT NULL PRIMARY KEY,
            customer nvarchar(100) NULL,
            total money NOT NULL,
            ratio float NULL,
            placed datetime2 NOT NULL,
            note nvarchar(max) NULL,
            rv rowversion,
            total_with_tax AS total * 1.2);
        CREATE INDEX ix_orders_customer ON dbo.orders (customer);
        CREATE TABLE dbo.events (at datetime2 NOT NULL, payload nvarchar(200) NULL);
        EXEC (N'CREATE SCHEMA sales');
        CREATE TABLE sales.[order lines] (order_id int NOT NULL, line int NOT NULL, amount decimal(12, 2) NOT NULL, PRIMARY KEY (order_id, line));
        EXEC (N'CREATE VIEW dbo.v_orders AS SELECT id, total FROM dbo.orders');
        """;

    private const string Rows = """
        INSERT INTO dbo.orders (id, customer, total, ratio, placed, note)
        SELECT TOP (5000) n, N'customer ' + CONVERT(nvarchar(10), n % 97), n * 1.25, n / 7.0e0, DATEADD(minute, CONVERT(int, n), CONVERT(datetime2, '2026-01-01')), CASE WHEN n % 3 = 0 THEN NULL ELSE REPLICATE(N'x', n % 50) END
        FROM (SELECT ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS n FROM sys.all_objects AS a CROSS JOIN sys.all_objects AS b) AS numbers;
        INSERT INTO dbo.events (at, payload) SELECT TOP (300) placed, customer FROM dbo.orders;
        INSERT INTO sales.[order lines] (order_id, line, amount) SELECT id, 1, total FROM dbo.orders WHERE id <= 2000;
        """;

    [SqlServerFact]
    public async Task Assessment_OfAScratchDatabase_ReportsVersionTablesAndNoBlockingCatalogFinding()
    {
        await using var scratch = await Scratch.CreateAsync();

        var report = await new SqlServerAssessment().AssessAsync(scratch.SourceRunner, DatabaseMigrationTargetKind.SqlVm);

        Assert.StartsWith("SQL Server ", report.EngineVersion, StringComparison.Ordinal);
        Assert.Equal(3, report.Tables);
        Assert.True(report.SizeBytes > 0);
        Assert.Contains(report.Findings, f => f.Rule == SqlServerAssessmentRules.NoPrimaryKey && f.Object == "dbo.events");
        Assert.DoesNotContain(report.Findings, f => f.Severity == FindingSeverity.Blocking);
    }

    [SqlServerFact]
    public async Task Validation_OfAnExactCopy_Passes_AndAChangedRowIsNarrowedToItsKeyRange()
    {
        await using var scratch = await Scratch.CreateAsync();
        var validation = new SqlServerValidation();
        var both = new ValidationOptions(true, true);

        var report = await validation.ValidateAsync(scratch.SourceRunner, scratch.TargetRunner, both);
        Assert.True(report.Passed, report.Summary);
        Assert.Equal("passed: compared 3 table(s) (row counts, checksums)", report.Summary);

        await scratch.ExecuteAsync(scratch.Target, "UPDATE dbo.orders SET note = N'changed' WHERE id = 4500;");
        report = await validation.ValidateAsync(scratch.SourceRunner, scratch.TargetRunner, both);
        var orders = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("dbo.orders", orders.Table);
        Assert.Equal("rows differ in id 4001..5000", orders.Difference);

        await scratch.ExecuteAsync(scratch.Target, "DELETE FROM sales.[order lines] WHERE order_id = 10; DROP VIEW dbo.v_orders;");
        report = await validation.ValidateAsync(scratch.SourceRunner, scratch.TargetRunner, both);
        Assert.Contains("view dbo.v_orders", report.MissingInTarget);
        Assert.Equal("rows differ in (order_id, line) (1, 1)..(1000, 1)", Assert.Single(report.Tables, t => t.Table == "sales.order lines").Difference);
    }

    [SqlServerFact]
    public async Task Cutover_ReadOnlyAndBack_TargetCheck_EmptyTables_AndDrop()
    {
        await using var scratch = await Scratch.CreateAsync();
        var cutover = new SqlServerCutover();

        await cutover.MakeSourceReadOnlyAsync(scratch.MasterRunner, scratch.Source);
        Assert.Equal("READ_ONLY", await scratch.ScalarAsync($"SELECT CONVERT(nvarchar(20), DATABASEPROPERTYEX(N'{scratch.Source}', 'Updateability'))"));
        await cutover.MakeSourceReadOnlyAsync(scratch.MasterRunner, scratch.Source);
        await cutover.MakeSourceWritableAsync(scratch.MasterRunner, scratch.Source);
        Assert.Equal("READ_WRITE", await scratch.ScalarAsync($"SELECT CONVERT(nvarchar(20), DATABASEPROPERTYEX(N'{scratch.Source}', 'Updateability'))"));

        var check = await cutover.CheckTargetSchemaAsync(scratch.SourceRunner, scratch.TargetRunner);
        Assert.True(check.HasAllTables);
        Assert.Equal(["dbo.events", "dbo.orders", "sales.order lines"], check.TablesWithRows);

        await cutover.EmptyCopiedTablesAsync(scratch.TargetRunner, ["dbo.orders", "sales.[order lines]"]);
        check = await cutover.CheckTargetSchemaAsync(scratch.SourceRunner, scratch.TargetRunner);
        Assert.Equal(["dbo.events"], check.TablesWithRows);

        await cutover.DropTargetDatabaseAsync(scratch.MasterRunner, scratch.Target);
        await cutover.DropTargetDatabaseAsync(scratch.MasterRunner, scratch.Target);
        Assert.Equal(string.Empty, await scratch.ScalarAsync($"SELECT ISNULL(CONVERT(nvarchar(10), DB_ID(N'{scratch.Target}')), N'')"));
    }

    [SqlServerFact]
    public async Task A_wrong_password_is_a_permanent_error_without_the_password()
    {
        var builder = new SqlConnectionStringBuilder(SqlServerFactAttribute.ConnectionString) { Password = "dmig-wrong-password-Zq9", UserID = "dmig_no_such_login", IntegratedSecurity = false, InitialCatalog = "master" };
        var runner = new SqlServerQueryRunner(builder.ConnectionString, "sales", new SqlServerQueryRunnerOptions { MaxRetries = 0 });

        var ex = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => runner.QueryAsync(SqlServerQueries.ServerProperties));

        Assert.Contains("login failed", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dmig-wrong-password-Zq9", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Two scratch databases, source and target, with the same schema and rows; both dropped on dispose.</summary>
    private sealed class Scratch : IAsyncDisposable
    {
        private readonly SqlConnectionStringBuilder _server;

        private Scratch()
        {
            _server = new SqlConnectionStringBuilder(SqlServerFactAttribute.ConnectionString) { InitialCatalog = "master", Pooling = false };
            string suffix = Guid.NewGuid().ToString("N")[..10];
            Source = "dmig_src_" + suffix;
            Target = "dmig_tgt_" + suffix;
            MasterRunner = new SqlServerQueryRunner(_server.ConnectionString, "scratch");
            SourceRunner = new SqlServerQueryRunner(ConnectionTo(Source), "scratch");
            TargetRunner = new SqlServerQueryRunner(ConnectionTo(Target), "scratch");
        }

        public string Source { get; }

        public string Target { get; }

        public SqlServerQueryRunner MasterRunner { get; }

        public SqlServerQueryRunner SourceRunner { get; }

        public SqlServerQueryRunner TargetRunner { get; }

        public static async Task<Scratch> CreateAsync()
        {
            var scratch = new Scratch();
            foreach (string database in new[] { scratch.Source, scratch.Target })
            {
                await scratch.ExecuteAsync("master", $"CREATE DATABASE {SqlServerIdentifier.Quote(database)};");
                await scratch.ExecuteAsync(database, Schema);
            }

            await scratch.ExecuteAsync(scratch.Source, Rows);
            await scratch.ExecuteAsync(scratch.Target, $"""
                INSERT INTO dbo.orders (id, customer, total, ratio, placed, note) SELECT id, customer, total, ratio, placed, note FROM {SqlServerIdentifier.Quote(scratch.Source)}.dbo.orders;
                INSERT INTO dbo.events (at, payload) SELECT at, payload FROM {SqlServerIdentifier.Quote(scratch.Source)}.dbo.events;
                INSERT INTO sales.[order lines] SELECT * FROM {SqlServerIdentifier.Quote(scratch.Source)}.sales.[order lines];
                """);
            return scratch;
        }

        public async Task ExecuteAsync(string database, string sql)
        {
            await using var connection = new SqlConnection(ConnectionTo(database));
            await connection.OpenAsync();
            await using var command = new SqlCommand(sql, connection) { CommandTimeout = 300 };
            await command.ExecuteNonQueryAsync();
        }

        public async Task<string> ScalarAsync(string sql)
        {
            await using var connection = new SqlConnection(_server.ConnectionString);
            await connection.OpenAsync();
            await using var command = new SqlCommand(sql, connection);
            return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        public async ValueTask DisposeAsync()
        {
            var cutover = new SqlServerCutover();
            foreach (string database in new[] { Source, Target })
            {
                try
                {
                    await cutover.DropTargetDatabaseAsync(MasterRunner, database);
                }
                catch (DatabaseProviderException)
                {
                    // Best effort: a scratch database left behind is named dmig_src_* or dmig_tgt_*.
                }
            }
        }

        private string ConnectionTo(string database) => new SqlConnectionStringBuilder(_server.ConnectionString) { InitialCatalog = database }.ConnectionString;
    }
}

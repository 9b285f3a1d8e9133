using DurableMigration.Manifest;
using DurableMigration.Providers.SqlServer;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>The statements around cutover and their compensations: what they send, with which quoting and parameters, and how their results are read.</summary>
public sealed class SqlServerCutoverTests
{
    private readonly SqlServerCutover _cutover = new();

    [Fact]
    public async Task MakeSourceReadOnly_QuotesTheDatabaseAndPassesItsName()
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/Statements");

        await _cutover.MakeSourceReadOnlyAsync(runner, "sales]; DROP DATABASE x; --");

        var (query, parameters) = Assert.Single(runner.Calls);
        Assert.Equal(SqlServerQueries.SourceReadOnlyName, query.Name);
        Assert.Contains("ALTER DATABASE [sales]]; DROP DATABASE x; --] SET READ_ONLY WITH ROLLBACK IMMEDIATE;", query.Text, StringComparison.Ordinal);
        Assert.Contains("IF DATABASEPROPERTYEX(@database, 'Updateability') = 'READ_WRITE'", query.Text, StringComparison.Ordinal);
        Assert.Equal("sales]; DROP DATABASE x; --", parameters!["database"]);
    }

    [Fact]
    public async Task MakeSourceWritable_SetsReadWriteOnlyWhenReadOnly()
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/Statements");

        await _cutover.MakeSourceWritableAsync(runner, "sales");

        var query = Assert.Single(runner.Calls).Query;
        Assert.Equal(SqlServerQueries.SourceWritableName, query.Name);
        Assert.Contains("= 'READ_ONLY'", query.Text, StringComparison.Ordinal);
        Assert.Contains("ALTER DATABASE [sales] SET READ_WRITE WITH ROLLBACK IMMEDIATE;", query.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("master")]
    [InlineData("MSDB")]
    [InlineData("tempdb")]
    [InlineData("")]
    public async Task System_databases_and_blank_names_are_refused(string name)
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/Statements");

        await Assert.ThrowsAnyAsync<ArgumentException>(() => _cutover.MakeSourceReadOnlyAsync(runner, name));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _cutover.DropTargetDatabaseAsync(runner, name));
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task CheckTargetSchema_ListsMissingTablesAndTablesHoldingRows()
    {
        var check = await _cutover.CheckTargetSchemaAsync(
            new RecordedQueryRunner("sales", "Cutover/Source"), new RecordedQueryRunner("sales", "Cutover/Target"));

        Assert.Equal(["sales.order lines"], check.MissingTables);
        Assert.Equal(["dbo.orders"], check.TablesWithRows);
        Assert.False(check.HasAllTables);
        Assert.False(check.IsEmpty);
    }

    [Fact]
    public async Task CheckTargetSchema_HonoursTheFilter()
    {
        var check = await _cutover.CheckTargetSchemaAsync(
            new RecordedQueryRunner("sales", "Cutover/Source"), new RecordedQueryRunner("sales", "Cutover/Target"), new TableFilter(["customers"], []));

        Assert.True(check.HasAllTables);
        Assert.True(check.IsEmpty);
    }

    [Fact]
    public async Task EmptyCopiedTables_TouchesOnlyTheListedTablesInOneTransaction()
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/Statements");

        await _cutover.EmptyCopiedTablesAsync(runner, ["dbo.orders", "sales.[order lines]", "DBO.ORDERS"]);

        string text = Assert.Single(runner.Calls).Query.Text;
        Assert.Equal(
            """
            SET XACT_ABORT ON;
            BEGIN TRANSACTION;
            ALTER TABLE [dbo].[orders] NOCHECK CONSTRAINT ALL;
            ALTER TABLE [sales].[order lines] NOCHECK CONSTRAINT ALL;
            DELETE FROM [dbo].[orders];
            DELETE FROM [sales].[order lines];
            ALTER TABLE [dbo].[orders] WITH CHECK CHECK CONSTRAINT ALL;
            ALTER TABLE [sales].[order lines] WITH CHECK CHECK CONSTRAINT ALL;
            COMMIT TRANSACTION;
            """.ReplaceLineEndings(),
            text.ReplaceLineEndings());
    }

    [Fact]
    public async Task EmptyCopiedTables_WithNothingCopied_SendsNothing()
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/Statements");

        await _cutover.EmptyCopiedTablesAsync(runner, []);

        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task EmptyCopiedTables_ReferencedByAnotherTable_FailsPermanently()
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/ReferencedElsewhere");

        var ex = await Assert.ThrowsAsync<PermanentDatabaseProviderException>(() => _cutover.EmptyCopiedTablesAsync(runner, ["dbo.orders"]));

        Assert.Contains("error 547", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fk_invoices_orders", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DropTargetDatabase_RefusesToRunInsideItAndEndsSessionsFirst()
    {
        var runner = new RecordedQueryRunner("sales", "Cutover/Statements");

        await _cutover.DropTargetDatabaseAsync(runner, "sales copy");

        var (query, parameters) = Assert.Single(runner.Calls);
        Assert.Equal(SqlServerQueries.DropDatabaseName, query.Name);
        Assert.Contains("IF DB_NAME() = @database", query.Text, StringComparison.Ordinal);
        Assert.Contains("ALTER DATABASE [sales copy] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;", query.Text, StringComparison.Ordinal);
        Assert.Contains("DROP DATABASE [sales copy];", query.Text, StringComparison.Ordinal);
        Assert.Equal("sales copy", parameters!["database"]);
    }
}

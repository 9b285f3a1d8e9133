using DurableMigration.Manifest;
using DurableMigration.Providers.SqlServer;
using DurableMigration.Providers.Tests.Fixtures;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>The validation's interpretation of recorded result sets: match, count and checksum mismatches narrowed to a key range, keyless tables, missing objects, options off.</summary>
public sealed class SqlServerValidationTests
{
    private static readonly ValidationOptions Both = new(RowCounts: true, Checksums: true);

    [Fact]
    public async Task Identical_sides_pass_and_say_what_was_compared()
    {
        var report = await ValidateAsync(Both, "Validation/Target");

        Assert.True(report.Passed);
        Assert.True(report.Validated);
        Assert.True(report.ComparedRowCounts);
        Assert.True(report.ComparedChecksums);
        Assert.Equal(4, report.ComparedTables);
        Assert.Empty(report.MissingInTarget);
        Assert.Equal("passed: compared 4 table(s) (row counts, checksums)", report.Summary);
        var orders = Assert.Single(report.Tables, t => t.Table == "dbo.orders");
        Assert.Equal((5000L, 5000L, "8812.-1203.99051.42"), (orders.SourceRows, orders.TargetRows, orders.SourceChecksum));
    }

    [Fact]
    public async Task A_changed_value_is_narrowed_to_the_first_differing_key_range()
    {
        var report = await ValidateAsync(Both, "Validation/TargetChangedRow", "Validation/Target");

        Assert.False(report.Passed);
        var orders = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("dbo.orders", orders.Table);
        Assert.Equal(orders.SourceRows, orders.TargetRows);
        Assert.NotEqual(orders.SourceChecksum, orders.TargetChecksum);
        Assert.Equal("rows differ in id 4001..5000", orders.Difference);
        Assert.Equal("FAILED: dbo.orders (rows differ in id 4001..5000)", report.Summary);
    }

    [Fact]
    public async Task Missing_rows_are_narrowed_to_the_first_range_even_though_later_ranges_shift()
    {
        var report = await ValidateAsync(Both, "Validation/TargetMissingRows", "Validation/Target");

        var orders = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal((5000L, 4990L), (orders.SourceRows, orders.TargetRows));
        Assert.Equal("rows differ in id 2001..3000", orders.Difference);
    }

    [Fact]
    public async Task Rows_only_in_the_target_name_the_targets_range_with_a_composite_key()
    {
        var report = await ValidateAsync(Both, "Validation/TargetExtraLine", "Validation/Target");

        var lines = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("sales.order lines", lines.Table);
        Assert.Equal("rows differ in (order_id, line) (5001, 1)..(5001, 1) (only in the target)", lines.Difference);
    }

    [Fact]
    public async Task A_differing_table_without_a_primary_key_says_it_cannot_be_narrowed()
    {
        var source = Source();
        var report = await new SqlServerValidation().ValidateAsync(source, new RecordedQueryRunner("sales", "Validation/TargetEventsDiffer", "Validation/Target"), Both);

        var events = Assert.Single(report.Tables, t => !t.Matches);
        Assert.Equal("dbo.events", events.Table);
        Assert.Equal("no primary key: the differing rows cannot be narrowed down", events.Difference);
        Assert.DoesNotContain(source.Calls, c => c.Query.Name == SqlServerQueries.KeyRangeChecksumsName);
    }

    [Fact]
    public async Task Missing_objects_and_columns_are_listed_and_such_tables_are_not_compared()
    {
        var report = await ValidateAsync(Both, "Validation/TargetMissingObjects", "Validation/Target");

        Assert.False(report.Passed);
        Assert.Equal(
            ["index ix_orders_customer on dbo.orders", "view dbo.v_orders", "column dbo.customers.email (nvarchar)"],
            report.MissingInTarget);
        Assert.DoesNotContain(report.Tables, t => t.Table == "dbo.customers");
        Assert.Equal(3, report.ComparedTables);
        Assert.StartsWith("FAILED: ", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_column_of_another_type_counts_as_missing()
    {
        var report = await ValidateAsync(Both, "Validation/TargetTypeChanged", "Validation/Target");

        Assert.Equal(["column dbo.orders.total (money)"], report.MissingInTarget);
        Assert.DoesNotContain(report.Tables, t => t.Table == "dbo.orders");
    }

    [Fact]
    public async Task With_row_counts_only_no_checksum_is_computed_and_counts_still_narrow()
    {
        var source = Source();
        var report = await new SqlServerValidation().ValidateAsync(source, new RecordedQueryRunner("sales", "Validation/TargetMissingRows", "Validation/Target"), new ValidationOptions(true, false));

        Assert.True(report.ComparedRowCounts);
        Assert.False(report.ComparedChecksums);
        Assert.All(report.Tables, t => Assert.Null(t.SourceChecksum));
        Assert.DoesNotContain(source.Calls, c => c.Query.Name == SqlServerQueries.TableChecksumName);
        Assert.Equal("rows differ in id 2001..3000", Assert.Single(report.Tables, t => !t.Matches).Difference);
    }

    [Fact]
    public async Task With_checksums_only_row_counts_are_reported_as_zero()
    {
        var report = await ValidateAsync(new ValidationOptions(false, true), "Validation/Target");

        Assert.True(report.Passed);
        Assert.Equal("passed: compared 4 table(s) (checksums)", report.Summary);
        Assert.All(report.Tables, t => Assert.Equal((0L, 0L), (t.SourceRows, t.TargetRows)));
    }

    [Fact]
    public async Task With_both_options_off_nothing_is_compared_but_objects_are()
    {
        var source = Source();
        var report = await new SqlServerValidation().ValidateAsync(source, new RecordedQueryRunner("sales", "Validation/TargetMissingObjects", "Validation/Target"), new ValidationOptions(false, false));

        Assert.False(report.Validated);
        Assert.Equal(0, report.ComparedTables);
        Assert.Empty(report.Tables);
        Assert.Equal(3, report.MissingInTarget.Count);
        Assert.Equal([SqlServerQueries.Inventory.Name, SqlServerQueries.Columns.Name], source.Calls.Select(c => c.Query.Name));
    }

    [Fact]
    public async Task Tables_left_behind_by_the_filter_and_their_objects_are_not_required()
    {
        var filter = new TableFilter([], ["dbo.customers", "orders"]);

        var report = await new SqlServerValidation().ValidateAsync(Source(), new RecordedQueryRunner("sales", "Validation/TargetMissingObjects", "Validation/Target"), Both, filter);

        Assert.Equal(["view dbo.v_orders"], report.MissingInTarget);
        Assert.Equal(["dbo.events", "sales.order lines"], report.Tables.Select(t => t.Table));
    }

    [Fact]
    public async Task Both_sides_run_the_same_statement_built_from_the_sources_columns()
    {
        var source = Source();
        var target = new RecordedQueryRunner("sales", "Validation/Target");

        await new SqlServerValidation().ValidateAsync(source, target, Both);

        var sourceTexts = source.Calls.Where(c => c.Query.Name == SqlServerQueries.TableChecksumName).Select(c => c.Query.Text).ToList();
        Assert.Equal(sourceTexts, target.Calls.Where(c => c.Query.Name == SqlServerQueries.TableChecksumName).Select(c => c.Query.Text));
        string orders = Assert.Single(sourceTexts, t => t.Contains("FROM [dbo].[orders] AS x", StringComparison.Ordinal));
        Assert.Contains("CONVERT(nvarchar(max), x.[total], 2)", orders, StringComparison.Ordinal);
        Assert.DoesNotContain("row_version", orders, StringComparison.Ordinal);
        Assert.DoesNotContain("total_with_tax", orders, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mismatch_is_logged_with_the_range()
    {
        var logger = new RecordingLogger<SqlServerValidation>();

        await new SqlServerValidation(null, logger).ValidateAsync(Source(), new RecordedQueryRunner("sales", "Validation/TargetChangedRow", "Validation/Target"), Both);

        Assert.Contains(logger.Lines, l => l.EventId == 324 && l.Message.Contains("rows differ in id 4001..5000", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.EventId == 323 && l.Message.Contains("FAILED", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(5000, 1000)]
    [InlineData(256_000, 1000)]
    [InlineData(1_000_000, 3907)]
    public void Key_ranges_hold_at_least_the_configured_rows_and_number_at_most_256(long rows, long expected)
    {
        Assert.Equal(expected, new SqlServerValidationOptions().BucketRowsFor(rows));
    }

    private static RecordedQueryRunner Source() => new("sales", "Validation/Source");

    private static Task<ValidationReport> ValidateAsync(ValidationOptions options, params string[] targetFolders) =>
        new SqlServerValidation().ValidateAsync(Source(), new RecordedQueryRunner("sales", targetFolders), options);
}

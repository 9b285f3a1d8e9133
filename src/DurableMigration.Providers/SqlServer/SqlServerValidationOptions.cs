namespace DurableMigration.Providers.SqlServer;

/// <summary>Options of <see cref="SqlServerValidation"/>: how finely a differing table is split by key.</summary>
public sealed class SqlServerValidationOptions
{
    /// <summary>Gets or sets how many rows one key range holds at least when a differing table is narrowed down; 1000 unless set.</summary>
    public int BucketRows { get; set; } = 1000;

    /// <summary>Gets or sets how many key ranges a table is split into at most (larger tables get larger ranges); 256 unless set.</summary>
    public int MaxBuckets { get; set; } = 256;

    /// <summary>Gets the rows per range for a table of <paramref name="rows"/> rows: <see cref="BucketRows"/>, or more so that at most <see cref="MaxBuckets"/> ranges result.</summary>
    /// <param name="rows">The source table's rows.</param>
    /// <returns>Rows per range, at least 1.</returns>
    public long BucketRowsFor(long rows) => Math.Max(Math.Max(BucketRows, 1), (rows + Math.Max(MaxBuckets, 1) - 1) / Math.Max(MaxBuckets, 1));
}

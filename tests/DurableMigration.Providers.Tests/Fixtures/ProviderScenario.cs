using DurableMigration.Manifest;
using DurableMigration.Providers.Sqlite;

namespace DurableMigration.Providers.Tests.Fixtures;

/// <summary>One test's world: a temp folder, a source and target path in it, and a provider.</summary>
internal sealed class ProviderScenario : IDisposable
{
    private readonly TempFolder _folder = new();

    /// <param name="progressBatchRows">Rows between two progress reports.</param>
    /// <param name="pageCopy">Copy every database page by page, however small (by default only sources of 64 MiB and more are).</param>
    public ProviderScenario(int progressBatchRows = 50_000, bool pageCopy = false)
    {
        SourcePath = _folder.File("source.db");
        TargetPath = _folder.File(Path.Combine("out", "target.db"));
        Directory.CreateDirectory(Path.GetDirectoryName(TargetPath)!);
        Provider = new SqliteDatabaseProvider(options: new SqliteProviderOptions
        {
            ProgressBatchRows = progressBatchRows,
            PageCopyThresholdBytes = pageCopy ? 0 : new SqliteProviderOptions().PageCopyThresholdBytes,
        });
    }

    public string SourcePath { get; }

    public string TargetPath { get; }

    public SqliteDatabaseProvider Provider { get; }

    public static ValidationOptions Everything { get; } = new(RowCounts: true, Checksums: true);

    public string File(string name) => _folder.File(name);

    public string BuildSource(SocialMediaSource? source = null) => (source ?? new SocialMediaSource()).Build(SourcePath);

    public MigrationEndpoints Endpoints(TableFilter? tables = null) =>
        new("social", Db.ConnectionString(SourcePath), Db.ConnectionString(TargetPath), tables);

    /// <summary>Copies schema and data from source to target.</summary>
    public async Task<DataCopyResult> MigrateAsync(TableFilter? tables = null, IProgress<CopyProgress>? progress = null)
    {
        var endpoints = Endpoints(tables);
        await Provider.CopySchemaAsync(endpoints);
        return await Provider.CopyDataAsync(endpoints, progress ?? new RecordingProgress());
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>Keeps every report, in order, on the reporting thread.</summary>
internal sealed class RecordingProgress : IProgress<CopyProgress>
{
    public List<CopyProgress> Reports { get; } = [];

    public void Report(CopyProgress value) => Reports.Add(value);
}

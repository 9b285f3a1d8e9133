using DurableMigration.Monitoring;

namespace DurableMigration.Providers.Monitoring;

/// <summary>Where migration records go (Azure Monitor through <see cref="BufferedLogsIngestionSink"/>, a file through <see cref="JsonLinesRecordSink"/>).</summary>
/// <remarks>A port: implementations never block and never throw, so recording can never slow down or fail a migration.</remarks>
public interface IMigrationRecordSink
{
    /// <summary>Hands over one record; returns at once, never throws (a record that cannot be kept is dropped and counted).</summary>
    /// <param name="record">The record.</param>
    void Record(MigrationRecord record);
}

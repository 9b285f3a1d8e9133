namespace DurableMigration.Providers;

/// <summary>Where a rollback told to discard the target's writes keeps the target's backup file first (the host's data directory, <c>backups/</c>).</summary>
/// <param name="Path">The directory; created when a backup is written.</param>
public sealed record TargetBackupDirectory(string Path);

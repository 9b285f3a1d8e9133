using DurableMigration.Migration;

namespace DurableMigration.Providers;

/// <summary>Where alerts go: the log always; a webhook or Azure Monitor when configured.</summary>
public interface IAlertSink
{
    /// <summary>Delivers <paramref name="alert"/> to <paramref name="webhook"/> if one is given, and to the log.</summary>
    Task SendAsync(MigrationAlert alert, Uri? webhook, CancellationToken cancellationToken = default);
}

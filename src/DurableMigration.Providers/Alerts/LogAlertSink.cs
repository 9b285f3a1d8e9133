using System.Net.Http.Json;
using DurableMigration.Migration;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.Alerts;

/// <summary>Writes alerts to the log and, when the wave names a webhook, posts them there as JSON.</summary>
/// <remarks>Every host uses it: <c>dmig</c> logs to its data directory's files, the Functions app to Application Insights.</remarks>
/// <param name="logger">Where every alert is logged.</param>
/// <param name="http">The client that posts to webhooks.</param>
public sealed partial class LogAlertSink(ILogger<LogAlertSink> logger, HttpClient http) : IAlertSink
{
    /// <inheritdoc/>
    public async Task SendAsync(MigrationAlert alert, Uri? webhook, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        LogAlert(logger, alert.Kind, alert.WaveId, alert.Database ?? "-", alert.Message);
        if (webhook is null)
        {
            return;
        }

        using var response = await http.PostAsJsonAsync(webhook, alert, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // The activity's retry policy retries; the log keeps the reason (host and status only, not the URL's query).
            throw new HttpRequestException($"The alert webhook at {webhook.Host} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
    }

    [LoggerMessage(EventId = 290, Level = LogLevel.Warning, Message = "Alert {Kind} in wave {WaveId} ({Database}): {Message}")]
    private static partial void LogAlert(ILogger logger, string kind, string waveId, string database, string message);
}

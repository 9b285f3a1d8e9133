using Azure.Core;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Providers.DependencyInjection;

/// <summary>Registers where the orchestrations' migration records go: the forwarding logger provider, metrics, and record sinks.</summary>
public static class MigrationRecordsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MigrationRecordLoggerProvider"/> (the records the orchestrations log go to every registered
    /// <see cref="IMigrationRecordSink"/>) and <see cref="MigrationRecordMetrics"/>; add sinks with the other methods here.
    /// </summary>
    /// <remarks>
    /// A filter rule of this provider lets the records (<see cref="LogLevel.Information"/>, category
    /// <see cref="MigrationRecorder.Category"/>) through whatever minimum level the host's logging sets for other lines.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddMigrationRecords(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, MigrationRecordLoggerProvider>(
            sp => new MigrationRecordLoggerProvider(() => [.. sp.GetServices<IMigrationRecordSink>()])));
        services.Configure<LoggerFilterOptions>(options =>
        {
            if (!options.Rules.Any(r => r.ProviderName == typeof(MigrationRecordLoggerProvider).FullName))
            {
                options.Rules.Add(new LoggerFilterRule(typeof(MigrationRecordLoggerProvider).FullName, MigrationRecorder.Category, LogLevel.Information, null));
            }
        });
        services.TryAddSingleton(sp => new MigrationRecordMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMigrationRecordSink, MigrationRecordMetrics>(sp => sp.GetRequiredService<MigrationRecordMetrics>()));
        return services;
    }

    /// <summary>Adds a record sink; <see cref="AddMigrationRecords"/> too.</summary>
    /// <param name="services">The services.</param>
    /// <param name="sink">Makes the sink (once, on the first record).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddMigrationRecordSink(this IServiceCollection services, Func<IServiceProvider, IMigrationRecordSink> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        services.AddMigrationRecords();
        services.AddSingleton(sink);
        return services;
    }

    /// <summary>Adds a <see cref="JsonLinesRecordSink"/> appending to <paramref name="path"/>; <see cref="AddMigrationRecords"/> too.</summary>
    /// <param name="services">The services.</param>
    /// <param name="path">The JSON-lines file.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddJsonLinesRecords(this IServiceCollection services, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return services.AddMigrationRecordSink(sp => new JsonLinesRecordSink(path, sp.GetService<ILogger<JsonLinesRecordSink>>()));
    }

    /// <summary>
    /// Adds a <see cref="BufferedLogsIngestionSink"/> that uploads the records to Azure Monitor through the Logs Ingestion API
    /// (flushed when the service provider is disposed); <see cref="AddMigrationRecords"/> too.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="client">The client's endpoint, rule and stream (and Azure.Core's retry, transport and diagnostics options).</param>
    /// <param name="credential">The credential of the bearer tokens (<c>DefaultAzureCredential</c> in Azure; needs <i>Monitoring Metrics Publisher</i> on the rule).</param>
    /// <param name="buffer">The buffer's options; the defaults when <see langword="null"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddLogsIngestionRecords(
        this IServiceCollection services, LogsIngestionClientOptions client, TokenCredential credential, BufferedLogsIngestionSinkOptions? buffer = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(credential);
        return services.AddLogsIngestionRecords(_ => new LogsIngestionClient(credential, client), buffer);
    }

    /// <summary>As the other overload, with the client made by <paramref name="client"/> on the first record (a rehearsal's emulator starts late).</summary>
    /// <param name="services">The services.</param>
    /// <param name="client">Makes the Logs Ingestion client, once.</param>
    /// <param name="buffer">The local buffer's bounds and batching; defaults when <c>null</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddLogsIngestionRecords(
        this IServiceCollection services, Func<IServiceProvider, LogsIngestionClient> client, BufferedLogsIngestionSinkOptions? buffer = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        services.AddMigrationRecords();
        services.TryAddSingleton(sp => new BufferedLogsIngestionSink(client(sp), buffer, sp.GetService<ILogger<BufferedLogsIngestionSink>>()));
        services.AddSingleton<IMigrationRecordSink>(sp => sp.GetRequiredService<BufferedLogsIngestionSink>());
        return services;
    }
}

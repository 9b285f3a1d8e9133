using DurableMigration.Engine;
using DurableMigration.Engine.DependencyInjection;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Conformance.Tests.Hosting;

/// <summary>Our embedded runtime (<c>DurableMigration.Engine</c>) on a fresh SQLite task hub in a temporary folder.</summary>
public sealed class EmbeddedRuntime : IConformanceRuntime
{
    /// <inheritdoc/>
    public string Name => Runtimes.Embedded;

    /// <inheritdoc/>
    public async Task<IConformanceHost> StartAsync(
        Action<DurableTaskRegistry> register,
        Action<IServiceCollection>? services = null,
        CancellationToken cancellationToken = default)
    {
        string directory = Path.Combine(Path.GetTempPath(), "dmig-conformance", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services?.Invoke(collection);
        collection.AddDurableEngine(
            o =>
            {
                o.TaskHubPath = Path.Combine(directory, "taskhub.db");
                o.MaxPollingInterval = TimeSpan.FromMilliseconds(100);
            },
            register);
        var provider = collection.BuildServiceProvider();
        var engine = provider.GetRequiredService<DurableEngine>();
        await engine.StartAsync(cancellationToken);
        return new Host(provider, engine, directory);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private sealed class Host(ServiceProvider services, DurableEngine engine, string directory) : IConformanceHost
    {
        public DurableTaskClient Client { get; } = services.GetRequiredService<DurableTaskClient>();

        public async ValueTask DisposeAsync()
        {
            await engine.StopAsync(CancellationToken.None);
            await services.DisposeAsync();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the temporary folder is cleaned by the system later.
            }
        }
    }
}

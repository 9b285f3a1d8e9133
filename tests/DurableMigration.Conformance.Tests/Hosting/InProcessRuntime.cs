using System.Net;
using System.Net.Sockets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Conformance.Tests.Hosting;

/// <summary>
/// Microsoft's in-process runtime: the real SDK worker and gRPC client over the Durable Task Framework
/// with an in-memory orchestration service (<c>Microsoft.DurableTask.InProcessTestHost</c>). It is the
/// reference the other runtimes must match.
/// </summary>
public sealed class InProcessRuntime : IConformanceRuntime
{
    // The in-memory service and the worker log through this factory: warnings and errors only.
    static readonly ILoggerFactory QuietLoggerFactory =
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Warning));

    static InProcessRuntime()
    {
        // The gRPC sidecar is a Host.CreateDefaultBuilder() web host with console logging at Information
        // (every gRPC call, four lines each) that ignores DurableTaskTestHostOptions.LoggerFactory. Its
        // configuration reads environment variables, so raise its level there unless a developer has
        // set one to debug; and skip the appsettings.json file watcher each host would otherwise start.
        SetIfUnset("Logging__LogLevel__Default", "Warning");
        SetIfUnset("DOTNET_hostBuilder__reloadConfigOnChange", "false");
    }

    /// <inheritdoc/>
    public string Name => Runtimes.InProc;

    /// <inheritdoc/>
    public async Task<IConformanceHost> StartAsync(
        Action<DurableTaskRegistry> register,
        Action<IServiceCollection>? services = null,
        CancellationToken cancellationToken = default)
    {
        // The worker's orchestrations log through the options' factory, not the services' one: a scenario that registers
        // logger providers (the migration records') gets a factory of its own, with its services behind it.
        ILoggerFactory? scenarioLogging = services is not null && RegistersLoggerProviders(services)
            ? LoggerFactory.Create(builder =>
            {
                builder.SetMinimumLevel(LogLevel.Warning);
                services(builder.Services);
            })
            : null;

        // The test host picks a random port in 30000-40000 unless told; with tests running in
        // parallel, ask the OS for a free one instead, and retry if another process takes it first.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
                    register,
                    new DurableTaskTestHostOptions
                    {
                        Port = FreeTcpPort(),
                        LoggerFactory = scenarioLogging ?? QuietLoggerFactory,
                        ConfigureServices = services,
                    },
                    cancellationToken);
                return new InProcessHost(host, scenarioLogging);
            }
            catch (IOException) when (attempt < 3)
            {
                // Address already in use: try another port.
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => this.Name;

    static void SetIfUnset(string variable, string value)
    {
        if (Environment.GetEnvironmentVariable(variable) is null)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }

    static int FreeTcpPort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static bool RegistersLoggerProviders(Action<IServiceCollection> services)
    {
        ServiceCollection probe = new();
        services(probe);
        return probe.Any(d => d.ServiceType == typeof(ILoggerProvider));
    }

    sealed class InProcessHost(DurableTaskTestHost inner, ILoggerFactory? logging) : IConformanceHost
    {
        public DurableTaskClient Client => inner.Client;

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            logging?.Dispose();
        }
    }
}

using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Conformance.Tests.Hosting;

/// <summary>
/// A Durable Task runtime the conformance scenarios run on. Each implementation starts an isolated
/// task hub (no instances shared with any other host) with the orchestrators and activities a
/// scenario registers, and hands back a <see cref="DurableTaskClient"/> for it.
/// </summary>
public interface IConformanceRuntime
{
    /// <summary>Short name shown in test names, e.g. <c>inproc</c> or <c>embedded</c>.</summary>
    string Name { get; }

    /// <summary>Starts a fresh, empty task hub with the given registrations; dispose the host to stop it.</summary>
    Task<IConformanceHost> StartAsync(
        Action<DurableTaskRegistry> register,
        Action<IServiceCollection>? services = null,
        CancellationToken cancellationToken = default);
}

/// <summary>A running task hub with its worker and a client.</summary>
public interface IConformanceHost : IAsyncDisposable
{
    /// <summary>The client every scenario schedules, waits on and manages instances through.</summary>
    DurableTaskClient Client { get; }
}

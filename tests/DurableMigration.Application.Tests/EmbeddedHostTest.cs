using DurableMigration.Host.Hosting;
using DurableMigration.Host.Tests;

namespace DurableMigration.Application.Tests;

/// <summary>A test class's own embedded runtime (a real SQLite task hub in a temporary data directory) and real SQLite sources.</summary>
public abstract class EmbeddedHostTest : IAsyncLifetime, IDisposable
{
    private DmigHost? _host;

    /// <summary>Gets the runtime; its engine runs once a test starts it.</summary>
    private protected DmigHost Host => _host!;

    /// <summary>Gets the folder of sources, targets and manifests.</summary>
    private protected WaveWorkspace Workspace { get; } = new();

    /// <inheritdoc/>
    public Task InitializeAsync()
    {
        _host = DmigHost.Create(Workspace.DataDirectory);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Workspace.Dispose();
        GC.SuppressFinalize(this);
    }
}

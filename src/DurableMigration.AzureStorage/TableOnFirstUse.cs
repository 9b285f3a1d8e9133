using Azure.Data.Tables;

namespace DurableMigration.AzureStorage;

/// <summary>Creates a table the first time it is used, once, whoever uses it first: the shared stores create their own tables.</summary>
/// <param name="table">The table.</param>
internal sealed class TableOnFirstUse(TableClient table) : IDisposable
{
    private readonly SemaphoreSlim _creating = new(1, 1);
    private volatile bool _created;

    /// <summary>Creates the table unless this instance already made sure it exists.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _creating.Release();
        }
    }

    public void Dispose() => _creating.Dispose();
}

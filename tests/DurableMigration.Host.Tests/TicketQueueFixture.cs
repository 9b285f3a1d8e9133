using System.Text;
using Azure.Storage.Queues;
using DurableMigration.Testing;

namespace DurableMigration.Host.Tests;

/// <summary>One <c>dmig serve --queue</c> reading a queue of its own on a real Azurite, with the HTTP API beside it.</summary>
public sealed class TicketQueueFixture : ServeFixture
{
    private AzuriteServer? _azurite;

    /// <summary>Gets the queue this serve reads.</summary>
    public QueueClient Queue { get; private set; } = null!;

    /// <summary>Gets its poison queue.</summary>
    public QueueClient Poison { get; private set; } = null!;

    /// <summary>Gets Azurite's connection string.</summary>
    public string ConnectionString => _azurite!.ConnectionString;

    /// <summary>Sends a message as a ticketing system would: base64, as the Functions queue trigger expects.</summary>
    public Task SendTicketAsync(string message) =>
        Queue.SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(message)));

    /// <summary>The poison queue's messages, decoded, once it holds <paramref name="count"/> (it is never emptied).</summary>
    public async Task<List<string>> WaitForPoisonAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var messages = (await Poison.PeekMessagesAsync(32, timeout.Token)).Value;
            if (messages.Length >= count)
            {
                return [.. messages.Select(m => Decode(m.Body.ToString()))];
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Waits until the queue holds no message (visible or hidden).</summary>
    public async Task WaitForQueueDrainedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((await Queue.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount > 0)
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <inheritdoc/>
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    protected override async Task<string[]> ExtraArgumentsAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        string name = "tickets-" + Guid.NewGuid().ToString("N")[..12];
        var service = new QueueServiceClient(_azurite.ConnectionString);
        Queue = service.GetQueueClient(name);
        Poison = service.GetQueueClient(name + "-poison");
        // Retried at once, so a message that can never succeed reaches the poison queue within the test.
        return ["--queue", _azurite.ConnectionString, "--queue-name", name, "--queue-retry-delay", "10ms"];
    }

    private static string Decode(string body)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(body));
        }
        catch (FormatException)
        {
            return body;
        }
    }
}

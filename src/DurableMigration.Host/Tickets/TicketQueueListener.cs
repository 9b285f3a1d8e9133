using System.Text;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using DurableMigration.Application.Tickets;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Host.Tickets;

/// <summary>How <c>dmig serve --queue</c> reads a ticket queue: the settings of the Functions app's queue trigger (host.json <c>extensions.queues</c>).</summary>
/// <param name="QueueName">The queue; its poison queue is <c>&lt;queue&gt;-poison</c>.</param>
/// <param name="BatchSize">Messages taken per receive.</param>
/// <param name="MaxDequeueCount">Attempts before a message goes to the poison queue.</param>
/// <param name="VisibilityTimeout">How long a failed message stays hidden before its next attempt.</param>
/// <param name="MaxPollingInterval">The longest wait between receives while the queue is empty.</param>
internal sealed record TicketQueueOptions(
    string QueueName,
    int BatchSize = 16,
    int MaxDequeueCount = 5,
    TimeSpan VisibilityTimeout = default,
    TimeSpan? MaxPollingInterval = null)
{
    /// <summary>The queue the Functions app and <c>dmig serve</c> read unless told otherwise.</summary>
    public const string DefaultQueueName = "migration-requests";

    /// <summary>How long a failed message stays hidden before its next attempt, as host.json's <c>queues.visibilityTimeout</c>: time for an approval that came early to apply.</summary>
    public static readonly TimeSpan DefaultVisibilityTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Gets the poison queue's name, as the Functions host names it.</summary>
    public string PoisonQueueName => QueueName + "-poison";
}

/// <summary>
/// Reads ticket messages from an Azure Storage queue with the Functions queue trigger's semantics: base64 messages, a
/// message hidden while it is handled, retried after <see cref="TicketQueueOptions.VisibilityTimeout"/> when it fails,
/// and moved to <c>&lt;queue&gt;-poison</c> on its <see cref="TicketQueueOptions.MaxDequeueCount"/>th failed attempt.
/// </summary>
internal sealed class TicketQueueListener(QueueServiceClient service, TicketQueueOptions options, TicketIntake intake, ILogger<TicketQueueListener> logger)
{
    /// <summary>How long a message stays hidden while it is handled; handling only records requests, so it takes seconds.</summary>
    private static readonly TimeSpan Processing = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    // Raw bodies: a message that is not base64 is a failed message like any other, not a receive that fails for all.
    private readonly QueueClient _queue = service.GetQueueClient(options.QueueName);
    private readonly QueueClient _poison = service.GetQueueClient(options.PoisonQueueName);

    /// <summary>Gets the queue's URI without credentials, to say what is being read.</summary>
    public Uri QueueUri => new UriBuilder(_queue.Uri) { Query = string.Empty }.Uri;

    /// <summary>Creates the queue and its poison queue when missing; fails with the storage service's reason when the account cannot be reached.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Receives and handles messages until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var maxPolling = options.MaxPollingInterval ?? TimeSpan.FromSeconds(2);
        var wait = MinPollingInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await _queue.ReceiveMessagesAsync(options.BatchSize, Processing, cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException ex)
            {
                logger.LogWarning("Reading ticket queue {Queue} failed ({Status} {Code}); trying again.", options.QueueName, ex.Status, ex.ErrorCode);
                messages = [];
            }

            foreach (var message in messages)
            {
                await HandleAsync(message, cancellationToken).ConfigureAwait(false);
            }

            // Back off while the queue is empty, as the Functions host does; read again at once while it has work.
            wait = messages.Length > 0 ? MinPollingInterval : TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, maxPolling.Ticks));
            if (messages.Length == 0)
            {
                try
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        string? failure;
        try
        {
            failure = Decode(message) is { } text ? await HandleTextAsync(message, text, cancellationToken).ConfigureAwait(false) : "the message is not base64 (queue messages are base64, as for the Functions queue trigger)";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the message reappears after its visibility timeout and is handled then.
            return;
        }
#pragma warning disable CA1031 // A failed message is retried and then set aside; it must never stop the listener.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = $"{ex.GetType().Name}: {ex.Message}";
        }

        if (failure is null)
        {
            await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        if (message.DequeueCount >= options.MaxDequeueCount)
        {
            // As the Functions host does: the message as it was, to <queue>-poison, then off the queue.
            await _poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
            logger.LogError("Ticket message {MessageId} failed {Count} times and was moved to {Poison}: {Failure}", message.MessageId, message.DequeueCount, options.PoisonQueueName, failure);
            return;
        }

        await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.VisibilityTimeout, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        logger.LogWarning("Ticket message {MessageId} failed (attempt {Count} of {Max}): {Failure}", message.MessageId, message.DequeueCount, options.MaxDequeueCount, failure);
    }

    /// <summary>Handles a message's text; returns why it failed, or <c>null</c> when it was carried out (or had been).</summary>
    private async Task<string?> HandleTextAsync(QueueMessage message, string text, CancellationToken cancellationToken)
    {
        var result = await intake.HandleAsync(text, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case TicketOutcome.Done:
                logger.LogInformation("Ticket {Ticket} ({Action}) from queue message {MessageId}: {Done}", result.Request!.Ticket.Id, result.Request.ActionName, message.MessageId, result.Receipt!.Done);
                return null;
            case TicketOutcome.Duplicate:
                logger.LogInformation("Ticket {Ticket} ({Action}) from queue message {MessageId} was handled before ({Done}); nothing done again", result.Request!.Ticket.Id, result.Request.ActionName, message.MessageId, result.Receipt!.Done);
                return null;
            default:
                var refusal = result.Refusal!;
                string errors = string.Join("; ", refusal.Errors.Select(e => e.ToString()));
                return $"{(result.Request is { } request ? $"ticket {request.Ticket.Id} ({request.ActionName}): " : string.Empty)}{refusal.Title}: {refusal.Detail}{(errors.Length > 0 ? " " + errors : string.Empty)}";
        }
    }

    private static string? Decode(QueueMessage message)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

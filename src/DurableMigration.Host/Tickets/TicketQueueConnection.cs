using Azure.Storage.Queues;

namespace DurableMigration.Host.Tickets;

/// <summary>The connection of <c>dmig serve --queue</c>: a storage connection string, or <c>env:NAME</c> naming the variable that holds one.</summary>
internal static class TicketQueueConnection
{
    /// <summary>Opens the queue service, or says what is wrong without repeating the connection string (it holds the account key).</summary>
    public static QueueServiceClient? Open(string connection, out string? problem)
    {
        problem = null;
        string value = connection;
        if (connection.StartsWith("env:", StringComparison.Ordinal))
        {
            string name = connection[4..];
            if (Environment.GetEnvironmentVariable(name) is not { Length: > 0 } fromEnvironment)
            {
                problem = $"--queue {connection}: the environment variable {name} is not set.";
                return null;
            }

            value = fromEnvironment;
        }

        try
        {
            // Raw bodies: the listener decodes base64 itself, so one bad message cannot fail a whole receive.
            return new QueueServiceClient(value, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            problem = "--queue is not a storage connection string (AccountName=…;AccountKey=…;QueueEndpoint=… or UseDevelopmentStorage=true), nor env:NAME.";
            return null;
        }
    }
}

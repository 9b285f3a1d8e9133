using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using DurableTask.AzureStorage;

namespace DurableMigration.Backends.AzureStorage;

/// <summary>A storage account, named by a connection string (Azurite: <c>UseDevelopmentStorage=true</c>) or by its URI with a token credential.</summary>
/// <remarks>
/// <see cref="ToString"/> names the account only: a connection string carries the account key, so it never appears in
/// logs, errors or status output.
/// </remarks>
public sealed class StorageAccount
{
    private readonly string? _connectionString;
    private readonly Uri? _blob;
    private readonly Uri? _queue;
    private readonly Uri? _table;
    private readonly TokenCredential? _credential;

    private StorageAccount(string? connectionString, Uri? blob, Uri? queue, Uri? table, TokenCredential? credential, string description)
    {
        _connectionString = connectionString;
        _blob = blob;
        _queue = queue;
        _table = table;
        _credential = credential;
        Description = description;
    }

    /// <summary>Gets a description without secrets: the account name or endpoint.</summary>
    public string Description { get; }

    /// <summary>An account named by a connection string.</summary>
    public static StorageAccount FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        string account = connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)
            ? "devstoreaccount1 (Azurite)"
            : Field(connectionString, "AccountName") ?? "the account of the connection string";
        if (Field(connectionString, "TableEndpoint") is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.IsLoopback)
        {
            account += $" on {uri.Host}";
        }

        return new StorageAccount(connectionString, null, null, null, null, account);
    }

    /// <summary>
    /// An account named by its URI (<c>https://acct.blob.core.windows.net</c>, or any of its service endpoints, or just the
    /// account name), authenticated with <paramref name="credential"/> (default: <see cref="DefaultAzureCredential"/>, which
    /// covers managed identity, workload identity, the Azure CLI and environment variables).
    /// </summary>
    public static StorageAccount FromAccountUri(Uri accountUri, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(accountUri);
        string host = accountUri.Host;
        int dot = host.IndexOf('.', StringComparison.Ordinal);
        string[] services = ["blob", "queue", "table"];
        Uri Endpoint(string service)
        {
            // acct.blob.core.windows.net -> acct.<service>.core.windows.net; other hosts (sovereign clouds) keep their suffix.
            if (dot > 0 && host[(dot + 1)..] is var rest && services.Any(s => rest.StartsWith(s + ".", StringComparison.OrdinalIgnoreCase)))
            {
                string suffix = rest[(rest.IndexOf('.', StringComparison.Ordinal) + 1)..];
                return new Uri($"{accountUri.Scheme}://{host[..dot]}.{service}.{suffix}");
            }

            throw new ArgumentException($"'{accountUri}' is not a storage account URI such as https://<account>.blob.core.windows.net.", nameof(accountUri));
        }

        return new StorageAccount(null, Endpoint("blob"), Endpoint("queue"), Endpoint("table"), credential ?? new DefaultAzureCredential(), host[..Math.Max(dot, 0)]);
    }

    /// <summary>
    /// Parses what a user gives: an account URI (<c>https://…</c>), an account name (letters and digits) or a connection
    /// string (anything with <c>=</c>).
    /// </summary>
    /// <exception cref="ArgumentException">It is none of these; the message does not repeat the value.</exception>
    public static StorageAccount Parse(string value, TokenCredential? credential = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        string trimmed = value.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && !trimmed.Contains(';', StringComparison.Ordinal))
        {
            return FromAccountUri(uri, credential);
        }

        if (trimmed.Length is >= 3 and <= 24 && trimmed.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            return FromAccountUri(new Uri($"https://{trimmed}.blob.core.windows.net"), credential);
        }

        if (trimmed.Contains('=', StringComparison.Ordinal))
        {
            return FromConnectionString(trimmed);
        }

        throw new ArgumentException("The storage connection is neither a connection string, an account URI (https://<account>.blob.core.windows.net) nor an account name.", nameof(value));
    }

    /// <summary>The Durable Task Framework's client provider for this account.</summary>
    public StorageAccountClientProvider CreateClientProvider() => _connectionString is not null
        ? new StorageAccountClientProvider(_connectionString)
        : new StorageAccountClientProvider(_blob!, _queue!, _table!, _credential!);

    /// <summary>A table service client of this account (for stores that share the hub's account, such as copy progress).</summary>
    public TableServiceClient CreateTableServiceClient() => _connectionString is not null
        ? new TableServiceClient(_connectionString)
        : new TableServiceClient(_table!, _credential!);

    /// <inheritdoc/>
    public override string ToString() => Description;

    private static string? Field(string connectionString, string name) =>
        connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(kv => kv.Length == 2 && string.Equals(kv[0], name, StringComparison.OrdinalIgnoreCase))
            .Select(kv => kv[1])
            .FirstOrDefault();
}

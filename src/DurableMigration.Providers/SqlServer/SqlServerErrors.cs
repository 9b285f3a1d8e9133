namespace DurableMigration.Providers.SqlServer;

/// <summary>Turns SQL Server error numbers into provider exceptions: retriable or not, one line, naming the problem, never the connection string.</summary>
internal static class SqlServerErrors
{
    /// <summary>Login failed for the user.</summary>
    public const int LoginFailed = 18456;

    /// <summary>Cannot open the database requested by the login.</summary>
    public const int CannotOpenDatabase = 4060;

    /// <summary>The client's address is not allowed by the server's firewall (Azure SQL).</summary>
    public const int FirewallRefused = 40615;

    /// <summary>A command or connection timeout (SqlClient's own number).</summary>
    public const int Timeout = -2;

    /// <summary>The server's permission errors: denied on an object, a database or a server-level view (msdb, <c>sys.servers</c>, DBCC).</summary>
    private static readonly HashSet<int> PermissionDenied = [229, 230, 262, 297, 300, 916, 2571, 15247];

    /// <summary>
    /// The whitelist the runner retries with backoff: deadlock victim (1205), Azure SQL failover, throttling and
    /// resource limits (40613, 40197, 40501, 40143, 40540, 49918, 49919, 49920, 10928, 10929, 4221), a database briefly
    /// unavailable during failover (4060, retried, then permanent), timeouts (-2), and broken transport (64, 233, 10053,
    /// 10054, 10060, 20).
    /// </summary>
    private static readonly HashSet<int> Transient =
    [
        1205, 40613, 40197, 40501, 40143, 40540, 49918, 49919, 49920, 10928, 10929, 4221,
        CannotOpenDatabase, Timeout, 64, 233, 10053, 10054, 10060, 20,
    ];

    /// <summary>Connection failures before any server answered: host not found, no route, instance not found.</summary>
    private static readonly HashSet<int> Unreachable = [-1, 2, 26, 40, 53, 35, 10061, 10065, 11001, 11004];

    /// <summary>The key under which translated exceptions keep the SQL Server error number in <see cref="Exception.Data"/>.</summary>
    public const string ErrorNumberKey = "sqlserver.error-number";

    /// <summary>Gets the SQL Server error number a translated exception carries, or <c>null</c>.</summary>
    public static int? NumberOf(Exception exception) => exception.Data[ErrorNumberKey] as int?;

    /// <summary>
    /// The number to judge a failure by: SqlClient's managed network layer (Linux, and Windows without the native SNI)
    /// reports a refused or unresolvable server as error 0 ("A network-related or instance-specific error ..."), which is
    /// read as -1, server not reachable, when it happened while the connection was opening.
    /// </summary>
    /// <param name="number">The exception's <c>Number</c>.</param>
    /// <param name="whileOpening">Whether the connection was being opened.</param>
    /// <returns>The number to translate.</returns>
    public static int EffectiveNumber(int number, bool whileOpening) => number == 0 && whileOpening ? -1 : number;

    /// <summary>Tells whether the runner retries error <paramref name="number"/>.</summary>
    public static bool IsTransient(int number) => Transient.Contains(number);

    /// <summary>Tells whether error <paramref name="number"/> means the login may not read what was asked.</summary>
    public static bool IsPermissionDenied(int number) => PermissionDenied.Contains(number);

    /// <summary>
    /// Translates error <paramref name="number"/> (raised by statement <paramref name="query"/>, once the runner's retries
    /// are spent) into what the caller should see. Connection problems get their own message and never the server's text;
    /// other errors carry the server's one-line message with <paramref name="secrets"/> removed.
    /// </summary>
    /// <param name="number">The SQL Server error number (SqlClient's <c>SqlException.Number</c>).</param>
    /// <param name="serverMessage">The server's message, or <c>null</c>.</param>
    /// <param name="database">The database's name in the wave.</param>
    /// <param name="query">The statement's name.</param>
    /// <param name="secrets">Texts that must not appear (the password).</param>
    /// <returns>A <see cref="PermanentDatabaseProviderException"/> when retrying cannot help, else a <see cref="DatabaseProviderException"/>.</returns>
    public static DatabaseProviderException Translate(int number, string? serverMessage, string database, string query, params string?[] secrets)
    {
        string prefix = $"Database '{database}': SQL Server statement {query} failed";
        var translated = Create(number, serverMessage, database, prefix, secrets);
        translated.Data[ErrorNumberKey] = number;
        return translated;
    }

    private static DatabaseProviderException Create(int number, string? serverMessage, string database, string prefix, string?[] secrets)
    {
        return number switch
        {
            LoginFailed or 18452 or 18470 or 18486 or 18487 or 18488 => new PermanentDatabaseProviderException(
                database,
                $"{prefix}: login failed (error {number}). Check the user and password of the connection, and that the login is enabled and not locked."),
            CannotOpenDatabase => new PermanentDatabaseProviderException(
                database,
                $"{prefix}: cannot open the database named in the connection (error {number}). Check the database name, that it is online, and that the login has a user in it."),
            FirewallRefused => new PermanentDatabaseProviderException(
                database,
                $"{prefix}: the server's firewall refused this client's address (error {number}). Add a firewall rule for it."),
            _ when Unreachable.Contains(number) => new DatabaseProviderException(
                database,
                $"{prefix}: the server was not found or not reachable (error {number}). Check the server name, port and instance name, and the network path. The step is retryable."),
            Timeout => new DatabaseProviderException(
                database,
                $"{prefix}: the command or connection timed out (error {number}). The step is retryable; raise the command timeout for large databases."),
            _ when IsPermissionDenied(number) => new PermanentDatabaseProviderException(
                database,
                $"{prefix}: permission denied (error {number}): {Describe(serverMessage, secrets)}. Grant the login the permission named, or use a login that has it."),
            _ when IsTransient(number) => new DatabaseProviderException(
                database,
                $"{prefix}: transient error {number}: {Describe(serverMessage, secrets)}. The step is retryable."),
            _ => new PermanentDatabaseProviderException(
                database,
                $"{prefix}: error {number}: {Describe(serverMessage, secrets)}"),
        };
    }

    /// <summary>The server's message on one line, at most 400 characters, with every secret replaced.</summary>
    public static string Describe(string? message, params string?[] secrets)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "no message";
        }

        string text = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (string? secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "<secret>", StringComparison.Ordinal);
            }
        }

        return text.Length <= 400 ? text : text[..400] + "...";
    }
}

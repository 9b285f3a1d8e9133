using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Http;

namespace DurableMigration.AzureEmulators;

/// <summary>
/// A loopback Azure Database Migration Service: Resource Manager's <c>Microsoft.DataMigration/databaseMigrations</c> routes at
/// api-version <see cref="ApiVersion"/>, over HTTPS with a self-signed certificate made at start, with the service's state machine.
/// </summary>
/// <remarks>
/// <para>Routes, as in the REST specification (<c>sqlmigration.json</c>):
/// <c>PUT|GET|DELETE {target}/providers/Microsoft.DataMigration/databaseMigrations/{db}</c> and <c>POST .../cutover</c>, <c>POST .../cancel</c>,
/// where <c>{target}</c> is <c>/subscriptions/{s}/resourceGroups/{rg}/providers/</c> <c>Microsoft.Sql/servers/{n}</c>,
/// <c>Microsoft.Sql/managedInstances/{n}</c> or <c>Microsoft.SqlVirtualMachine/sqlVirtualMachines/{n}</c> (no cutover, no delete but for servers,
/// as in the spec); long-running operations at <c>/subscriptions/{s}/providers/Microsoft.DataMigration/locations/emulator/operationStatuses/{id}</c>
/// (<c>Azure-AsyncOperation</c>) and <c>.../operationResults/{id}</c> (<c>Location</c>, with <see cref="UseLocationHeader"/>); and
/// <c>GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataMigration/sqlMigrationServices/{name}</c>. At <see cref="SqlApiVersion"/>,
/// the target databases: <c>GET|PUT|DELETE {server or managed instance}/databases/{db}</c>, the delete long-running through
/// <c>/subscriptions/{s}/providers/Microsoft.Sql/locations/emulator/managedDatabaseAzureAsyncOperation/{id}</c> (<c>Azure-AsyncOperation</c>, left out
/// with <see cref="UseLocationHeader"/>) and <c>.../managedDatabaseOperationResults/{id}</c> (<c>Location</c>).</para>
/// <para>State machine: a PUT answers 201 with <c>provisioningState</c> <c>Creating</c>, <c>migrationStatus</c> <c>InProgress</c> and an operation
/// that reports <c>InProgress</c> for <see cref="OperationPolls"/> polls, then <c>Succeeded</c> (provisioning <c>Succeeded</c>). From then on every
/// read of the migration advances it. Azure SQL Database: after <see cref="PollsPerStep"/> reads it is <c>Succeeded</c>; on the way the tables'
/// rows read and copied grow and they finish one after another, with a throughput while they copy. Managed instance and VM: the full backup is
/// restored after <see cref="PollsPerStep"/> reads, then the <see cref="LogBackups"/> log backups, one per <see cref="PollsPerLogBackup"/> reads
/// (all at once when 0), <c>pendingLogBackupsCount</c> going down; once none is pending an offline migration is <c>Succeeded</c> and an online
/// one <c>ReadyForCutover</c> (cutover is accepted from the full backup's restore on, as the service allows). Restore details carry the
/// backup sets (<c>fullBackupSetInfo</c>, <c>lastRestoredBackupSetInfo</c>, <c>activeBackupSets</c> with file sizes and backup times).
/// Cutover goes <c>Completing</c> then <c>Succeeded</c>; cancel <c>Canceling</c> then <c>Canceled</c>, each through an operation.</para>
/// <para>A managed instance migration's create makes the target database (<c>status</c> <c>Restoring</c>), and is refused (400
/// <c>ManagedDatabaseNameInUse</c>, Microsoft.Sql's code for the name in use) when that database exists; a cutover or an offline migration's end brings it <c>Online</c>; a cancel or a
/// failure leaves it <c>Restoring</c> (partially created). <see cref="AddDatabase"/> adds a database that existed before.</para>
/// <para>Every request needs a bearer token and the pinned api-version (401, 400 with an ARM error body otherwise). Knobs: <see cref="Throttle"/>
/// (429 with <c>Retry-After</c>), <see cref="FailNextRequest"/>, <see cref="FailNextOperation"/>, <see cref="FailMigration"/>, and the poll counts.
/// Responses never echo passwords or account keys, as the service does not.</para>
/// </remarks>
public sealed partial class DmsEmulator : IAsyncDisposable
{
    /// <summary>The api-version the emulator accepts: the client's and Microsoft's Python client's.</summary>
    public const string ApiVersion = "2022-03-30-preview";

    /// <summary>The <c>Microsoft.Sql</c> api-version the database routes accept (the client's <c>SqlApiVersion</c>).</summary>
    public const string SqlApiVersion = "2021-11-01";

    private static readonly string[] SecretNames = ["password", "accountKey"];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Migration> _migrations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Operation> _operations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SqlDatabase> _databases = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<RecordedRequest> _requests = [];
    private readonly Queue<(int Status, string Code, string Message)> _failures = new();
    private readonly Queue<(string Code, string Message)> _operationFailures = new();
    private LoopbackHttpsServer? _server;
    private int _throttled;
    private int _throttleRetryAfter;

    private DmsEmulator()
    {
    }

    /// <summary>Gets the emulator's base address (<c>https://127.0.0.1:{port}/</c>): the client's Resource Manager endpoint.</summary>
    public Uri Endpoint => Server.Endpoint;

    /// <summary>Gets the self-signed certificate the emulator serves (for 127.0.0.1 and localhost).</summary>
    public X509Certificate2 Certificate => Server.Certificate;

    /// <summary>Gets a credential handing out a fixed dummy bearer token.</summary>
    public static TokenCredential Credential { get; } = LoopbackHttpsServer.StaticCredential("dms-emulator-token");

    /// <summary>Gets or sets how many reads of a provisioned migration it takes to finish copying (offline) or to be ready for cutover (online); 2 unless set.</summary>
    public int PollsPerStep { get; set; } = 2;

    /// <summary>Gets or sets how many polls a long-running operation reports <c>InProgress</c> before it ends; 1 unless set.</summary>
    public int OperationPolls { get; set; } = 1;

    /// <summary>Gets or sets the <c>Retry-After</c> seconds sent with long-running operations; 0 unless set.</summary>
    public int RetryAfterSeconds { get; set; }

    /// <summary>Gets or sets whether long-running operations answer with a <c>Location</c> header instead of <c>Azure-AsyncOperation</c>.</summary>
    public bool UseLocationHeader { get; set; }

    /// <summary>Gets or sets the <c>integrationRuntimeState</c> of every migration service; <c>Online</c> unless set. Creates fail with 400 <c>IntegrationRuntimeIsNotOnline</c> otherwise.</summary>
    public string IntegrationRuntimeState { get; set; } = "Online";

    /// <summary>Gets or sets another host name for the operation URLs (<c>localhost</c>, say), to test that clients refuse to follow them; the endpoint's unless set.</summary>
    public string? OperationHost { get; set; }

    /// <summary>
    /// Gets or sets whether a create answers without <c>Azure-AsyncOperation</c> or <c>Location</c>: clients then poll the resource's
    /// <c>provisioningState</c>, and each read counts as a poll of the creation.
    /// </summary>
    public bool OmitCreateOperationHeaders { get; set; }

    /// <summary>
    /// Gets or sets whether every Azure SQL Database (<c>Microsoft.Sql/servers/{server}/databases/{db}</c>) a request names exists, as
    /// <c>Online</c>, without <see cref="AddDatabase"/>: for a rehearsal, where the real target database is on a SQL Server the
    /// emulator cannot see. <see langword="false"/> unless set.
    /// </summary>
    public bool AssumeServerDatabasesExist { get; set; }

    /// <summary>Gets or sets the rows each table of an Azure SQL Database migration holds; 1000 unless set.</summary>
    public long RowsPerTable { get; set; } = 1000;

    /// <summary>Gets or sets how many log backups a managed instance or VM migration finds after its full backup; 2 unless set.</summary>
    public int LogBackups { get; set; } = 2;

    /// <summary>
    /// Gets or sets how many reads it takes to restore each log backup once the full backup is restored; 0 (unless set) restores them
    /// all with the full backup. Above 0, an online migration is <c>InProgress</c> with the full backup restored (cutover allowed) and
    /// <c>pendingLogBackupsCount</c> going down one per that many reads, then <c>ReadyForCutover</c>.
    /// </summary>
    public int PollsPerLogBackup { get; set; }

    /// <summary>Gets or sets the size of the full backup file, bytes; 64 MiB unless set.</summary>
    public long FullBackupBytes { get; set; } = 64L << 20;

    /// <summary>Gets or sets the size of each log backup file, bytes; 1 MiB unless set.</summary>
    public long LogBackupBytes { get; set; } = 1L << 20;

    /// <summary>Gets how many requests were answered 429 so far (<see cref="Throttle"/>).</summary>
    public int ThrottledResponses { get; private set; }

    /// <summary>Gets every request received, in order, with its body as sent.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    private LoopbackHttpsServer Server => _server ?? throw new InvalidOperationException("The emulator is not started.");

    /// <summary>Starts an emulator on a free loopback port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static async Task<DmsEmulator> StartAsync(CancellationToken cancellationToken = default)
    {
        var emulator = new DmsEmulator();
        emulator._server = await LoopbackHttpsServer.StartAsync("DMS emulator", emulator.HandleAsync, cancellationToken: cancellationToken);
        return emulator;
    }

    /// <summary>An Azure.Core transport that trusts this emulator's certificate (and nothing else).</summary>
    /// <returns>The transport, for <c>ClientOptions.Transport</c>.</returns>
    public HttpClientTransport CreateTransport() => Server.CreateTransport();

    /// <summary>An HTTP handler that trusts this emulator's certificate (and nothing else).</summary>
    /// <returns>The handler.</returns>
    public HttpClientHandler CreateHandler() => Server.CreateHandler();

    /// <summary>Writes the certificate as PEM, for clients that read a CA bundle (Python's <c>connection_verify</c>).</summary>
    /// <param name="path">The file to write.</param>
    public void WriteCertificatePem(string path) => Server.WriteCertificatePem(path);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Answers the next <paramref name="count"/> requests with 429 <c>TooManyRequests</c> and <c>Retry-After: </c><paramref name="retryAfterSeconds"/>.</summary>
    /// <param name="count">How many requests to throttle.</param>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> to send.</param>
    public void Throttle(int count, int retryAfterSeconds = 1)
    {
        lock (_gate)
        {
            _throttled = count;
            _throttleRetryAfter = retryAfterSeconds;
        }
    }

    /// <summary>Answers the next request (after authentication) with <paramref name="status"/> and an ARM error body.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">The error code.</param>
    /// <param name="message">The error message.</param>
    public void FailNextRequest(int status, string code, string message)
    {
        lock (_gate)
        {
            _failures.Enqueue((status, code, message));
        }
    }

    /// <summary>Makes the next long-running operation (create, cutover, cancel) end <c>Failed</c> with this error.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The error message.</param>
    public void FailNextOperation(string code, string message)
    {
        lock (_gate)
        {
            _operationFailures.Enqueue((code, message));
        }
    }

    /// <summary>Makes a migration fail on its next read: <c>migrationStatus</c> <c>Failed</c> with a <c>migrationFailureError</c>.</summary>
    /// <param name="targetDatabaseName">The migration's name.</param>
    /// <param name="code">The error code.</param>
    /// <param name="message">The error message.</param>
    public void FailMigration(string targetDatabaseName, string code, string message)
    {
        lock (_gate)
        {
            foreach (Migration migration in _migrations.Values.Where(m => string.Equals(m.Name, targetDatabaseName, StringComparison.OrdinalIgnoreCase)))
            {
                migration.PendingFailure = (code, message);
            }
        }
    }

    /// <summary>The current <c>migrationStatus</c> of a migration, without advancing it; <see langword="null"/> when there is none.</summary>
    /// <param name="targetDatabaseName">The migration's name.</param>
    /// <returns>The status.</returns>
    public string? MigrationStatusOf(string targetDatabaseName)
    {
        lock (_gate)
        {
            return _migrations.Values.FirstOrDefault(m => string.Equals(m.Name, targetDatabaseName, StringComparison.OrdinalIgnoreCase))?.MigrationStatus;
        }
    }

    /// <summary>Adds a database under a logical server or managed instance, as if it existed before any migration (<c>status</c> <c>Online</c>).</summary>
    /// <param name="targetResourceId">The server's or managed instance's resource id (a target's <c>ScopeId</c>).</param>
    /// <param name="databaseName">The database's name.</param>
    public void AddDatabase(string targetResourceId, string databaseName)
    {
        lock (_gate)
        {
            string id = targetResourceId.TrimEnd('/') + "/databases/" + databaseName;
            _databases[id] = new SqlDatabase(id, databaseName) { Status = "Online", CreatedByMigration = false };
        }
    }

    /// <summary>The <c>status</c> of a <c>Microsoft.Sql</c> database (<c>Online</c>, <c>Restoring</c>, ...), or <see langword="null"/> when there is none.</summary>
    /// <param name="targetResourceId">The server's or managed instance's resource id.</param>
    /// <param name="databaseName">The database's name.</param>
    /// <returns>The status.</returns>
    public string? DatabaseStatusOf(string targetResourceId, string databaseName)
    {
        lock (_gate)
        {
            return _databases.TryGetValue(targetResourceId.TrimEnd('/') + "/databases/" + databaseName, out SqlDatabase? database) ? database.Status : null;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        string? authorization = request.Headers.Authorization;
        bool bearer = authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal) && authorization.Length > "Bearer ".Length;
        Reply reply;
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty, body, bearer));
            reply = Dispatch(request, body, bearer);
        }

        context.Response.StatusCode = reply.Status;
        foreach ((string name, string value) in reply.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (reply.Body is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(reply.Body.ToJsonString(), context.RequestAborted);
        }
    }

    private Reply Dispatch(HttpRequest request, string body, bool bearer)
    {
        if (!bearer)
        {
            return Error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or is not a bearer token.");
        }

        string? apiVersion = request.Query["api-version"];
        string requestPath = request.Path.Value ?? "/";
        bool sqlRoute = SqlDatabaseRoute().IsMatch(requestPath) || SqlOperationRoute().IsMatch(requestPath);
        string expectedVersion = sqlRoute ? SqlApiVersion : ApiVersion;
        if (string.IsNullOrEmpty(apiVersion))
        {
            return Error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }

        if (!string.Equals(apiVersion, expectedVersion, StringComparison.Ordinal))
        {
            return Error(
                400,
                "NoRegisteredProviderFound",
                $"No registered resource provider found for API version '{apiVersion}' and type '{(sqlRoute ? "managedInstances/databases" : "databaseMigrations")}'. The supported api-versions are '{expectedVersion}'.");
        }

        if (_throttled > 0)
        {
            _throttled--;
            ThrottledResponses++;
            Reply throttled = Error(429, "TooManyRequests", "The request is being throttled. Retry after the time in the Retry-After header.");
            throttled.Headers.Add(("Retry-After", _throttleRetryAfter.ToString(CultureInfo.InvariantCulture)));
            return throttled;
        }

        if (_failures.TryDequeue(out (int Status, string Code, string Message) failure))
        {
            return Error(failure.Status, failure.Code, failure.Message);
        }

        string path = requestPath;
        if (SqlOperationRoute().Match(path) is { Success: true } sqlOperationMatch)
        {
            return request.Method == HttpMethods.Get
                ? PollOperation(sqlOperationMatch.Groups["id"].Value, sqlOperationMatch.Groups["what"].Value.EndsWith("OperationResults", StringComparison.OrdinalIgnoreCase) ? "operationResults" : "operationStatuses")
                : Error(405, "MethodNotAllowed", "Operations are read with GET.");
        }

        if (SqlDatabaseRoute().Match(path) is { Success: true } databaseMatch)
        {
            return DatabaseRequest(request.Method, path, databaseMatch);
        }

        if (OperationRoute().Match(path) is { Success: true } operationMatch)
        {
            return request.Method == HttpMethods.Get
                ? PollOperation(operationMatch.Groups["id"].Value, operationMatch.Groups["what"].Value)
                : Error(405, "MethodNotAllowed", "Operations are read with GET.");
        }

        if (ServiceRoute().Match(path) is { Success: true } serviceMatch)
        {
            return request.Method == HttpMethods.Get
                ? new Reply(200, new JsonObject
                {
                    ["id"] = path,
                    ["name"] = serviceMatch.Groups["name"].Value,
                    ["type"] = "Microsoft.DataMigration/sqlMigrationServices",
                    ["location"] = "westeurope",
                    ["properties"] = new JsonObject { ["provisioningState"] = "Succeeded", ["integrationRuntimeState"] = IntegrationRuntimeState },
                })
                : Error(405, "MethodNotAllowed", "The emulator only reads migration services.");
        }

        Match match = MigrationRoute().Match(path);
        if (!match.Success)
        {
            return Error(404, "NotFound", $"The emulator has no route for {request.Method} {path}.");
        }

        string kind = match.Groups["type"].Value.ToUpperInvariant() switch
        {
            "MICROSOFT.SQL/SERVERS" => "SqlDb",
            "MICROSOFT.SQL/MANAGEDINSTANCES" => "SqlMi",
            _ => "SqlVm",
        };
        string scope = path[..path.IndexOf("/providers/Microsoft.DataMigration/", StringComparison.OrdinalIgnoreCase)];
        string id = scope + "/providers/Microsoft.DataMigration/databaseMigrations/" + match.Groups["db"].Value;
        string action = match.Groups["action"].Value;
        string subscription = match.Groups["sub"].Value;
        _migrations.TryGetValue(id, out Migration? migration);
        if (action.Length > 0)
        {
            if (request.Method != HttpMethods.Post || (action.Equals("cutover", StringComparison.OrdinalIgnoreCase) && kind == "SqlDb"))
            {
                return Error(404, "NotFound", $"The emulator has no route for {request.Method} {path} (Azure SQL Database migrations have no cutover).");
            }

            return migration is null
                ? Error(404, "ResourceNotFound", $"The database migration '{match.Groups["db"].Value}' was not found.")
                : Act(migration, action.ToUpperInvariant(), body, subscription);
        }

        if (request.Method == HttpMethods.Get)
        {
            if (migration is null)
            {
                return Error(404, "ResourceNotFound", $"The database migration '{match.Groups["db"].Value}' was not found.");
            }

            if (OmitCreateOperationHeaders && migration.Creation is { Status: "InProgress" } creation)
            {
                creation.Polls++;
                if (creation.Polls > OperationPolls)
                {
                    Complete(creation);
                }
            }
            else
            {
                Advance(migration);
            }

            bool expand = string.Equals(request.Query["$expand"], "MigrationStatusDetails", StringComparison.OrdinalIgnoreCase);
            return new Reply(200, Resource(migration, expand));
        }

        if (request.Method == HttpMethods.Put)
        {
            return Create(id, scope, kind, match.Groups["db"].Value, body, migration, subscription);
        }

        if (request.Method == HttpMethods.Delete && kind == "SqlDb")
        {
            if (migration is null)
            {
                return new Reply(204, null);
            }

            bool force = string.Equals(request.Query["force"], "true", StringComparison.OrdinalIgnoreCase);
            if (!force && !IsTerminal(migration.MigrationStatus) && migration.ProvisioningState != "Failed")
            {
                return Error(400, "DeleteMigrationNotAllowedMigrationInProgress", $"The migration of '{migration.Name}' is in progress; cancel it or delete with force=true.");
            }

            _migrations.Remove(id);
            return new Reply(200, null);
        }

        return Error(405, "MethodNotAllowed", $"{request.Method} is not supported on {path}.");
    }

    private Reply Create(string id, string scope, string kind, string name, string body, Migration? existing, string subscription)
    {
        JsonObject? properties;
        try
        {
            properties = JsonNode.Parse(body)?["properties"] as JsonObject;
        }
        catch (JsonException)
        {
            return Error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
        }

        if (properties is null)
        {
            return Error(400, "InvalidRequestContent", "The request body has no 'properties'.");
        }

        string? bodyKind = (string?)properties["kind"];
        if (!string.Equals(bodyKind, kind, StringComparison.Ordinal))
        {
            return Error(400, "InvalidParameterValue", $"An invalid value was provided for parameter 'kind': '{bodyKind}' on a {kind} target.");
        }

        foreach (string required in kind == "SqlDb"
                     ? new[] { "sourceSqlConnection", "sourceDatabaseName", "migrationService", "scope", "targetSqlConnection" }
                     : ["sourceSqlConnection", "sourceDatabaseName", "migrationService", "scope"])
        {
            if (properties[required] is null)
            {
                return Error(400, "InvalidParameterValue", $"An invalid value was provided for parameter '{required}': it is required.");
            }
        }

        if (!string.Equals((string?)properties["scope"], scope, StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "InvalidParameterValue", "An invalid value was provided for parameter 'scope': it must be the target resource's id.");
        }

        if (!string.Equals(IntegrationRuntimeState, "Online", StringComparison.OrdinalIgnoreCase))
        {
            string service = (string?)properties["migrationService"] ?? string.Empty;
            return Error(400, "IntegrationRuntimeIsNotOnline", $"Integration Runtime '{service[(service.LastIndexOf('/') + 1)..]}' is not online.");
        }

        if (existing is not null && !IsTerminal(existing.MigrationStatus) && existing.ProvisioningState != "Failed")
        {
            return Error(409, "OperationInProgress", "Operation in progress on resource already.");
        }

        string databaseId = scope + "/databases/" + name;
        if (kind == "SqlMi" && _databases.ContainsKey(databaseId))
        {
            return Error(400, "ManagedDatabaseNameInUse", $"Database '{name}' already exists. Choose a different database name.");
        }

        JsonObject stored = (JsonObject)WithoutSecrets(properties);
        bool offline = kind == "SqlDb" || ((bool?)properties["offlineConfiguration"]?["offline"] ?? false);
        if (kind == "SqlDb")
        {
            stored["offlineConfiguration"] = new JsonObject { ["offline"] = true };
        }

        var tables = (properties["tableList"] as JsonArray)?.Select(t => (string?)t).OfType<string>().ToList() ?? [];
        if (tables.Count == 0)
        {
            tables = ["[dbo].[Customers]", "[dbo].[Orders]"];
        }

        var migration = new Migration(id, name, kind, scope, stored, offline, tables)
        {
            ProvisioningState = "Creating",
            MigrationStatus = "InProgress",
            OperationId = Guid.NewGuid().ToString(),
            StartedOn = DateTimeOffset.UtcNow,
        };
        _migrations[id] = migration;
        if (kind == "SqlMi")
        {
            // The restore creates the database; it stays Restoring (partially created) until a cutover or the last backup brings it online.
            _databases[databaseId] = new SqlDatabase(databaseId, name) { Status = "Restoring", CreatedByMigration = true };
        }

        var operation = new Operation(Guid.NewGuid().ToString(), migration, "create");
        _operations[operation.Id] = operation;
        migration.Creation = operation;
        Reply reply = new(existing is null ? 201 : 200, Resource(migration, false));
        if (!OmitCreateOperationHeaders)
        {
            AddOperationHeaders(reply, operation, subscription);
        }

        return reply;
    }

    private Reply Act(Migration migration, string action, string body, string subscription)
    {
        string? operationId;
        try
        {
            operationId = (string?)JsonNode.Parse(body.Length == 0 ? "{}" : body)?["migrationOperationId"];
        }
        catch (JsonException)
        {
            return Error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
        }

        if (!string.Equals(operationId, migration.OperationId, StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "OperationIdNotFound", $"Operation ID '{operationId}' not found.");
        }

        if (action == "CUTOVER")
        {
            if (migration.MigrationStatus == "Succeeded")
            {
                return Error(400, "CutoverNotAllowedMigrationCompleteError", $"Cutover is not allowed as migration for database '{migration.Name}' is already complete");
            }

            if (migration.Offline || !(migration.MigrationStatus == "ReadyForCutover" || (migration.MigrationStatus == "InProgress" && FullBackupRestored(migration))))
            {
                return Error(400, "MigrationNotReadyForCutoverError", $"Database '{migration.Name}' is not ready for Cutover operation");
            }

            migration.MigrationStatus = "Completing";
        }
        else
        {
            if (IsTerminal(migration.MigrationStatus))
            {
                return Error(
                    400,
                    "MigrationCancelFailed",
                    $"Cancel could not be performed on operation '{operationId}' for database '{migration.Name}'. This can happen if the migration with MigrationId '{operationId}' is already completed or canceled.");
            }

            migration.MigrationStatus = "Canceling";
        }

        var operation = new Operation(Guid.NewGuid().ToString(), migration, action == "CUTOVER" ? "cutover" : "cancel");
        _operations[operation.Id] = operation;
        Reply reply = new(202, null);
        AddOperationHeaders(reply, operation, subscription);
        return reply;
    }

    private void AddOperationHeaders(Reply reply, Operation operation, string subscription)
    {
        string authority = OperationHost is null ? Endpoint.GetLeftPart(UriPartial.Authority) : $"{Endpoint.Scheme}://{OperationHost}:{Endpoint.Port}";
        string baseUri = $"{authority}/subscriptions/{subscription}/providers/Microsoft.DataMigration/locations/emulator";
        if (UseLocationHeader)
        {
            reply.Headers.Add(("Location", $"{baseUri}/operationResults/{operation.Id}?api-version={ApiVersion}"));
        }
        else
        {
            reply.Headers.Add(("Azure-AsyncOperation", $"{baseUri}/operationStatuses/{operation.Id}?api-version={ApiVersion}"));
        }

        reply.Headers.Add(("Retry-After", RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)));
    }

    private Reply PollOperation(string id, string what)
    {
        if (!_operations.TryGetValue(id, out Operation? operation))
        {
            return Error(404, "OperationIdNotFound", $"Operation ID '{id}' not found.");
        }

        operation.Polls++;
        if (operation.Status == "InProgress" && operation.Polls > OperationPolls)
        {
            Complete(operation);
        }

        bool results = what.Equals("operationResults", StringComparison.OrdinalIgnoreCase);
        if (results)
        {
            if (operation.Status == "InProgress")
            {
                Reply pending = new(202, null);
                pending.Headers.Add(("Retry-After", RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)));
                return pending;
            }

            return operation.Error is { } failed
                ? Error(400, failed.Code, failed.Message)
                : operation.Kind == "create" ? new Reply(200, Resource(operation.Migration!, false)) : new Reply(204, null);
        }

        var status = new JsonObject
        {
            ["id"] = $"/subscriptions/x/providers/Microsoft.DataMigration/locations/emulator/operationStatuses/{id}",
            ["name"] = id,
            ["status"] = operation.Status,
            ["startTime"] = operation.StartTime.ToString("O", CultureInfo.InvariantCulture),
        };
        if (operation.Status != "InProgress")
        {
            status["endTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        }

        if (operation.Error is { } error)
        {
            status["error"] = new JsonObject { ["code"] = error.Code, ["message"] = error.Message };
        }

        Reply reply = new(200, status);
        if (operation.Status == "InProgress")
        {
            reply.Headers.Add(("Retry-After", RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)));
        }

        return reply;
    }

    private void Complete(Operation operation)
    {
        if (operation.Kind == "deletedatabase")
        {
            if (_operationFailures.TryDequeue(out (string Code, string Message) deleteFailure))
            {
                operation.Status = "Failed";
                operation.Error = deleteFailure;
                return;
            }

            operation.Status = "Succeeded";
            _databases.Remove(operation.DatabaseId!);
            return;
        }

        Migration migration = operation.Migration!;
        if (_operationFailures.TryDequeue(out (string Code, string Message) failure))
        {
            operation.Status = "Failed";
            operation.Error = failure;
            if (operation.Kind == "create")
            {
                migration.ProvisioningState = "Failed";
                migration.ProvisioningError = failure.Message;
            }

            migration.MigrationStatus = "Failed";
            migration.Failure = failure;
            migration.EndedOn = DateTimeOffset.UtcNow;
            return;
        }

        operation.Status = "Succeeded";
        switch (operation.Kind)
        {
            case "create":
                migration.ProvisioningState = "Succeeded";
                break;
            case "cutover":
                migration.MigrationStatus = "Succeeded";
                migration.EndedOn = DateTimeOffset.UtcNow;
                BringOnline(migration);
                break;
            default:
                migration.MigrationStatus = "Canceled";
                migration.EndedOn = DateTimeOffset.UtcNow;
                break;
        }
    }

    private void Advance(Migration migration)
    {
        if (migration.ProvisioningState != "Succeeded" || migration.MigrationStatus != "InProgress")
        {
            return;
        }

        if (migration.PendingFailure is { } failure)
        {
            migration.MigrationStatus = "Failed";
            migration.Failure = failure;
            migration.PendingFailure = null;
            migration.EndedOn = DateTimeOffset.UtcNow;
            return;
        }

        migration.Reads++;
        if (migration.Kind != "SqlDb")
        {
            if (FullBackupRestored(migration) && LogBackupsRestored(migration) >= LogBackups)
            {
                if (migration.Offline)
                {
                    migration.MigrationStatus = "Succeeded";
                    migration.EndedOn = DateTimeOffset.UtcNow;
                    BringOnline(migration);
                }
                else
                {
                    migration.MigrationStatus = "ReadyForCutover";
                }
            }

            return;
        }

        if (migration.Reads >= PollsPerStep)
        {
            if (migration.Offline)
            {
                migration.MigrationStatus = "Succeeded";
                migration.EndedOn = DateTimeOffset.UtcNow;
            }
            else
            {
                migration.MigrationStatus = "ReadyForCutover";
            }
        }
    }

    private JsonObject Resource(Migration migration, bool expand)
    {
        var properties = (JsonObject)migration.Properties.DeepClone();
        properties["provisioningState"] = migration.ProvisioningState;
        properties["migrationStatus"] = migration.MigrationStatus;
        properties["migrationOperationId"] = migration.OperationId;
        properties["startedOn"] = migration.StartedOn.ToString("O", CultureInfo.InvariantCulture);
        if (migration.EndedOn is { } ended)
        {
            properties["endedOn"] = ended.ToString("O", CultureInfo.InvariantCulture);
        }

        properties["sourceServerName"] = (string?)migration.Properties["sourceSqlConnection"]?["dataSource"];
        if (migration.ProvisioningError is not null)
        {
            properties["provisioningError"] = migration.ProvisioningError;
        }

        if (migration.Failure is { } failure)
        {
            properties["migrationFailureError"] = new JsonObject { ["code"] = failure.Code, ["message"] = failure.Message };
        }

        if (expand)
        {
            properties["migrationStatusDetails"] = migration.Kind == "SqlDb" ? CopyDetails(migration) : RestoreDetails(migration);
        }

        return new JsonObject
        {
            ["id"] = migration.Id,
            ["name"] = migration.Name,
            ["type"] = "Microsoft.DataMigration/databaseMigrations",
            ["properties"] = properties,
        };
    }

    private JsonObject CopyDetails(Migration migration)
    {
        bool done = migration.MigrationStatus is "Succeeded" or "Completing";
        double fraction = done ? 1 : Math.Min(1, (double)migration.Reads / Math.Max(1, PollsPerStep));
        var tables = new JsonArray();
        for (int index = 0; index < migration.Tables.Count; index++)
        {
            // Tables finish one after another: table i is done once the migration is (i + 1)/n of the way.
            string table = migration.Tables[index];
            double tableFraction = Math.Min(1, fraction * migration.Tables.Count / (index + 1));
            long copied = (long)(RowsPerTable * tableFraction);
            long read = Math.Min(RowsPerTable, copied + (RowsPerTable / Math.Max(1, PollsPerStep)));
            bool tableDone = copied >= RowsPerTable;
            tables.Add(new JsonObject
            {
                ["tableName"] = table,
                ["status"] = tableDone ? "Succeeded" : copied == 0 ? "Queued" : "InProgress",
                ["parallelCopyType"] = "None",
                ["usedParallelCopies"] = 1,
                ["dataRead"] = read * 100,
                ["dataWritten"] = copied * 100,
                ["rowsRead"] = read,
                ["rowsCopied"] = copied,
                ["copyStart"] = migration.StartedOn.ToString("O", CultureInfo.InvariantCulture),
                ["copyThroughput"] = tableDone ? 0.0 : 125.5 + (10 * index),
                ["copyDuration"] = migration.Reads,
            });
        }

        return new JsonObject
        {
            ["migrationState"] = done ? "Completed" : migration.MigrationStatus == "Failed" ? "Failed" : "CopyDatabase",
            ["sqlDataCopyErrors"] = migration.Failure is { } failure ? new JsonArray(failure.Message) : new JsonArray(),
            ["listOfCopyProgressDetails"] = tables,
        };
    }

    private JsonObject RestoreDetails(Migration migration)
    {
        bool restored = FullBackupRestored(migration);
        int logsRestored = LogBackupsRestored(migration);
        int pending = LogBackups - logsRestored;
        string fullFile = $"{migration.Name}_full.bak";
        DateTimeOffset backupsFrom = migration.StartedOn.AddHours(-1);
        var sets = new List<JsonObject>
        {
            BackupSet($"{migration.Name}-full", "Database", fullFile, FullBackupBytes, backupsFrom, backupsFrom.AddMinutes(5), restored),
        };
        for (int i = 1; i <= LogBackups; i++)
        {
            DateTimeOffset start = backupsFrom.AddMinutes(5 + (10 * i));
            sets.Add(BackupSet($"{migration.Name}-log-{i}", "TransactionLog", $"{migration.Name}_log_{i}.trn", LogBackupBytes, start, start.AddMinutes(1), i <= logsRestored));
        }

        JsonObject? lastRestored = logsRestored > 0 ? sets[logsRestored] : restored ? sets[0] : null;
        string? current = !restored ? fullFile : pending > 0 ? $"{migration.Name}_log_{logsRestored + 1}.trn" : null;
        var details = new JsonObject
        {
            ["migrationState"] = migration.MigrationStatus switch
            {
                "Succeeded" => "Completed",
                "Completing" => "CompletingMigration",
                "ReadyForCutover" => "LogShippingStart",
                "InProgress" => "UploadFullBackupFiles",
                _ => migration.MigrationStatus,
            },
            ["isFullBackupRestored"] = restored,
            ["pendingLogBackupsCount"] = pending,
            ["blobContainerName"] = "emulator-backups",
            ["lastRestoredFilename"] = (string?)lastRestored?["listOfBackupFiles"]?[0]?["fileName"],
            ["currentRestoringFilename"] = current,
            ["fullBackupSetInfo"] = sets[0].DeepClone(),
            ["activeBackupSets"] = new JsonArray([.. sets.Select(set => set.DeepClone())]),
            ["invalidFiles"] = new JsonArray(),
            ["fileUploadBlockingErrors"] = new JsonArray(),
        };
        if (lastRestored is not null)
        {
            details["lastRestoredBackupSetInfo"] = lastRestored.DeepClone();
        }

        return details;
    }

    private static JsonObject BackupSet(string id, string type, string file, long size, DateTimeOffset start, DateTimeOffset finish, bool restored) => new()
    {
        ["backupSetId"] = id,
        ["firstLSN"] = "34000000016700001",
        ["lastLSN"] = "34000000019400001",
        ["backupType"] = type,
        ["listOfBackupFiles"] = new JsonArray(new JsonObject
        {
            ["fileName"] = file,
            ["status"] = restored ? "Restored" : "Arrived",
            ["totalSize"] = size,
            ["dataRead"] = size,
            ["dataWritten"] = size,
            ["copyThroughput"] = 0.0,
            ["copyDuration"] = 0,
            ["familySequenceNumber"] = 1,
        }),
        ["backupStartDate"] = start.ToString("O", CultureInfo.InvariantCulture),
        ["backupFinishDate"] = finish.ToString("O", CultureInfo.InvariantCulture),
        ["isBackupRestored"] = restored,
        ["hasBackupChecksums"] = true,
        ["familyCount"] = 1,
        ["ignoreReasons"] = new JsonArray(),
    };

    private bool FullBackupRestored(Migration migration) =>
        migration.MigrationStatus is "ReadyForCutover" or "Completing" or "Succeeded" || (migration.ProvisioningState == "Succeeded" && migration.Reads >= PollsPerStep);

    private int LogBackupsRestored(Migration migration)
    {
        if (migration.MigrationStatus is "ReadyForCutover" or "Completing" or "Succeeded")
        {
            return LogBackups;
        }

        if (!FullBackupRestored(migration))
        {
            return 0;
        }

        return PollsPerLogBackup <= 0 ? LogBackups : Math.Min(LogBackups, (migration.Reads - PollsPerStep) / PollsPerLogBackup);
    }

    private void BringOnline(Migration migration)
    {
        if (_databases.TryGetValue(migration.Scope + "/databases/" + migration.Name, out SqlDatabase? database) && database.CreatedByMigration)
        {
            database.Status = "Online";
        }
    }

    private Reply DatabaseRequest(string method, string path, Match match)
    {
        string id = path;
        string subscription = match.Groups["sub"].Value;
        _databases.TryGetValue(id, out SqlDatabase? database);
        if (database is null && AssumeServerDatabasesExist && string.Equals(match.Groups["type"].Value, "Microsoft.Sql/servers", StringComparison.OrdinalIgnoreCase))
        {
            database = _databases[id] = new SqlDatabase(id, match.Groups["db"].Value) { Status = "Online", CreatedByMigration = false };
        }

        if (method == HttpMethods.Get)
        {
            return database is null
                ? Error(404, "ResourceNotFound", $"The Resource '{match.Groups["type"].Value}/{match.Groups["parent"].Value}/databases/{match.Groups["db"].Value}' under resource group '{match.Groups["rg"].Value}' was not found.")
                : new Reply(200, DatabaseResource(database, match));
        }

        if (method == HttpMethods.Put)
        {
            // A plain create (no restore): the database is there at once.
            database ??= _databases[id] = new SqlDatabase(id, match.Groups["db"].Value) { Status = "Online", CreatedByMigration = false };
            return new Reply(201, DatabaseResource(database, match));
        }

        if (method == HttpMethods.Delete)
        {
            if (database is null)
            {
                return new Reply(204, null);
            }

            var operation = new Operation(Guid.NewGuid().ToString(), null, "deletedatabase") { DatabaseId = id };
            _operations[operation.Id] = operation;
            Reply reply = new(202, null);
            string authority = OperationHost is null ? Endpoint.GetLeftPart(UriPartial.Authority) : $"{Endpoint.Scheme}://{OperationHost}:{Endpoint.Port}";
            string baseUri = $"{authority}/subscriptions/{subscription}/providers/Microsoft.Sql/locations/emulator";
            if (!UseLocationHeader)
            {
                reply.Headers.Add(("Azure-AsyncOperation", $"{baseUri}/managedDatabaseAzureAsyncOperation/{operation.Id}?api-version={SqlApiVersion}"));
            }

            reply.Headers.Add(("Location", $"{baseUri}/managedDatabaseOperationResults/{operation.Id}?api-version={SqlApiVersion}"));
            reply.Headers.Add(("Retry-After", RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)));
            return reply;
        }

        return Error(405, "MethodNotAllowed", $"{method} is not supported on {path}.");
    }

    private static JsonObject DatabaseResource(SqlDatabase database, Match match) => new()
    {
        ["id"] = database.Id,
        ["name"] = database.Name,
        ["type"] = match.Groups["type"].Value + "/databases",
        ["location"] = "westeurope",
        ["properties"] = new JsonObject
        {
            ["status"] = database.Status,
            ["creationDate"] = database.CreationDate.ToString("O", CultureInfo.InvariantCulture),
            ["collation"] = "SQL_Latin1_General_CP1_CI_AS",
        },
    };

    private static JsonNode WithoutSecrets(JsonNode node)
    {
        JsonNode copy = node.DeepClone();
        Strip(copy);
        return copy;

        static void Strip(JsonNode? current)
        {
            if (current is JsonObject json)
            {
                foreach (string secret in SecretNames)
                {
                    json.Remove(secret);
                }

                foreach (KeyValuePair<string, JsonNode?> pair in json)
                {
                    Strip(pair.Value);
                }
            }
            else if (current is JsonArray array)
            {
                foreach (JsonNode? item in array)
                {
                    Strip(item);
                }
            }
        }
    }

    private static bool IsTerminal(string? status) => status is "Succeeded" or "Failed" or "Canceled";

    private static Reply Error(int status, string code, string message) =>
        new(status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["details"] = new JsonArray() } });

    [GeneratedRegex(
        "^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/(?<type>Microsoft\\.Sql/servers|Microsoft\\.Sql/managedInstances|Microsoft\\.SqlVirtualMachine/sqlVirtualMachines)/(?<target>[^/]+)/providers/Microsoft\\.DataMigration/databaseMigrations/(?<db>[^/]+)(?:/(?<action>cutover|cancel))?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MigrationRoute();

    [GeneratedRegex(
        "^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/(?<type>Microsoft\\.Sql/servers|Microsoft\\.Sql/managedInstances)/(?<parent>[^/]+)/databases/(?<db>[^/]+)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SqlDatabaseRoute();

    [GeneratedRegex(
        "^/subscriptions/(?<sub>[^/]+)/providers/Microsoft\\.Sql/locations/(?<location>[^/]+)/(?<what>managedDatabaseAzureAsyncOperation|managedDatabaseOperationResults)/(?<id>[^/]+)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SqlOperationRoute();

    [GeneratedRegex(
        "^/subscriptions/(?<sub>[^/]+)/providers/Microsoft\\.DataMigration/locations/(?<location>[^/]+)/(?<what>operationStatuses|operationResults)/(?<id>[^/]+)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OperationRoute();

    [GeneratedRegex(
        "^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\\.DataMigration/sqlMigrationServices/(?<name>[^/]+)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ServiceRoute();

    /// <summary>A request the emulator received.</summary>
    /// <param name="Method">The HTTP method.</param>
    /// <param name="Path">The path.</param>
    /// <param name="Query">The query string, with its <c>?</c>.</param>
    /// <param name="Body">The body as sent (the create request's holds the passwords, as the service's does).</param>
    /// <param name="HadBearerToken">Whether it carried a bearer token.</param>
    public sealed record RecordedRequest(string Method, string Path, string Query, string Body, bool HadBearerToken);

    private sealed class SqlDatabase(string id, string name)
    {
        public string Id { get; } = id;

        public string Name { get; } = name;

        public string Status { get; set; } = "Online";

        public bool CreatedByMigration { get; init; }

        public DateTimeOffset CreationDate { get; } = DateTimeOffset.UtcNow;
    }

    private sealed record Reply(int Status, JsonObject? Body)
    {
        public List<(string Name, string Value)> Headers { get; } = [];
    }

    private sealed class Migration(string id, string name, string kind, string scope, JsonObject properties, bool offline, List<string> tables)
    {
        public string Id { get; } = id;

        public string Name { get; } = name;

        public string Kind { get; } = kind;

        public string Scope { get; } = scope;

        public JsonObject Properties { get; } = properties;

        public bool Offline { get; } = offline;

        public List<string> Tables { get; } = tables;

        public string ProvisioningState { get; set; } = "Creating";

        public string? ProvisioningError { get; set; }

        public string MigrationStatus { get; set; } = "InProgress";

        public string OperationId { get; set; } = string.Empty;

        public DateTimeOffset StartedOn { get; set; }

        public DateTimeOffset? EndedOn { get; set; }

        public int Reads { get; set; }

        public (string Code, string Message)? Failure { get; set; }

        public (string Code, string Message)? PendingFailure { get; set; }

        public Operation? Creation { get; set; }
    }

    private sealed class Operation(string id, Migration? migration, string kind)
    {
        public string Id { get; } = id;

        public Migration? Migration { get; } = migration;

        public string? DatabaseId { get; init; }

        public string Kind { get; } = kind;

        public string Status { get; set; } = "InProgress";

        public int Polls { get; set; }

        public DateTimeOffset StartTime { get; } = DateTimeOffset.UtcNow;

        public (string Code, string Message)? Error { get; set; }
    }

}

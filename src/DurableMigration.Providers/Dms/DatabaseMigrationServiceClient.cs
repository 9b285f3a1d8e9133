using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace DurableMigration.Providers.Dms;

/// <summary>
/// Drives Azure Database Migration Service migrations (<c>Microsoft.DataMigration/databaseMigrations</c>) through Azure Resource Manager:
/// create, read with status details, cut over, cancel and delete, for Azure SQL Database, Managed Instance and SQL Server on Azure VM targets.
/// </summary>
/// <remarks>
/// <para>
/// Stands in for <c>Azure.ResourceManager.DataMigration</c>'s <c>DatabaseMigrationSqlDbResource</c>, <c>DatabaseMigrationSqlMIResource</c>,
/// <c>DatabaseMigrationSqlVmResource</c> and <c>SqlMigrationServiceResource</c>, which the package registry here does not serve; swap back
/// when that package is served. The routes and shapes follow the published REST specification
/// (Azure/azure-rest-api-specs, <c>Microsoft.DataMigration</c>, <c>sqlmigration.json</c>) at one pinned <see cref="ApiVersion"/>.
/// </para>
/// <para>
/// Calls go through an Azure.Core <see cref="HttpPipeline"/>: bearer tokens from the <see cref="TokenCredential"/> (scope
/// <see cref="DatabaseMigrationServiceClientOptions.TokenScope"/>), Azure.Core's retry policy (429 and transient 5xx, honouring
/// <c>Retry-After</c>), and long-running operations polled here through <c>Azure-AsyncOperation</c>, <c>Location</c> or the resource's
/// <c>provisioningState</c>, each poll waiting what <c>Retry-After</c> asks. Refusals and failed operations surface as
/// <see cref="ArmRequestException"/>. Request bodies carry the source and target passwords: they are never logged (content logging is
/// forced off) and never part of an exception message.
/// </para>
/// </remarks>
public sealed partial class DatabaseMigrationServiceClient
{
    /// <summary>The one api-version this client speaks: the one Microsoft's Python client <c>azure.mgmt.datamigration</c> 10.1.0b1 defaults to.</summary>
    public const string ApiVersion = "2022-03-30-preview";

    /// <summary>The <c>$expand</c> value that adds <c>migrationStatusDetails</c> to a read.</summary>
    public const string ExpandStatusDetails = "MigrationStatusDetails";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly TimeSpan _pollingInterval;
    private readonly TimeSpan _maxPollingInterval;

    /// <summary>Initializes a client that authenticates with <paramref name="credential"/> (<c>DefaultAzureCredential</c> in production).</summary>
    /// <param name="credential">The credential whose tokens Resource Manager accepts.</param>
    /// <param name="options">The endpoint, polling, retry and transport options; the public cloud's defaults when <see langword="null"/>.</param>
    public DatabaseMigrationServiceClient(TokenCredential credential, DatabaseMigrationServiceClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        options ??= new DatabaseMigrationServiceClientOptions();
        if (!options.Endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The Resource Manager endpoint must be an absolute URI.", nameof(options));
        }

        // Request bodies hold passwords and account keys: never let Azure.Core's event source log them.
        options.Diagnostics.IsLoggingContentEnabled = false;
        _endpoint = options.Endpoint;
        _pollingInterval = options.PollingInterval;
        _maxPollingInterval = options.MaxPollingInterval;
        _pipeline = HttpPipelineBuilder.Build(
            options,
            perCallPolicies: [],
            perRetryPolicies: [new BearerTokenAuthenticationPolicy(credential, options.TokenScope)],
            responseClassifier: new ResponseClassifier());
    }

    /// <summary>Gets the Resource Manager endpoint the client calls.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary>
    /// Creates (or updates) the migration of one database and returns once Resource Manager's long-running operation is done:
    /// <c>PUT {target}/providers/Microsoft.DataMigration/databaseMigrations/{targetDatabaseName}</c>.
    /// </summary>
    /// <param name="target">The target database.</param>
    /// <param name="request">The source, target connection (Azure SQL Database), tables, backups (managed instance and VM) and the migration service.</param>
    /// <param name="cancellationToken">Stops waiting (the service's operation goes on).</param>
    /// <returns>The migration's status right after its creation, with status details.</returns>
    /// <exception cref="ArmRequestException">Resource Manager refused the request, or the creation ended failed or canceled.</exception>
    public async Task<DatabaseMigrationStatus> CreateOrUpdateAsync(
        DatabaseMigrationTarget target, DatabaseMigrationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = CreateBody(target, request);
        Uri uri = ResourceUri(target, null);
        ArmResponse initial = await SendAsync(RequestMethod.Put, uri, body, cancellationToken).ConfigureAwait(false);
        if (initial.Status is not (200 or 201 or 202))
        {
            throw Failure(initial, "create", target);
        }

        await WaitForOperationAsync(initial, target, "create", pollResource: true, cancellationToken).ConfigureAwait(false);
        DatabaseMigrationStatus status = await GetAsync(target, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (string.Equals(status.ProvisioningState, "Failed", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArmRequestException(
                200,
                $"The Database Migration Service could not create {target}: provisioning failed ({status.ProvisioningError ?? "no reason given"}).",
                "ProvisioningFailed",
                status.ProvisioningError,
                null,
                isRetriable: false,
                operationFailed: true);
        }

        return status;
    }

    /// <summary>Reads a migration: <c>GET ...databaseMigrations/{name}?$expand=MigrationStatusDetails</c>.</summary>
    /// <param name="target">The target database.</param>
    /// <param name="expandDetails">Whether to ask for the status details (per-table progress, backups); <see langword="true"/> unless set.</param>
    /// <param name="migrationOperationId">The operation to read; the current or latest one when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The migration's status.</returns>
    /// <exception cref="ArmRequestException">Resource Manager refused the request (404 when there is no such migration).</exception>
    public async Task<DatabaseMigrationStatus> GetAsync(
        DatabaseMigrationTarget target, bool expandDetails = true, string? migrationOperationId = null, CancellationToken cancellationToken = default) =>
        await GetIfExistsAsync(target, expandDetails, migrationOperationId, cancellationToken).ConfigureAwait(false)
        ?? throw new ArmRequestException(404, $"There is no migration {target}.", "ResourceNotFound", null, null, isRetriable: false);

    /// <summary>Reads a migration, or returns <see langword="null"/> when there is none (404).</summary>
    /// <param name="target">The target database.</param>
    /// <param name="expandDetails">Whether to ask for the status details; <see langword="true"/> unless set.</param>
    /// <param name="migrationOperationId">The operation to read; the current or latest one when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The migration's status, or <see langword="null"/>.</returns>
    /// <exception cref="ArmRequestException">Resource Manager refused the request for another reason than a missing migration.</exception>
    public async Task<DatabaseMigrationStatus?> GetIfExistsAsync(
        DatabaseMigrationTarget target, bool expandDetails = true, string? migrationOperationId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var query = new List<string>();
        if (migrationOperationId is not null)
        {
            query.Add("migrationOperationId=" + Uri.EscapeDataString(migrationOperationId));
        }

        if (expandDetails)
        {
            query.Add("$expand=" + ExpandStatusDetails);
        }

        ArmResponse response = await SendAsync(RequestMethod.Get, ResourceUri(target, null, query), null, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404 && !IsMissingParent(response))
        {
            return null;
        }

        if (response.Status != 200)
        {
            throw Failure(response, "read", target);
        }

        return DatabaseMigrationStatusParser.Parse(response.Content, target);
    }

    /// <summary>
    /// Cuts an online managed instance or VM migration over and returns once the operation is done:
    /// <c>POST ...databaseMigrations/{name}/cutover</c> with <c>{"migrationOperationId": ...}</c>.
    /// </summary>
    /// <param name="target">The target database; not an Azure SQL Database (offline only, no cutover).</param>
    /// <param name="migrationOperationId">The migration operation to cut over (<see cref="DatabaseMigrationStatus.MigrationOperationId"/>).</param>
    /// <param name="cancellationToken">Stops waiting (the service's operation goes on).</param>
    /// <returns>A task that completes when the cutover operation succeeded.</returns>
    /// <exception cref="NotSupportedException">The target is an Azure SQL Database.</exception>
    /// <exception cref="ArmRequestException">Resource Manager refused the cutover, or it ended failed.</exception>
    public async Task CutoverAsync(DatabaseMigrationTarget target, string migrationOperationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrWhiteSpace(migrationOperationId);
        if (target.Kind == DatabaseMigrationTargetKind.SqlDb)
        {
            throw new NotSupportedException(
                $"Azure SQL Database migrations are offline: api-version {ApiVersion} has no cutover for {target}; wait for the migration to succeed instead.");
        }

        await PostActionAsync(target, "cutover", migrationOperationId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels a migration and returns once the operation is done: <c>POST ...databaseMigrations/{name}/cancel</c>.</summary>
    /// <param name="target">The target database.</param>
    /// <param name="migrationOperationId">The migration operation to cancel.</param>
    /// <param name="cancellationToken">Stops waiting (the service's operation goes on).</param>
    /// <returns>A task that completes when the cancel operation succeeded.</returns>
    /// <exception cref="ArmRequestException">Resource Manager refused the cancel (such as 400 <c>MigrationCancelFailed</c>), or it ended failed.</exception>
    public async Task CancelAsync(DatabaseMigrationTarget target, string migrationOperationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrWhiteSpace(migrationOperationId);
        await PostActionAsync(target, "cancel", migrationOperationId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes an Azure SQL Database migration resource (the migration record, not the target database) and returns once the operation is done:
    /// <c>DELETE ...databaseMigrations/{name}</c>; a missing one counts as deleted.
    /// </summary>
    /// <param name="target">The target database; Azure SQL Database only (the managed instance and VM routes have no delete at this api-version).</param>
    /// <param name="force">Deletes even a migration in progress (<c>force=true</c>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the resource is gone.</returns>
    /// <exception cref="NotSupportedException">The target is not an Azure SQL Database.</exception>
    /// <exception cref="ArmRequestException">Resource Manager refused the delete, or it ended failed.</exception>
    public async Task DeleteAsync(DatabaseMigrationTarget target, bool force = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind != DatabaseMigrationTargetKind.SqlDb)
        {
            throw new NotSupportedException($"api-version {ApiVersion} deletes only Azure SQL Database migrations; {target} is not one.");
        }

        List<string> query = force ? ["force=true"] : [];
        ArmResponse response = await SendAsync(RequestMethod.Delete, ResourceUri(target, null, query), null, cancellationToken).ConfigureAwait(false);
        if (response.Status == 204 || (response.Status == 404 && !IsMissingParent(response)))
        {
            return;
        }

        if (response.Status is not (200 or 202))
        {
            throw Failure(response, "delete", target);
        }

        await WaitForOperationAsync(response, target, "delete", pollResource: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a migration service (<c>GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataMigration/sqlMigrationServices/{name}</c>):
    /// its provisioning state and whether its self-hosted integration runtime is online, which every migration needs.
    /// </summary>
    /// <param name="migrationServiceId">The service's resource id (<see cref="DatabaseMigrationRequest.MigrationServiceId"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The service's state.</returns>
    /// <exception cref="ArgumentException">The id is not a <c>sqlMigrationServices</c> resource id.</exception>
    /// <exception cref="ArmRequestException">Resource Manager refused the request (404 when there is no such service).</exception>
    public async Task<SqlMigrationServiceStatus> GetMigrationServiceAsync(string migrationServiceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(migrationServiceId);
        string[] segments = migrationServiceId.Trim('/').Split('/');
        if (segments.Length != 8
            || !Is(segments[0], "subscriptions") || !Is(segments[2], "resourceGroups") || !Is(segments[4], "providers")
            || !Is(segments[5], "Microsoft.DataMigration") || !Is(segments[6], "sqlMigrationServices"))
        {
            throw new ArgumentException(
                "Expected /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataMigration/sqlMigrationServices/{name}.", nameof(migrationServiceId));
        }

        string path = "/" + string.Join('/', segments.Select(Uri.EscapeDataString));
        Uri uri = new(_endpoint.GetLeftPart(UriPartial.Authority) + _endpoint.AbsolutePath.TrimEnd('/') + path + "?api-version=" + ApiVersion);
        ArmResponse response = await SendAsync(RequestMethod.Get, uri, null, cancellationToken).ConfigureAwait(false);
        if (response.Status != 200)
        {
            (string? code, string? message, IReadOnlyList<ArmErrorDetail> details) = ArmError(response.Content);
            bool retriable = ArmRequestException.IsRetriableStatus(response.Status, code);
            throw new ArmRequestException(
                response.Status,
                string.Create(CultureInfo.InvariantCulture, $"Azure Resource Manager refused to read migration service {segments[7]} ({response.Status}{(code is null ? string.Empty : " " + code)}): {message ?? "no error message"}"),
                code,
                message,
                details,
                retriable,
                requestId: response.RequestId);
        }

        using JsonDocument document = Parse(response.Content);
        JsonElement root = document.RootElement;
        JsonElement properties = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("properties", out JsonElement p) ? p : default;
        return new SqlMigrationServiceStatus(
            String(root, "id") ?? migrationServiceId,
            String(root, "name") ?? segments[7],
            String(root, "location"),
            String(properties, "provisioningState"),
            String(properties, "integrationRuntimeState"));
    }

    private async Task PostActionAsync(DatabaseMigrationTarget target, string action, string migrationOperationId, CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["migrationOperationId"] = migrationOperationId });
        ArmResponse response = await SendAsync(RequestMethod.Post, ResourceUri(target, action), body, cancellationToken).ConfigureAwait(false);
        if (response.Status is not (200 or 202))
        {
            throw Failure(response, action, target);
        }

        await WaitForOperationAsync(response, target, action, pollResource: false, cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitForOperationAsync(
        ArmResponse initial, DatabaseMigrationTarget target, string action, bool pollResource, CancellationToken cancellationToken, object? subject = null)
    {
        subject ??= target;
        if (initial.AsyncOperation is { } asyncOperation)
        {
            Uri statusUri = PollingUri(asyncOperation, "Azure-AsyncOperation");
            ArmResponse last = initial;
            while (true)
            {
                await PauseAsync(last, cancellationToken).ConfigureAwait(false);
                last = await SendAsync(RequestMethod.Get, statusUri, null, cancellationToken).ConfigureAwait(false);
                if (last.Status is not (200 or 201 or 202))
                {
                    throw Failure(last, action, subject);
                }

                using JsonDocument document = Parse(last.Content);
                string? status = String(document.RootElement, "status");
                if (Is(status, "Succeeded"))
                {
                    return;
                }

                if (Is(status, "Failed") || Is(status, "Canceled"))
                {
                    throw OperationFailure(last, document.RootElement, status!, action, subject);
                }
            }
        }

        if (initial.Location is { } location)
        {
            Uri resultUri = PollingUri(location, "Location");
            ArmResponse last = initial;
            while (true)
            {
                await PauseAsync(last, cancellationToken).ConfigureAwait(false);
                last = await SendAsync(RequestMethod.Get, resultUri, null, cancellationToken).ConfigureAwait(false);
                if (last.Status == 202)
                {
                    continue;
                }

                if (last.Status is 200 or 201 or 204 || (last.Status == 404 && action.StartsWith("delete", StringComparison.Ordinal)))
                {
                    return;
                }

                throw Failure(last, action, subject);
            }
        }

        if (!pollResource || initial.Status == 202)
        {
            return;
        }

        // No operation header: Resource Manager's body polling, on the resource's provisioningState.
        string? state = ProvisioningState(initial.Content);
        ArmResponse current = initial;
        while (state is not null && !Is(state, "Succeeded") && !Is(state, "Failed") && !Is(state, "Canceled"))
        {
            await PauseAsync(current, cancellationToken).ConfigureAwait(false);
            current = await SendAsync(RequestMethod.Get, ResourceUri(target, null), null, cancellationToken).ConfigureAwait(false);
            if (current.Status != 200)
            {
                throw Failure(current, action, target);
            }

            state = ProvisioningState(current.Content);
        }

        if (Is(state, "Failed") || Is(state, "Canceled"))
        {
            string? reason = DatabaseMigrationStatusParser.Parse(current.Content, target).ProvisioningError;
            throw new ArmRequestException(
                current.Status,
                $"The Database Migration Service could not {action} {target}: provisioning ended {state} ({reason ?? "no reason given"}).",
                "Provisioning" + state,
                reason,
                null,
                isRetriable: false,
                operationFailed: true,
                requestId: current.RequestId);
        }
    }

    private Uri PollingUri(string value, string header)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri))
        {
            throw new ArmRequestException($"Resource Manager sent a {header} header that is not an absolute URI.");
        }

        // The bearer token goes with every poll: never to another host than the endpoint's.
        if (Uri.Compare(uri, _endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            throw new ArmRequestException($"Resource Manager sent a {header} header on another host ({uri.Host}) than its endpoint ({_endpoint.Host}); not following it.");
        }

        return uri;
    }

    private async Task PauseAsync(ArmResponse response, CancellationToken cancellationToken)
    {
        TimeSpan delay = response.RetryAfter ?? _pollingInterval;
        if (delay > _maxPollingInterval)
        {
            delay = _maxPollingInterval;
        }

        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task<ArmResponse> SendAsync(RequestMethod method, Uri uri, byte[]? body, CancellationToken cancellationToken)
    {
        using HttpMessage message = _pipeline.CreateMessage();
        Request request = message.Request;
        request.Method = method;
        request.Uri.Reset(uri);
        request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            request.Headers.Add("Content-Type", "application/json");
            request.Content = RequestContent.Create(body);
        }

        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        Response response = message.Response;
        return new ArmResponse(
            response.Status,
            response.Content,
            Header(response, "Azure-AsyncOperation"),
            Header(response, "Location"),
            RetryAfter(response),
            Header(response, "x-ms-request-id"));
    }

    private Uri ResourceUri(DatabaseMigrationTarget target, string? action, IEnumerable<string>? query = null)
    {
        string path = target.MigrationId + (action is null ? string.Empty : "/" + action);
        var builder = new System.Text.StringBuilder(_endpoint.GetLeftPart(UriPartial.Authority));
        string basePath = _endpoint.AbsolutePath.TrimEnd('/');
        builder.Append(basePath).Append(path).Append("?api-version=").Append(ApiVersion);
        foreach (string part in query ?? [])
        {
            builder.Append('&').Append(part);
        }

        return new Uri(builder.ToString());
    }

    private static byte[] CreateBody(DatabaseMigrationTarget target, DatabaseMigrationRequest request)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(request.MigrationServiceId, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.SourceDatabaseName, nameof(request));
        ArgumentNullException.ThrowIfNull(request.SourceSqlConnection, nameof(request));
        var properties = new JsonObject
        {
            ["kind"] = target.Kind.ToString(),
            ["scope"] = target.ScopeId,
            ["migrationService"] = request.MigrationServiceId,
            ["sourceDatabaseName"] = request.SourceDatabaseName,
            ["sourceSqlConnection"] = Connection(request.SourceSqlConnection),
        };
        if (request.TargetDatabaseCollation is not null)
        {
            properties["targetDatabaseCollation"] = request.TargetDatabaseCollation;
        }

        if (target.Kind == DatabaseMigrationTargetKind.SqlDb)
        {
            if (request.TargetSqlConnection is null)
            {
                throw new ArgumentException($"An Azure SQL Database migration needs the target connection ({target}).", nameof(request));
            }

            if (!request.Offline)
            {
                throw new ArgumentException($"Azure SQL Database migrations are offline only at api-version {ApiVersion} ({target}).", nameof(request));
            }

            properties["targetSqlConnection"] = Connection(request.TargetSqlConnection);
            if (request.TableList.Count > 0)
            {
                properties["tableList"] = new JsonArray([.. request.TableList.Select(t => (JsonNode?)JsonValue.Create(t))]);
            }
        }
        else
        {
            var offline = new JsonObject { ["offline"] = request.Offline };
            if (request.LastBackupName is not null)
            {
                offline["lastBackupName"] = request.LastBackupName;
            }

            properties["offlineConfiguration"] = offline;
            if (request.BackupConfiguration is { } backup)
            {
                properties["backupConfiguration"] = Backup(backup);
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["properties"] = properties });
    }

    private static JsonObject Connection(SqlConnectionInformation connection)
    {
        var json = new JsonObject
        {
            ["dataSource"] = connection.DataSource,
            ["authentication"] = connection.Authentication,
            ["encryptConnection"] = connection.EncryptConnection,
            ["trustServerCertificate"] = connection.TrustServerCertificate,
        };
        if (connection.UserName is not null)
        {
            json["userName"] = connection.UserName;
        }

        if (connection.Password is not null)
        {
            json["password"] = connection.Password;
        }

        return json;
    }

    private static JsonObject Backup(DatabaseMigrationBackupConfiguration backup)
    {
        var source = new JsonObject();
        if (backup.FileSharePath is not null)
        {
            source["fileStorageType"] = "FileShare";
            source["fileShare"] = WithoutNulls(new JsonObject
            {
                ["path"] = backup.FileSharePath,
                ["username"] = backup.FileShareUserName,
                ["password"] = backup.FileSharePassword,
            });
        }
        else
        {
            source["fileStorageType"] = "AzureBlob";
            source["azureBlob"] = WithoutNulls(new JsonObject
            {
                ["storageAccountResourceId"] = backup.BlobStorageAccountResourceId,
                ["accountKey"] = backup.BlobAccountKey,
                ["blobContainerName"] = backup.BlobContainerName,
            });
        }

        var json = new JsonObject { ["sourceLocation"] = source };
        if (backup.TargetStorageAccountResourceId is not null)
        {
            json["targetLocation"] = WithoutNulls(new JsonObject
            {
                ["storageAccountResourceId"] = backup.TargetStorageAccountResourceId,
                ["accountKey"] = backup.TargetAccountKey,
            });
        }

        return json;
    }

    private static JsonObject WithoutNulls(JsonObject json)
    {
        foreach (string key in json.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            json.Remove(key);
        }

        return json;
    }

    /// <summary>A 404 that says the subscription, resource group or target server is missing, not the migration: a configuration error, not "no migration".</summary>
    private static bool IsMissingParent(ArmResponse response) =>
        ArmError(response.Content).Code is "SubscriptionNotFound" or "ResourceGroupNotFound" or "ParentResourceNotFound" or "SubscriptionDoesNotExist";

    private static ArmRequestException Failure(ArmResponse response, string action, object target)
    {
        (string? code, string? message, IReadOnlyList<ArmErrorDetail> details) = ArmError(response.Content);
        bool retriable = ArmRequestException.IsRetriableStatus(response.Status, code);
        string text = string.Create(
            CultureInfo.InvariantCulture,
            $"Azure Resource Manager refused to {action} {target} ({response.Status}{(code is null ? string.Empty : " " + code)}): {message ?? "no error message"}{(retriable ? " Retrying can help." : string.Empty)}");
        return new ArmRequestException(response.Status, text, code, message, details, retriable, requestId: response.RequestId);
    }

    private static ArmRequestException OperationFailure(ArmResponse response, JsonElement root, string status, string action, object target)
    {
        (string? code, string? message, IReadOnlyList<ArmErrorDetail> details) =
            root.TryGetProperty("error", out JsonElement error) ? ErrorObject(error) : (null, null, []);
        code ??= "Operation" + status;
        string text = $"The Database Migration Service's {action} operation on {target} ended {status} ({code}): {message ?? "no error message"}";
        return new ArmRequestException(response.Status, text, code, message, details, isRetriable: false, operationFailed: true, requestId: response.RequestId);
    }

    private static (string? Code, string? Message, IReadOnlyList<ArmErrorDetail> Details) ArmError(BinaryData content)
    {
        try
        {
            using JsonDocument document = Parse(content);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, []);
            }

            return root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object ? ErrorObject(error) : ErrorObject(root);
        }
        catch (JsonException)
        {
            return (null, null, []);
        }
    }

    private static (string? Code, string? Message, IReadOnlyList<ArmErrorDetail> Details) ErrorObject(JsonElement error)
    {
        var details = new List<ArmErrorDetail>();
        if (error.TryGetProperty("details", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement detail in list.EnumerateArray())
            {
                if (detail.ValueKind == JsonValueKind.Object)
                {
                    details.Add(new ArmErrorDetail(String(detail, "code") ?? string.Empty, String(detail, "message") ?? string.Empty));
                }
            }
        }

        return (String(error, "code"), String(error, "message"), details);
    }

    private static string? ProvisioningState(BinaryData content)
    {
        try
        {
            using JsonDocument document = Parse(content);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("properties", out JsonElement properties)
                ? String(properties, "provisioningState")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonDocument Parse(BinaryData content) =>
        JsonDocument.Parse(content.ToMemory().Length == 0 ? BinaryData.FromString("{}") : content);

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static bool Is(string? value, string expected) => string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);

    private static string? Header(Response response, string name) =>
        response.Headers.TryGetValue(name, out string? value) && !string.IsNullOrEmpty(value) ? value : null;

    private static TimeSpan? RetryAfter(Response response)
    {
        foreach (string name in new[] { "retry-after-ms", "x-ms-retry-after-ms" })
        {
            if (Header(response, name) is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out double milliseconds))
            {
                return TimeSpan.FromMilliseconds(Math.Max(0, milliseconds));
            }
        }

        if (Header(response, "Retry-After") is not { } retryAfter)
        {
            return null;
        }

        if (int.TryParse(retryAfter, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seconds))
        {
            return TimeSpan.FromSeconds(Math.Max(0, seconds));
        }

        return DateTimeOffset.TryParse(retryAfter, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset when)
            ? (when - DateTimeOffset.UtcNow) is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }

    private sealed record ArmResponse(int Status, BinaryData Content, string? AsyncOperation, string? Location, TimeSpan? RetryAfter, string? RequestId);
}

using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Azure.Core.Diagnostics;
using DurableMigration.Providers.Dms;
using static DurableMigration.Providers.Tests.Dms.DmsTestValues;

namespace DurableMigration.Providers.Tests.Dms;

/// <summary>The Database Migration Service client against the loopback emulator (src/DurableMigration.AzureEmulators), over HTTPS.</summary>
public sealed class DmsClientTests : IAsyncLifetime
{
    private DmsEmulator _emulator = null!;
    private DatabaseMigrationServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _emulator = await DmsEmulator.StartAsync();
        _client = CreateClient(_emulator);
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task SqlDb_CreateThenRead_CopiesEveryTableThenSucceeds()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");

        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, SqlDbRequest("[dbo].[Customers]", "[dbo].[Orders]", "[sales].[Lines]"));

        Assert.Equal("Succeeded", created.ProvisioningState);
        Assert.Equal("InProgress", created.MigrationStatus);
        Assert.Equal("SqlDb", created.Kind);
        Assert.Equal(target.ScopeId, created.Scope);
        Assert.Equal(target.MigrationId, created.Id);
        Assert.False(string.IsNullOrEmpty(created.MigrationOperationId));
        Assert.Equal(3, created.Tables.Count);
        Assert.True(created.RowsCopied < 3 * _emulator.RowsPerTable);
        Assert.True(created.CopyThroughput > 0);

        DatabaseMigrationStatus done = await _client.GetAsync(target);
        Assert.True(done.Succeeded);
        Assert.True(done.IsTerminal);
        Assert.Equal(3, done.TablesCopied);
        Assert.Equal(3 * _emulator.RowsPerTable, done.RowsCopied);
        Assert.Equal(3 * _emulator.RowsPerTable, done.RowsRead);
        Assert.Equal(done.RowsCopied * 100, done.DataWritten);
        Assert.NotNull(done.EndedOn);
        Assert.Equal("Completed", done.MigrationState);
        Assert.Equal(["[dbo].[Customers]", "[dbo].[Orders]", "[sales].[Lines]"], done.Tables.Select(t => t.TableName));

        // Every call carried a bearer token and the pinned api-version; the create went out as a PUT followed by operation polls.
        Assert.All(_emulator.Requests, r => Assert.True(r.HadBearerToken));
        Assert.All(_emulator.Requests, r => Assert.Contains("api-version=2022-03-30-preview", r.Query, StringComparison.Ordinal));
        Assert.Equal("PUT", _emulator.Requests[0].Method);
        Assert.Contains(_emulator.Requests, r => r.Path.Contains("/operationStatuses/", StringComparison.Ordinal));
        Assert.All(
            _emulator.Requests.Where(r => r.Method == "GET" && r.Path == target.MigrationId),
            r => Assert.Contains("$expand=MigrationStatusDetails", Uri.UnescapeDataString(r.Query), StringComparison.Ordinal));

        JsonObject put = JsonNode.Parse(_emulator.Requests[0].Body)!["properties"]!.AsObject();
        Assert.Equal("SqlDb", (string?)put["kind"]);
        Assert.Equal(target.ScopeId, (string?)put["scope"]);
        Assert.Equal(MigrationService, (string?)put["migrationService"]);
        Assert.Equal("sales", (string?)put["sourceDatabaseName"]);
        Assert.Equal("sqlsource.contoso.local", (string?)put["sourceSqlConnection"]!["dataSource"]);
        Assert.Equal("sqlserver1.database.windows.net", (string?)put["targetSqlConnection"]!["dataSource"]);
        Assert.Equal(3, put["tableList"]!.AsArray().Count);
    }

    [Fact]
    public async Task SqlDb_Cancel_EndsCanceled_AndDeleteRemovesTheMigration()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "billing");
        _emulator.PollsPerStep = 10;
        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, SqlDbRequest());

        await _client.CancelAsync(target, created.MigrationOperationId!);

        DatabaseMigrationStatus canceled = await _client.GetAsync(target);
        Assert.True(canceled.Canceled);
        Assert.True(canceled.IsTerminal);
        string cancel = Assert.Single(_emulator.Requests, r => r.Method == "POST").Body;
        Assert.Equal(created.MigrationOperationId, (string?)JsonNode.Parse(cancel)!["migrationOperationId"]);
        Assert.EndsWith("/cancel", _emulator.Requests.Single(r => r.Method == "POST").Path, StringComparison.Ordinal);

        await _client.DeleteAsync(target);
        Assert.Null(await _client.GetIfExistsAsync(target));
        await _client.DeleteAsync(target); // A missing migration counts as deleted.
    }

    [Fact]
    public async Task SqlMi_Online_WaitsForReadyForCutover_ThenCutoverSucceeds()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "orders");

        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, ManagedInstanceRequest(offline: false));
        Assert.Equal("InProgress", created.MigrationStatus);
        Assert.False(created.IsReadyForCutover);
        Assert.False(created.IsFullBackupRestored);
        Assert.Equal(2, created.PendingLogBackupsCount);

        DatabaseMigrationStatus ready = await _client.GetAsync(target);
        Assert.Equal("ReadyForCutover", ready.MigrationStatus);
        Assert.True(ready.IsReadyForCutover);
        Assert.True(ready.IsFullBackupRestored);
        Assert.Equal("orders_log_2.trn", ready.LastRestoredFilename);

        await _client.CutoverAsync(target, ready.MigrationOperationId!);

        DatabaseMigrationStatus done = await _client.GetAsync(target);
        Assert.True(done.Succeeded);
        RecordedCall cutover = RecordedCall.Of(_emulator.Requests.Single(r => r.Method == "POST"));
        Assert.EndsWith("/providers/Microsoft.Sql/managedInstances/mi1/providers/Microsoft.DataMigration/databaseMigrations/orders/cutover", cutover.Path, StringComparison.Ordinal);
        Assert.Equal(ready.MigrationOperationId, (string?)JsonNode.Parse(cutover.Body)!["migrationOperationId"]);

        JsonObject put = JsonNode.Parse(_emulator.Requests[0].Body)!["properties"]!.AsObject();
        Assert.Equal("SqlMi", (string?)put["kind"]);
        Assert.False((bool?)put["offlineConfiguration"]!["offline"]);
        Assert.Equal("AzureBlob", (string?)put["backupConfiguration"]!["sourceLocation"]!["fileStorageType"]);
        Assert.Null(put["targetSqlConnection"]);
        Assert.Null(put["tableList"]);
    }

    [Fact]
    public async Task SqlMi_Cancel_EndsCanceled()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "inventory");
        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, ManagedInstanceRequest(offline: false));

        await _client.CancelAsync(target, created.MigrationOperationId!);

        Assert.True((await _client.GetAsync(target)).Canceled);
    }

    [Fact]
    public async Task SqlVm_Offline_SucceedsWithoutCutover()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlVm(Subscription, ResourceGroup, "sqlvm1", "hr");

        await _client.CreateOrUpdateAsync(target, ManagedInstanceRequest(offline: true));
        DatabaseMigrationStatus done = await _client.GetAsync(target);

        Assert.True(done.Succeeded);
        Assert.StartsWith(
            $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.SqlVirtualMachine/sqlVirtualMachines/sqlvm1/",
            _emulator.Requests[0].Path,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqlDb_Cutover_IsNotSupported()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");

        await Assert.ThrowsAsync<NotSupportedException>(() => _client.CutoverAsync(target, Guid.NewGuid().ToString()));
        Assert.Empty(_emulator.Requests);
    }

    [Fact]
    public async Task Throttled_RetriesAfterRetryAfter_ThenSucceeds()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");
        await _client.CreateOrUpdateAsync(target, SqlDbRequest());
        int before = _emulator.Requests.Count;
        _emulator.Throttle(2, retryAfterSeconds: 1);

        DatabaseMigrationStatus status = await _client.GetAsync(target);

        Assert.Equal("sales", status.Name);
        // Two 429s, then the answer: three tries of the same read.
        Assert.Equal(3, _emulator.Requests.Count - before);
        Assert.All(_emulator.Requests.Skip(before), r => Assert.Equal(target.MigrationId, r.Path));
    }

    [Fact]
    public async Task TransientServerError_IsRetried()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");
        _emulator.FailNextRequest(503, "ServiceUnavailable", "The service is temporarily unavailable.");

        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, SqlDbRequest());

        Assert.Equal("Succeeded", created.ProvisioningState);
        Assert.Equal(2, _emulator.Requests.Count(r => r.Method == "PUT"));
    }

    [Fact]
    public async Task FailedCreateOperation_ThrowsWithTheServiceCode()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");
        _emulator.FailNextOperation("IntegrationRuntimeIsNotOnline", "Integration Runtime 'ir1' is not online for resource group 'waves'.");

        ArmRequestException failure = await Assert.ThrowsAsync<ArmRequestException>(() => _client.CreateOrUpdateAsync(target, SqlDbRequest()));

        Assert.Equal("IntegrationRuntimeIsNotOnline", failure.ErrorCode);
        Assert.True(failure.OperationFailed);
        Assert.False(failure.IsRetriable);
        Assert.Contains("IntegrationRuntimeIsNotOnline", failure.Message, StringComparison.Ordinal);
        Assert.Contains("is not online", failure.Message, StringComparison.Ordinal);
        Assert.Contains("create", failure.Message, StringComparison.Ordinal);
        Assert.Equal("Failed", _emulator.MigrationStatusOf("sales"));
    }

    [Fact]
    public async Task FailedCutoverOperation_ThroughLocationHeader_Throws()
    {
        _emulator.UseLocationHeader = true;
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "orders");
        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, ManagedInstanceRequest(offline: false));
        Assert.Contains(_emulator.Requests, r => r.Path.Contains("/operationResults/", StringComparison.Ordinal));
        DatabaseMigrationStatus ready = await _client.GetAsync(target);
        Assert.True(ready.IsReadyForCutover);
        _emulator.FailNextOperation("CutoverFailedOrCancelled", "Cutover failed or cancelled for database 'orders'.");

        ArmRequestException failure = await Assert.ThrowsAsync<ArmRequestException>(() => _client.CutoverAsync(target, created.MigrationOperationId!));

        Assert.Equal("CutoverFailedOrCancelled", failure.ErrorCode);
        Assert.Equal(400, failure.Status);
        DatabaseMigrationStatus failed = await _client.GetAsync(target);
        Assert.True(failed.Failed);
        Assert.Equal("CutoverFailedOrCancelled", failed.MigrationFailureError?.Code);
    }

    [Fact]
    public async Task CreateWithoutOperationHeaders_PollsTheProvisioningState()
    {
        _emulator.OmitCreateOperationHeaders = true;
        _emulator.OperationPolls = 3;
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");

        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, SqlDbRequest());

        Assert.Equal("Succeeded", created.ProvisioningState);
        Assert.DoesNotContain(_emulator.Requests, r => r.Path.Contains("/operation", StringComparison.Ordinal));
        Assert.True(_emulator.Requests.Count(r => r.Method == "GET") >= 4);

        DatabaseMigrationTarget other = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "billing");
        _emulator.FailNextOperation("InvalidParameterValue", "An invalid value was provided for parameter 'tableList'.");
        ArmRequestException failed = await Assert.ThrowsAsync<ArmRequestException>(() => _client.CreateOrUpdateAsync(other, SqlDbRequest()));
        Assert.True(failed.OperationFailed);
        Assert.Equal("ProvisioningFailed", failed.ErrorCode);
        Assert.Contains("parameter 'tableList'", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrationThatFails_ReportsItsFailureError()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");
        _emulator.PollsPerStep = 5;
        await _client.CreateOrUpdateAsync(target, SqlDbRequest());
        _emulator.FailMigration("sales", "SqlDataCopyFailed", "Copying [dbo].[Orders] failed: the target ran out of space.");

        DatabaseMigrationStatus failed = await _client.GetAsync(target);

        Assert.True(failed.Failed);
        Assert.Equal(new ArmErrorDetail("SqlDataCopyFailed", "Copying [dbo].[Orders] failed: the target ran out of space."), failed.MigrationFailureError);
        Assert.Equal(["Copying [dbo].[Orders] failed: the target ran out of space."], failed.CopyErrors);
    }

    [Fact]
    public async Task ArmErrorBody_On4xx_BecomesAClearNonRetriableException()
    {
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");
        DatabaseMigrationStatus created = await _client.CreateOrUpdateAsync(target, SqlDbRequest());
        await _client.GetAsync(target); // Succeeded now: the service refuses a cancel.

        ArmRequestException refused = await Assert.ThrowsAsync<ArmRequestException>(() => _client.CancelAsync(target, created.MigrationOperationId!));

        Assert.Equal(400, refused.Status);
        Assert.Equal("MigrationCancelFailed", refused.ErrorCode);
        Assert.False(refused.IsRetriable);
        Assert.False(refused.OperationFailed);
        Assert.StartsWith("Cancel could not be performed", refused.ServiceMessage, StringComparison.Ordinal);
        Assert.Contains("400 MigrationCancelFailed", refused.Message, StringComparison.Ordinal);

        _emulator.FailNextRequest(409, "OperationInProgress", "Operation in progress on resource already.");
        ArmRequestException busy = await Assert.ThrowsAsync<ArmRequestException>(() => _client.CreateOrUpdateAsync(target, SqlDbRequest()));
        Assert.Equal(409, busy.Status);
        Assert.True(busy.IsRetriable);

        ArmRequestException missing = await Assert.ThrowsAsync<ArmRequestException>(
            () => _client.GetAsync(DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "nothing")));
        Assert.Equal(404, missing.Status);

        // A missing resource group is a configuration error, not "no migration".
        _emulator.FailNextRequest(404, "ResourceGroupNotFound", "Resource group 'waves' could not be found.");
        ArmRequestException noGroup = await Assert.ThrowsAsync<ArmRequestException>(() => _client.GetIfExistsAsync(target));
        Assert.Equal("ResourceGroupNotFound", noGroup.ErrorCode);
        Assert.Null(await _client.GetIfExistsAsync(DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "nothing")));
    }

    [Fact]
    public async Task Emulator_RefusesMissingBearerAndOtherApiVersions()
    {
        using HttpClientHandler handler = _emulator.CreateHandler();
        using var http = new HttpClient(handler) { BaseAddress = _emulator.Endpoint };
        string path = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "s", "d").MigrationId;

        using HttpResponseMessage anonymous = await http.GetAsync(new Uri(path + "?api-version=2022-03-30-preview", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path + "?api-version=2021-06-30", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "t");
        using HttpResponseMessage oldVersion = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, oldVersion.StatusCode);
        JsonNode error = JsonNode.Parse(await oldVersion.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("NoRegisteredProviderFound", (string?)error["code"]);
        Assert.Contains("2022-03-30-preview", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_OnlyInTheCreateBody_NeverInLogsMessagesOrResponses()
    {
        var logs = new List<string>();
        using var listener = new AzureEventSourceListener(
            (_, message) =>
            {
                lock (logs)
                {
                    logs.Add(message);
                }
            },
            EventLevel.Verbose);
        var options = Options(_emulator);
        options.Diagnostics.IsLoggingContentEnabled = true; // The client turns it off again.
        var client = new DatabaseMigrationServiceClient(DmsEmulator.Credential, options);
        DatabaseMigrationTarget target = DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales");
        DatabaseMigrationRequest request = SqlDbRequest();
        _emulator.FailNextRequest(400, "TestConnectionFailed", "Failed to test connections using provided Integration Runtime.");

        ArmRequestException refused = await Assert.ThrowsAsync<ArmRequestException>(() => client.CreateOrUpdateAsync(target, request));
        DatabaseMigrationStatus created = await client.CreateOrUpdateAsync(target, request);
        DatabaseMigrationStatus status = await client.GetAsync(target);
        DatabaseMigrationTarget mi = DatabaseMigrationTarget.SqlMi(Subscription, ResourceGroup, "mi1", "orders");
        DatabaseMigrationRequest miRequest = ManagedInstanceRequest(offline: false);
        await client.CreateOrUpdateAsync(mi, miRequest);

        string[] secrets = [SourcePassword, TargetPassword, AccountKey];
        string[] texts =
        [
            refused.Message, refused.ToString(), request.ToString(), request.SourceSqlConnection.ToString(),
            request.TargetSqlConnection!.ToString(), miRequest.ToString(), miRequest.BackupConfiguration!.ToString(),
            created.ToString(), status.ToString(), string.Join("\n", logs),
        ];
        Assert.NotEmpty(logs);
        foreach (string secret in secrets)
        {
            Assert.All(texts, text => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        }

        // On the wire, the passwords go only in the create requests' bodies, as the service needs them.
        Assert.All(_emulator.Requests.Where(r => r.Method != "PUT"), r => Assert.DoesNotContain(SourcePassword, r.Body + r.Query, StringComparison.Ordinal));
        Assert.All(_emulator.Requests.Where(r => r.Method == "PUT" && r.Path == target.MigrationId), r =>
        {
            JsonNode properties = JsonNode.Parse(r.Body)!["properties"]!;
            Assert.Equal(SourcePassword, (string?)properties["sourceSqlConnection"]!["password"]);
            Assert.Equal(TargetPassword, (string?)properties["targetSqlConnection"]!["password"]);
        });
    }

    [Fact]
    public async Task MigrationService_ReportsItsIntegrationRuntime_AndCreatesFailWhileItIsOffline()
    {
        SqlMigrationServiceStatus online = await _client.GetMigrationServiceAsync(MigrationService);
        Assert.Equal(("dms1", "Succeeded", "westeurope"), (online.Name, online.ProvisioningState, online.Location));
        Assert.True(online.IsIntegrationRuntimeOnline);

        _emulator.IntegrationRuntimeState = "Offline";
        Assert.False((await _client.GetMigrationServiceAsync(MigrationService)).IsIntegrationRuntimeOnline);
        ArmRequestException refused = await Assert.ThrowsAsync<ArmRequestException>(
            () => _client.CreateOrUpdateAsync(DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales"), SqlDbRequest()));
        Assert.Equal("IntegrationRuntimeIsNotOnline", refused.ErrorCode);
        Assert.Equal(400, refused.Status);

        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetMigrationServiceAsync("/subscriptions/s/resourceGroups/rg"));
    }

    [Fact]
    public async Task OperationUrlOnAnotherHost_IsNotFollowed()
    {
        _emulator.OperationHost = "localhost"; // The endpoint is 127.0.0.1: the token must not go elsewhere.

        ArmRequestException refused = await Assert.ThrowsAsync<ArmRequestException>(
            () => _client.CreateOrUpdateAsync(DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales"), SqlDbRequest()));

        Assert.Contains("another host (localhost)", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_emulator.Requests, r => r.Path.Contains("/operationStatuses/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancellation_StopsWaitingForALongOperation()
    {
        _emulator.OperationPolls = int.MaxValue;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _client.CreateOrUpdateAsync(DatabaseMigrationTarget.SqlDb(Subscription, ResourceGroup, "sqlserver1", "sales"), SqlDbRequest(), cancellation.Token));

        Assert.Equal("InProgress", _emulator.MigrationStatusOf("sales"));
    }

    [Fact]
    public void StatusDetails_ParsesPerTableProgress()
    {
        const string body = """
            {
              "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/srv/providers/Microsoft.DataMigration/databaseMigrations/db",
              "name": "db",
              "type": "Microsoft.DataMigration/databaseMigrations",
              "properties": {
                "kind": "SqlDb",
                "provisioningState": "Succeeded",
                "migrationStatus": "InProgress",
                "migrationOperationId": "3f1c2b7e-0000-4000-8000-000000000001",
                "startedOn": "2026-11-30T10:00:00Z",
                "migrationStatusDetails": {
                  "migrationState": "CopyDatabase",
                  "sqlDataCopyErrors": [ "" ],
                  "listOfCopyProgressDetails": [
                    { "tableName": "dbo.A", "status": "Succeeded", "rowsRead": 40, "rowsCopied": 40, "dataRead": 4000, "dataWritten": 4000, "copyThroughput": 0.0, "copyDuration": 12, "usedParallelCopies": 1 },
                    { "tableName": "dbo.B", "status": "InProgress", "rowsRead": 25, "rowsCopied": 5, "dataRead": 2500, "dataWritten": 500, "copyThroughput": 64.5, "copyDuration": 3, "parallelCopyType": "DynamicRange", "usedParallelCopies": 4, "copyStart": "2026-11-30T10:01:00Z" }
                  ]
                }
              }
            }
            """;

        DatabaseMigrationStatus status = DatabaseMigrationStatusParser.Parse(
            BinaryData.FromString(body), DatabaseMigrationTarget.SqlDb("s", "rg", "srv", "db"));

        Assert.Equal(1, status.TablesCopied);
        Assert.Equal(65, status.RowsRead);
        Assert.Equal(45, status.RowsCopied);
        Assert.Equal(6500, status.DataRead);
        Assert.Equal(4500, status.DataWritten);
        Assert.Equal(64.5, status.CopyThroughput);
        Assert.Empty(status.CopyErrors);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero), status.StartedOn);
        DatabaseMigrationTableProgress b = status.Tables[1];
        Assert.Equal(("DynamicRange", 4, 3L), (b.ParallelCopyType, b.UsedParallelCopies, b.CopyDuration));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 1, 0, TimeSpan.Zero), b.CopyStart);
        Assert.False(status.IsReadyForCutover);
    }

    internal static DatabaseMigrationServiceClientOptions Options(DmsEmulator emulator)
    {
        var options = new DatabaseMigrationServiceClientOptions
        {
            Endpoint = emulator.Endpoint,
            Transport = emulator.CreateTransport(),
            PollingInterval = TimeSpan.FromMilliseconds(10),
        };
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(5);
        return options;
    }

    private static DatabaseMigrationServiceClient CreateClient(DmsEmulator emulator) => new(DmsEmulator.Credential, Options(emulator));

    private static DatabaseMigrationRequest SqlDbRequest(params string[] tables) => new()
    {
        MigrationServiceId = MigrationService,
        SourceDatabaseName = "sales",
        SourceSqlConnection = new SqlConnectionInformation
        {
            DataSource = "sqlsource.contoso.local",
            UserName = "migrator",
            Password = SourcePassword,
            TrustServerCertificate = true,
        },
        TargetSqlConnection = new SqlConnectionInformation
        {
            DataSource = "sqlserver1.database.windows.net",
            UserName = "loader",
            Password = TargetPassword,
        },
        TableList = tables,
    };

    private static DatabaseMigrationRequest ManagedInstanceRequest(bool offline) => new()
    {
        MigrationServiceId = MigrationService,
        SourceDatabaseName = "orders",
        SourceSqlConnection = new SqlConnectionInformation { DataSource = "sqlsource.contoso.local", UserName = "migrator", Password = SourcePassword },
        Offline = offline,
        LastBackupName = offline ? "orders_log_2.trn" : null,
        BackupConfiguration = new DatabaseMigrationBackupConfiguration
        {
            BlobStorageAccountResourceId = $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.Storage/storageAccounts/backups",
            BlobAccountKey = AccountKey,
            BlobContainerName = "orders",
        },
    };

    private sealed record RecordedCall(string Path, string Body)
    {
        public static RecordedCall Of(DmsEmulator.RecordedRequest request) => new(request.Path, request.Body);
    }
}

using System.Text.Json.Nodes;

namespace DurableMigration.Providers.Tests.Dms;

/// <summary>
/// Proves the emulator speaks the real contract: Microsoft's own Python client <c>azure.mgmt.datamigration</c> (Debian's
/// <c>python3-azure</c>, api-version 2022-03-30-preview) drives it through create, read with <c>$expand</c>, cutover and cancel (Dms/dms_contract.py).
/// </summary>
public sealed class DmsPythonContractTests
{
    [Fact]
    public async Task MicrosoftsPythonClient_CreatesReadsCutsOverAndCancels_AgainstTheEmulator()
    {
        await MicrosoftPythonClient.RequireAsync("azure.mgmt.datamigration");
        await using DmsEmulator emulator = await DmsEmulator.StartAsync();
        emulator.Throttle(1, retryAfterSeconds: 1); // The Python client's retry policy must honour the 429 too.

        JsonNode seen = await MicrosoftPythonClient.RunContractAsync(
            Path.Combine("Dms", "dms_contract.py"),
            emulator.WriteCertificatePem,
            "DMS_CA_BUNDLE",
            new Dictionary<string, string>
            {
                ["DMS_ENDPOINT"] = emulator.Endpoint.ToString(),
                ["DMS_SUBSCRIPTION"] = "00000000-1111-2222-3333-444444444444",
            });

        Assert.Equal(DmsEmulator.ApiVersion, (string?)seen["api_version"]);
        Assert.Equal(["dms1", "Succeeded", "Online"], seen["service"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("Succeeded", (string?)seen["sqldb_create"]);
        Assert.Equal("Succeeded", (string?)seen["sqldb_status"]);
        JsonArray tables = seen["sqldb_tables"]!.AsArray();
        Assert.Equal(2, tables.Count);
        Assert.All(tables, t => Assert.Equal(emulator.RowsPerTable, (long)t![3]!));
        Assert.Equal("Canceled", (string?)seen["sqldb_cancel"]);
        Assert.Equal("Succeeded", (string?)seen["sqlmi_create"]);
        Assert.Equal("ReadyForCutover", (string?)seen["sqlmi_ready"]);
        Assert.True((bool?)seen["sqlmi_full_backup_restored"]);
        Assert.Equal("Succeeded", (string?)seen["sqlmi_cutover"]);
        Assert.Equal("Canceled", (string?)seen["sqlmi_cancel"]);
        JsonNode backups = seen["sqlmi_backups"]!;
        Assert.Equal(0, (int?)backups["pending"]);
        Assert.Equal("Database", (string?)backups["full_type"]);
        Assert.True((bool?)backups["full_restored"]);
        Assert.Equal("ordersdb_log_2.trn", (string?)backups["last_restored_file"]);
        Assert.True((bool?)backups["last_restored_finish"]);
        Assert.Equal(3, (int?)backups["active_sets"]);
        Assert.Equal(["inventorydb", "Restoring"], seen["sqlmi_partial_database"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("ResourceNotFound", (string?)seen["sqlmi_deleted_database"]);
        Assert.Equal("ResourceNotFound", (string?)seen["missing"]);
        Assert.Equal("CutoverNotAllowedMigrationCompleteError", (string?)seen["second_cutover"]);

        IReadOnlyList<DmsEmulator.RecordedRequest> requests = emulator.Requests;
        Assert.All(requests, r => Assert.True(r.HadBearerToken));
        Assert.All(
            requests,
            r => Assert.Contains(
                r.Path.Contains("/providers/Microsoft.Sql/", StringComparison.Ordinal) && !r.Path.Contains("/Microsoft.DataMigration/", StringComparison.Ordinal)
                    ? "api-version=2021-11-01"
                    : "api-version=2022-03-30-preview",
                r.Query,
                StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Method == "DELETE" && r.Path.EndsWith("/managedInstances/mi1/databases/inventorydb", StringComparison.Ordinal));
        // The throttled first call (the migration service's read) was sent again.
        Assert.Equal(("GET", "GET"), (requests[0].Method, requests[1].Method));
        Assert.Equal(requests[0].Path, requests[1].Path);
        Assert.EndsWith("/providers/Microsoft.DataMigration/sqlMigrationServices/dms1", requests[0].Path, StringComparison.Ordinal);
        Assert.Contains(requests, r => r.Path.Contains("/operationStatuses/", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Method == "POST" && r.Path.EndsWith("/managedInstances/mi1/providers/Microsoft.DataMigration/databaseMigrations/ordersdb/cutover", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Method == "POST" && r.Path.EndsWith("/servers/sqlserver1/providers/Microsoft.DataMigration/databaseMigrations/billingdb/cancel", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Method == "GET" && Uri.UnescapeDataString(r.Query).Contains("$expand=MigrationStatusDetails", StringComparison.Ordinal));

        // What Microsoft's client sends for a create is what our client sends: the same property names.
        JsonObject put = JsonNode.Parse(requests.First(r => r.Method == "PUT").Body)!["properties"]!.AsObject();
        Assert.Equal("SqlDb", (string?)put["kind"]);
        Assert.Equal(
            ["dataSource", "authentication", "userName", "password", "encryptConnection", "trustServerCertificate"],
            put["sourceSqlConnection"]!.AsObject().Select(p => p.Key));
        Assert.NotNull(put["targetSqlConnection"]);
        Assert.NotNull(put["tableList"]);
        Assert.NotNull(put["migrationService"]);
    }
}

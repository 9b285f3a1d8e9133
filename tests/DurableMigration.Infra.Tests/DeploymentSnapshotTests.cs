using System.Text.Json;

namespace DurableMigration.Infra.Tests;

/// <summary>What a deployment of main.bicep with main.bicepparam would create, from bicep snapshot's offline evaluation.</summary>
[Collection(BicepCollection.Name)]
public sealed class DeploymentSnapshotTests(BicepFixture bicep)
{
    private const string ResourceGroupId = $"/subscriptions/{BicepFixture.SubscriptionId}/resourceGroups/{BicepFixture.ResourceGroup}";

    // Built-in role definitions.
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    private const string KeyVaultSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
    private const string Contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    private static IEnumerable<JsonElement> Predicted(JsonElement snapshot, string type) =>
        snapshot.GetProperty("predictedResources").EnumerateArray().Where(r => ArmJson.Type(r) == type);

    private JsonElement Single(string type) => Assert.Single(Predicted(bicep.SnapshotJson, type));

    private string Name(string type) => ArmJson.At(Single(type), "name")!;

    private Dictionary<string, string> AppSettings() =>
        Single("Microsoft.Web/sites/config").GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    [Fact]
    public void Queues_AreTheTicketQueueAndItsPoisonQueue()
    {
        string storage = Name("Microsoft.Storage/storageAccounts");
        string[] queues = [.. Predicted(bicep.SnapshotJson, "Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => ArmJson.At(q, "name")!).Order(StringComparer.Ordinal)];

        Assert.Equal([$"{storage}/default/migration-requests", $"{storage}/default/migration-requests-poison"], queues);
    }

    [Fact]
    public void Tables_AreTheSharedProgressTable()
    {
        Assert.Equal($"{Name("Microsoft.Storage/storageAccounts")}/default/migrationprogress", Name("Microsoft.Storage/storageAccounts/tableServices/tables"));
    }

    [Fact]
    public void GloballyUniqueNames_FitTheirServicesRules()
    {
        string storage = Name("Microsoft.Storage/storageAccounts");
        string vault = Name("Microsoft.KeyVault/vaults");

        Assert.InRange(storage.Length, 3, 24);
        Assert.All(storage, c => Assert.True(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c), storage));
        Assert.InRange(vault.Length, 3, 24);
        Assert.True(char.IsAsciiLetter(vault[0]), vault);
        Assert.All(vault, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c == '-', vault));
        Assert.InRange(Name("Microsoft.Web/sites").Length, 2, 60);
    }

    [Fact]
    public void ConnectionSecretSettings_AreKeyVaultReferencesToTheirSecrets()
    {
        Dictionary<string, string> settings = AppSettings();
        string vaultId = $"{ResourceGroupId}/providers/Microsoft.KeyVault/vaults/{Name("Microsoft.KeyVault/vaults")}";
        JsonElement[] secrets = [.. bicep.Parameters.GetProperty("parameters").GetProperty("connectionSecrets").GetProperty("value").EnumerateArray()];

        Assert.NotEmpty(secrets);
        Assert.All(secrets, secret =>
        {
            string value = settings[ArmJson.At(secret, "appSetting")!];
            Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1}/)'", value, StringComparison.Ordinal);
            Assert.Contains($"reference('{vaultId}'", value, StringComparison.Ordinal);
            Assert.EndsWith($".vaultUri, '{ArmJson.At(secret, "secretName")}')]", value, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void AppSettings_EverySecretLookingSetting_IsAKeyVaultReference()
    {
        // The Application Insights connection string carries an instrumentation key, which Azure Monitor documents as not secret.
        string[] secretLooking = [.. AppSettings().Keys.Where(name =>
            name != "APPLICATIONINSIGHTS_CONNECTION_STRING"
            && new[] { "CONNECTION", "SECRET", "PASSWORD", "KEY", "TOKEN" }.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase)))];

        Assert.Equal(["MIGRATION_SOURCE_CONNECTION", "MIGRATION_TARGET_CONNECTION"], secretLooking.Order(StringComparer.Ordinal));
        Assert.All(secretLooking, name => Assert.Contains("@Microsoft.KeyVault(", AppSettings()[name], StringComparison.Ordinal));
    }

    [Fact]
    public void AppSettings_HoldNoKeyOrPassword()
    {
        Assert.All(AppSettings(), setting =>
        {
            Assert.DoesNotContain("listKeys(", setting.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("AccountKey=", setting.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Password=", setting.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", setting.Value, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void AppSettings_ConnectHostAndTaskHubToStorageByIdentity()
    {
        Dictionary<string, string> settings = AppSettings();

        Assert.Equal(Name("Microsoft.Storage/storageAccounts"), settings["AzureWebJobsStorage__accountName"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        // A system-assigned identity needs no __credential or __clientId.
        Assert.DoesNotContain(settings.Keys, name => name.StartsWith("AzureWebJobsStorage__c", StringComparison.Ordinal));
    }

    [Fact]
    public void AppSettings_ConnectTicketQueueAndProgressTableByIdentity()
    {
        Dictionary<string, string> settings = AppSettings();
        string storageId = $"{ResourceGroupId}/providers/Microsoft.Storage/storageAccounts/{Name("Microsoft.Storage/storageAccounts")}";

        Assert.Equal($"[reference('{storageId}', '2025-01-01').primaryEndpoints.queue]", settings["TicketQueue__queueServiceUri"]);
        Assert.Equal("migration-requests", settings["TICKET_QUEUE_NAME"]);
        Assert.Equal($"[reference('{storageId}', '2025-01-01').primaryEndpoints.table]", settings["ProgressTable__tableServiceUri"]);
        Assert.Equal("migrationprogress", settings["PROGRESS_TABLE_NAME"]);
    }

    [Fact]
    public void AppSettings_NameTheSqlMigrationService()
    {
        Assert.Equal(
            $"{ResourceGroupId}/providers/Microsoft.DataMigration/sqlMigrationServices/{Name("Microsoft.DataMigration/sqlMigrationServices")}",
            AppSettings()["MIGRATION_DMS_RESOURCE_ID"]);
    }

    [Fact]
    public void AppSettings_SendTheMigrationRecordsThroughTheDataCollectionRule()
    {
        Dictionary<string, string> settings = AppSettings();
        string rule = $"{ResourceGroupId}/providers/Microsoft.Insights/dataCollectionRules/{Name("Microsoft.Insights/dataCollectionRules")}";
        string endpoint = $"{ResourceGroupId}/providers/Microsoft.Insights/dataCollectionEndpoints/{Name("Microsoft.Insights/dataCollectionEndpoints")}";

        Assert.Equal($"[reference('{rule}', '2023-03-11').immutableId]", settings["LogsIngestion__RuleId"]);
        Assert.Equal($"[reference('{endpoint}', '2023-03-11').logsIngestion.endpoint]", settings["LogsIngestion__Endpoint"]);
        Assert.Equal("Custom-MigrationRecords_CL", settings["LogsIngestion__Stream"]);
    }

    [Fact]
    public void RecordTable_StreamAndRule_AgreeOnTheColumnsOfAMigrationRecord()
    {
        string[] expected = ["TimeGenerated", "Wave", "Database", "Kind", "Step", "Status", "DurationMs", "Rows", "Bytes", "LagSeconds", "Ticket", "Error"];
        JsonElement table = Single("Microsoft.OperationalInsights/workspaces/tables");
        JsonElement rule = Single("Microsoft.Insights/dataCollectionRules");
        JsonElement stream = rule.GetProperty("properties").GetProperty("streamDeclarations").GetProperty("Custom-MigrationRecords_CL");

        Assert.EndsWith("/MigrationRecords_CL", ArmJson.At(table, "name"), StringComparison.Ordinal);
        Assert.Equal(expected, table.GetProperty("properties").GetProperty("schema").GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(expected, stream.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        JsonElement flow = Assert.Single(rule.GetProperty("properties").GetProperty("dataFlows").EnumerateArray());
        Assert.Equal("source", flow.GetProperty("transformKql").GetString());
        Assert.Equal("Custom-MigrationRecords_CL", flow.GetProperty("outputStream").GetString());
    }

    [Fact]
    public void AppSettings_IncludeApplicationInsightsConnectionString()
    {
        Assert.EndsWith(".ConnectionString]", AppSettings()["APPLICATIONINSIGHTS_CONNECTION_STRING"], StringComparison.Ordinal);
    }

    [Fact]
    public void RoleAssignments_GiveTheAppIdentityEachRoleOnItsOneResourceOnly()
    {
        string site = $"{ResourceGroupId}/providers/Microsoft.Web/sites/{Name("Microsoft.Web/sites")}";
        string storage = $"{ResourceGroupId}/providers/Microsoft.Storage/storageAccounts/{Name("Microsoft.Storage/storageAccounts")}";
        string vault = $"{ResourceGroupId}/providers/Microsoft.KeyVault/vaults/{Name("Microsoft.KeyVault/vaults")}";
        string dms = $"{ResourceGroupId}/providers/Microsoft.DataMigration/sqlMigrationServices/{Name("Microsoft.DataMigration/sqlMigrationServices")}";
        string rule = $"{ResourceGroupId}/providers/Microsoft.Insights/dataCollectionRules/{Name("Microsoft.Insights/dataCollectionRules")}";
        JsonElement[] assignments = [.. Predicted(bicep.SnapshotJson, "Microsoft.Authorization/roleAssignments")];

        (string, string)[] expected =
        [
            (storage, StorageBlobDataOwner),
            (storage, StorageQueueDataContributor),
            (storage, StorageTableDataContributor),
            (vault, KeyVaultSecretsUser),
            (dms, Contributor),
            (rule, MonitoringMetricsPublisher),
        ];

        Assert.Equal(expected.Order(), assignments.Select(ScopeAndRole).Order());
        Assert.All(assignments, assignment =>
        {
            Assert.Equal($"[reference('{site}', '2024-11-01', 'full').identity.principalId]", ArmJson.At(assignment, "properties.principalId"));
            Assert.Equal("ServicePrincipal", ArmJson.At(assignment, "properties.principalType"));
        });
    }

    [Fact]
    public void RoleAssignments_WithAnOperator_AddSecretsOfficerOnTheVaultForThem()
    {
        JsonElement[] assignments = [.. Predicted(bicep.OperatorSnapshotJson, "Microsoft.Authorization/roleAssignments")];
        JsonElement officer = Assert.Single(assignments, a => ArmJson.At(a, "properties.principalId") == BicepFixture.OperatorPrincipalId);

        Assert.Equal(7, assignments.Length);
        Assert.Equal(KeyVaultSecretsOfficer, ScopeAndRole(officer).Role);
        Assert.Contains("/providers/Microsoft.KeyVault/vaults/", ScopeAndRole(officer).Scope, StringComparison.Ordinal);
        Assert.Equal("Group", ArmJson.At(officer, "properties.principalType"));
    }

    [Fact]
    public void Outputs_AreNamesAndIds()
    {
        JsonElement outputs = bicep.SnapshotJson.GetProperty("outputs");

        Assert.Equal(Name("Microsoft.Web/sites"), ArmJson.At(outputs, "functionAppName"));
        Assert.Equal(Name("Microsoft.Storage/storageAccounts"), ArmJson.At(outputs, "storageAccountName"));
        Assert.Equal(Name("Microsoft.KeyVault/vaults"), ArmJson.At(outputs, "keyVaultName"));
        Assert.Equal(
            $"{ResourceGroupId}/providers/Microsoft.DataMigration/sqlMigrationServices/{Name("Microsoft.DataMigration/sqlMigrationServices")}",
            ArmJson.At(outputs, "dmsResourceId"));
    }

    private static (string Scope, string Role) ScopeAndRole(JsonElement assignment)
    {
        string id = ArmJson.At(assignment, "id")!;
        string scope = id[..id.IndexOf("/providers/Microsoft.Authorization/roleAssignments/", StringComparison.Ordinal)];
        string role = ArmJson.At(assignment, "properties.roleDefinitionId")!.Split('/')[^1];
        return (scope, role);
    }
}

using System.Text.Json;

namespace DurableMigration.Infra.Tests;

/// <summary>What the compiled ARM template of main.bicep (and its modules' nested templates) declares.</summary>
[Collection(BicepCollection.Name)]
public sealed class CompiledTemplateTests(BicepFixture bicep)
{
    private IReadOnlyList<JsonElement> Deployed(string type) => ArmJson.Deployed(bicep.Template, type);

    [Fact]
    public void HostingPlan_IsFlexConsumptionOnLinux()
    {
        JsonElement plan = Assert.Single(Deployed("Microsoft.Web/serverfarms"));

        Assert.Equal("FC1", ArmJson.At(plan, "sku.name"));
        Assert.Equal("FlexConsumption", ArmJson.At(plan, "sku.tier"));
        Assert.Equal("true", ArmJson.At(plan, "properties.reserved"));
    }

    [Fact]
    public void FunctionApp_IsLinuxFunctionAppWithSystemAssignedIdentity()
    {
        JsonElement site = Assert.Single(Deployed("Microsoft.Web/sites"));

        Assert.Equal("functionapp,linux", ArmJson.At(site, "kind"));
        Assert.Equal("SystemAssigned", ArmJson.At(site, "identity.type"));
        Assert.Equal("true", ArmJson.At(site, "properties.httpsOnly"));
    }

    [Fact]
    public void FunctionApp_RunsDotnetIsolated10_FromADeploymentContainerReachedByIdentity()
    {
        JsonElement config = Assert.Single(Deployed("Microsoft.Web/sites")).GetProperty("properties").GetProperty("functionAppConfig");

        Assert.Equal("dotnet-isolated", ArmJson.At(config, "runtime.name"));
        Assert.Equal("10.0", ArmJson.At(config, "runtime.version"));
        Assert.Equal("blobContainer", ArmJson.At(config, "deployment.storage.type"));
        Assert.Equal("SystemAssignedIdentity", ArmJson.At(config, "deployment.storage.authentication.type"));
        Assert.NotNull(ArmJson.At(config, "scaleAndConcurrency.maximumInstanceCount"));
        Assert.NotNull(ArmJson.At(config, "scaleAndConcurrency.instanceMemoryMB"));
    }

    [Fact]
    public void FunctionApp_BasicAuthPublishing_IsOff()
    {
        IReadOnlyList<JsonElement> policies = Deployed("Microsoft.Web/sites/basicPublishingCredentialsPolicies");

        Assert.Equal(2, policies.Count);
        Assert.All(policies, policy => Assert.Equal("false", ArmJson.At(policy, "properties.allow")));
    }

    [Fact]
    public void StorageAccount_AllowsNoSharedKeyNorPublicBlobs_AndRequiresTls12()
    {
        JsonElement storage = Assert.Single(Deployed("Microsoft.Storage/storageAccounts"));

        Assert.Equal("false", ArmJson.At(storage, "properties.allowSharedKeyAccess"));
        Assert.Equal("false", ArmJson.At(storage, "properties.allowBlobPublicAccess"));
        Assert.Equal("TLS1_2", ArmJson.At(storage, "properties.minimumTlsVersion"));
        Assert.Equal("true", ArmJson.At(storage, "properties.supportsHttpsTrafficOnly"));
    }

    [Fact]
    public void Storage_DeclaresTwoQueuesAndATable()
    {
        Assert.Equal(2, Deployed("Microsoft.Storage/storageAccounts/queueServices/queues").Count);
        Assert.Single(Deployed("Microsoft.Storage/storageAccounts/tableServices/tables"));
        Assert.Equal("None", ArmJson.At(Assert.Single(Deployed("Microsoft.Storage/storageAccounts/blobServices/containers")), "properties.publicAccess"));
    }

    [Fact]
    public void KeyVault_UsesRbacWithSoftDeleteAndPurgeProtection()
    {
        JsonElement vault = Assert.Single(Deployed("Microsoft.KeyVault/vaults"));

        Assert.Equal("true", ArmJson.At(vault, "properties.enableRbacAuthorization"));
        Assert.Equal("true", ArmJson.At(vault, "properties.enableSoftDelete"));
        Assert.Equal("true", ArmJson.At(vault, "properties.enablePurgeProtection"));
        Assert.Null(ArmJson.At(vault, "properties.accessPolicies"));
    }

    [Fact]
    public void KeyVault_DeclaresNoSecret()
    {
        Assert.DoesNotContain(ArmJson.Resources(bicep.Template), r => ArmJson.Type(r).StartsWith("Microsoft.KeyVault/vaults/", StringComparison.Ordinal));
    }

    [Fact]
    public void Template_DeploysASqlMigrationService()
    {
        JsonElement dms = Assert.Single(Deployed("Microsoft.DataMigration/sqlMigrationServices"));

        Assert.NotNull(ArmJson.At(dms, "apiVersion"));
    }

    [Fact]
    public void Template_DeploysWorkspaceBasedApplicationInsights()
    {
        JsonElement appInsights = Assert.Single(Deployed("Microsoft.Insights/components"));

        Assert.Single(Deployed("Microsoft.OperationalInsights/workspaces"));
        Assert.Contains("Microsoft.OperationalInsights/workspaces", ArmJson.At(appInsights, "properties.WorkspaceResourceId"), StringComparison.Ordinal);
    }

    [Fact]
    public void AppRoleAssignments_NameTheFunctionAppIdentityAsPrincipal()
    {
        JsonElement[] forApp = [.. Deployed("Microsoft.Authorization/roleAssignments")
            .Where(a => ArmJson.At(a, "properties.principalType") == "ServicePrincipal")];

        Assert.Equal(4, forApp.Length); // the storage roles (one loop), Key Vault, DMS, the records' data collection rule
        Assert.All(forApp, assignment =>
        {
            string principal = ArmJson.At(assignment, "properties.principalId")!;
            Assert.StartsWith("[reference(resourceId('Microsoft.Web/sites', parameters('functionAppName'))", principal, StringComparison.Ordinal);
            Assert.EndsWith(".identity.principalId]", principal, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Template_NeverReadsAnAccountKey()
    {
        string text = bicep.Template.GetRawText();

        Assert.DoesNotContain("listKeys(", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Template_SetsNeitherWorkerRuntimeNorExtensionVersion()
    {
        string text = bicep.Template.GetRawText();

        // On Flex Consumption the runtime lives in functionAppConfig.runtime; these settings are rejected there.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_AreNamesAndIdsOnly()
    {
        string[] outputs = [.. bicep.Template.GetProperty("outputs").EnumerateObject().Select(o => o.Name).Order(StringComparer.Ordinal)];

        Assert.Equal(["dmsResourceId", "functionAppDefaultHostName", "functionAppName", "keyVaultName", "storageAccountName"], outputs);
        Assert.All(bicep.Template.GetProperty("outputs").EnumerateObject(), o => Assert.Equal("string", ArmJson.At(o.Value, "type")));
    }

    [Fact]
    public void Parameters_NoneIsSecure_SinceNoSecretValuePassesThroughTheTemplate()
    {
        // Secrets are set in Key Vault, never passed in: no parameter is secure, so none can carry a default secret.
        Assert.All(bicep.Template.GetProperty("parameters").EnumerateObject(), p =>
            Assert.DoesNotContain("secure", ArmJson.At(p.Value, "type") ?? "", StringComparison.OrdinalIgnoreCase));
    }
}

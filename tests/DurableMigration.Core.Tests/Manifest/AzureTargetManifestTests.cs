using DurableMigration.Manifest;

namespace DurableMigration.Core.Tests.Manifest;

/// <summary>The manifest's <c>target.azure</c>: where a sqlserver database goes through Azure Database Migration Service.</summary>
public sealed class AzureTargetManifestTests
{
    private const string Group = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-migration/providers";
    private const string Server = Group + "/Microsoft.Sql/servers/sql-prod";
    private const string Instance = Group + "/Microsoft.Sql/managedInstances/mi-prod";
    private const string Vm = Group + "/Microsoft.SqlVirtualMachine/sqlVirtualMachines/vm-prod";
    private const string Service = Group + "/Microsoft.DataMigration/sqlMigrationServices/dms-prod";
    private const string Account = Group + "/Microsoft.Storage/storageAccounts/backups";

    [Fact]
    public void Parse_SqlDbTarget_ReadsResourceServiceAndKind()
    {
        var manifest = WaveManifestReader.Parse(Wave(Azure(Server, database: "sales_db")));

        var azure = manifest.Databases[0].Target.Azure!;
        Assert.Equal(AzureTargetKind.SqlDb, azure.Kind);
        Assert.Equal(Service, azure.MigrationService);
        Assert.Equal("sql-prod", azure.TargetName);
        Assert.Equal("rg-migration", azure.ResourceGroup);
        Assert.Equal("00000000-0000-0000-0000-000000000001", azure.SubscriptionId);
        Assert.Equal("sales_db", azure.Database);
        Assert.Null(azure.Backup);
    }

    [Fact]
    public void Parse_ManagedInstanceOnline_ReadsTheBackupWithItsKeyAsAReference()
    {
        var manifest = WaveManifestReader.Parse(Wave(Azure(Instance, backup: Backup("env:BACKUP_KEY")), mode: "online"));

        var azure = manifest.Databases[0].Target.Azure!;
        Assert.Equal(AzureTargetKind.SqlMi, azure.Kind);
        Assert.Equal(new AzureBackupSpec(Account, "sales-backups", "env:BACKUP_KEY"), azure.Backup);
    }

    [Fact]
    public void Parse_SqlVmTarget_IsRecognisedByItsResourceType()
    {
        var manifest = WaveManifestReader.Parse(Wave(Azure(Vm, backup: Backup("file:/run/secrets/key"))));

        Assert.Equal(AzureTargetKind.SqlVm, manifest.Databases[0].Target.Azure!.Kind);
    }

    [Fact]
    public void Parse_SqlServerTargetWithoutAzure_SaysWhatIsMissing()
    {
        var error = Assert.Single(Errors(Wave(azure: null)));

        Assert.Equal("databases[0].target.azure", error.Path);
        Assert.Contains("needs 'azure' (resource and migrationService)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ResourceThatIsNotASqlTarget_NamesTheAcceptedTypes()
    {
        var error = Assert.Single(Errors(Wave(Azure(Group + "/Microsoft.Web/sites/app"))));

        Assert.Equal("databases[0].target.azure.resource", error.Path);
        Assert.Contains("Microsoft.Sql/managedInstances", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MigrationServiceOfTheWrongType_IsRefused()
    {
        var error = Assert.Single(Errors(Wave(Azure(Server, service: Server))));

        Assert.Equal("databases[0].target.azure.migrationService", error.Path);
        Assert.Contains("Microsoft.DataMigration/sqlMigrationServices", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SqlDbOnline_IsRefusedBecauseDmsCopiesItOfflineOnly()
    {
        var error = Assert.Single(Errors(Wave(Azure(Server), mode: "online")));

        Assert.Equal("databases[0].target.azure.resource", error.Path);
        Assert.Contains("migrate offline only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManagedInstanceWithoutBackup_AsksForIt()
    {
        var error = Assert.Single(Errors(Wave(Azure(Instance))));

        Assert.Equal("databases[0].target.azure.backup", error.Path);
        Assert.Contains("restores backups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BackupKeyWrittenLiterally_IsRefusedWithoutEchoingIt()
    {
        var error = Assert.Single(Errors(Wave(Azure(Instance, backup: Backup("c2VjcmV0LWtleQ==")))));

        Assert.Equal("databases[0].target.azure.backup.accountKey", error.Path);
        Assert.Contains("must be a reference", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LWtleQ==", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AzureOnASqliteTarget_IsRefused()
    {
        var error = Assert.Single(Errors(Wave(Azure(Server), engine: "sqlite")));

        Assert.Equal("databases[0].target.azure", error.Path);
        Assert.Contains("applies to sqlserver targets only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AzureOnTheSource_AsksToMoveItToTheTarget()
    {
        var text = $$$"""
            {"wave": "w", "databases": [{"name": "sales",
              "source": {"engine": "sqlserver", "connection": "env:SALES_SOURCE", "azure": {{{Azure(Server)}}}},
              "target": {"engine": "sqlserver", "connection": "env:SALES_TARGET", "azure": {{{Azure(Server)}}}}}]}
            """;

        var error = Assert.Single(Errors(text));

        Assert.Equal("databases[0].source.azure", error.Path);
    }

    private static IReadOnlyList<ManifestError> Errors(string text)
    {
        Assert.False(WaveManifestReader.TryParse(text, "wave.json", out _, out var errors));
        return errors;
    }

    private static string Wave(string? azure, string mode = "offline", string engine = "sqlserver")
    {
        string azureField = azure is null ? string.Empty : $", \"azure\": {azure}";
        string source = engine == "sqlite" ? "sqlite" : "sqlserver";
        return $$$"""
            {"wave": "w", "mode": "{{{mode}}}", "databases": [{"name": "sales",
              "source": {"engine": "{{{source}}}", "connection": "env:SALES_SOURCE"},
              "target": {"engine": "{{{engine}}}", "connection": "env:SALES_TARGET"{{{azureField}}}}}]}
            """;
    }

    private static string Azure(string resource, string service = Service, string? database = null, string? backup = null)
    {
        string extra = (database is null ? string.Empty : $", \"database\": \"{database}\"") + (backup is null ? string.Empty : $", \"backup\": {backup}");
        return $$"""{"resource": "{{resource}}", "migrationService": "{{service}}"{{extra}}}""";
    }

    private static string Backup(string key) =>
        $$"""{"storageAccount": "{{Account}}", "container": "sales-backups", "accountKey": "{{key}}"}""";
}

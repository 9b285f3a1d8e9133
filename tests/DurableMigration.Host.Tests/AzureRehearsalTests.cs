using System.Text.Json;
using DurableMigration.Host.Hosting;
using DurableMigration.Monitoring;
using DurableMigration.Providers.SqlServer;
using DurableMigration.Providers.Tests.SqlServer;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Tests;

/// <summary>
/// <c>DMIG_REHEARSE_AZURE=1</c>: a whole <c>sqlserver</c> wave through <c>dmig run</c>, its Resource Manager calls answered by the
/// in-process DMS emulator and its records uploaded to the Logs Ingestion emulator. The SQL Server side replays recorded result sets
/// (no SQL Server runs here). The switch is a process-wide variable, so these tests run alone.
/// </summary>
[Collection(Name)]
public sealed class AzureRehearsalTests
{
    /// <summary>The collection that runs apart from every other test (the switch is read from the process's environment).</summary>
    public const string Name = "Process environment: DMIG_REHEARSE_AZURE";

    private const string Group = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/waves/providers";

    [Fact]
    public async Task ASqlServerWave_RunsToCompletion_AgainstTheEmulators_AndSaysItIsARehearsal()
    {
        using var workspace = new WaveWorkspace();
        string manifest = WriteManifest(workspace, "rehearsal");

        var (exit, output) = await RehearseAsync(workspace, "run", manifest);

        Assert.True(exit == 0, output);
        var records = MigrationRecordsTests.Read(workspace);
        Assert.Contains(records, r => r.Database == "sales" && r.Step == "migrate" && r.Status == "Succeeded");
        Assert.Contains(records, r => r.Database == "sales" && r.Step == "postValidate" && r.Status == "Succeeded");
        string log = string.Concat(Directory.GetFiles(Path.Combine(workspace.DataDirectory, "logs")).Select(File.ReadAllText));
        Assert.Contains("Rehearsal of the Azure path (DMIG_REHEARSE_AZURE)", log, StringComparison.Ordinal);
        Assert.Matches(@"Rehearsal ended: the Logs Ingestion emulator accepted [1-9]\d* migration record", log);
    }

    [Fact]
    public void TheSwitch_RefusesAValueItDoesNotKnow()
    {
        var error = Assert.Throws<ArgumentException>(() => AzureRehearsal.IsOn(_ => "yes"));

        Assert.Contains("DMIG_REHEARSE_AZURE must be 1", error.Message, StringComparison.Ordinal);
        Assert.True(AzureRehearsal.IsOn(_ => "1"));
        Assert.False(AzureRehearsal.IsOn(_ => null));
    }

    private static async Task<(int ExitCode, string Output)> RehearseAsync(WaveWorkspace workspace, params string[] args)
    {
        Environment.SetEnvironmentVariable(AzureRehearsal.Variable, "1");
        try
        {
            return await workspace.DmigAsync(
                services => services.AddSingleton(new SqlServerProviderOptions { ConnectTo = Replay }),
                args);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AzureRehearsal.Variable, null);
        }
    }

    /// <summary>The recorded source and target of the provider tests: every table matches, the target schema is deployed and empty.</summary>
    private static RecordedQueryRunner Replay(string connection, string database) =>
        connection.Contains("sqlsource", StringComparison.Ordinal) ? RecordedQueryRunner.ProviderSource(database) : RecordedQueryRunner.ProviderTarget(database);

    private static string WriteManifest(WaveWorkspace workspace, string wave)
    {
        var manifest = new
        {
            wave,
            mode = "offline",
            cutover = new { approval = "auto" },
            databases = new[]
            {
                new
                {
                    name = "sales",
                    source = new { engine = "sqlserver", connection = "Server=sqlsource.contoso.local;Database=sales;User ID=migrator", azure = (object?)null },
                    target = new
                    {
                        engine = "sqlserver",
                        connection = "Server=sql-prod.database.windows.net;Database=sales;User ID=loader",
                        azure = (object?)new { resource = Group + "/Microsoft.Sql/servers/sql-prod", migrationService = Group + "/Microsoft.DataMigration/sqlMigrationServices/dms1" },
                    },
                },
            },
        };
        string path = Path.Combine(workspace.Root, wave + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        return path;
    }
}

/// <summary>Runs <see cref="AzureRehearsalTests"/> without other tests in parallel.</summary>
[CollectionDefinition(AzureRehearsalTests.Name, DisableParallelization = true)]
public sealed class AzureRehearsalCollection;

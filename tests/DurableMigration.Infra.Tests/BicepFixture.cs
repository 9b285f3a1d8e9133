using System.Text.Json;

namespace DurableMigration.Infra.Tests;

/// <summary>Runs the Bicep CLI once for all tests: build, build-params, and deployment snapshots over a copy of infra/.</summary>
/// <remarks>
/// A snapshot (bicep snapshot) evaluates the template offline for a given subscription and resource group: names,
/// ids and app settings come out as the deployment would send them, with only runtime values (reference()) left as expressions.
/// It writes its file beside the parameters file, so it runs on a temporary copy and leaves infra/ untouched.
/// </remarks>
public sealed class BicepFixture : IAsyncLifetime
{
    /// <summary>The subscription the snapshots are evaluated for.</summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";

    /// <summary>The resource group the snapshots are evaluated for.</summary>
    public const string ResourceGroup = "rg-dmig-dev";

    /// <summary>The operator principal the second snapshot grants Key Vault Secrets Officer.</summary>
    public const string OperatorPrincipalId = "11111111-2222-3333-4444-555555555555";

    private readonly string _copy = Path.Combine(Path.GetTempPath(), "dmig-infra-tests", Guid.NewGuid().ToString("N")[..12]);
    private JsonElement _snapshotJson;
    private JsonElement _operatorSnapshotJson;

    internal BicepRun Build { get; private set; } = null!;

    internal BicepRun BuildParams { get; private set; } = null!;

    internal BicepRun Snapshot { get; private set; } = null!;

    internal BicepRun OperatorSnapshot { get; private set; } = null!;

    /// <summary>The compiled ARM template of main.bicep.</summary>
    public JsonElement Template => Parse(Build);

    /// <summary>The parameters main.bicepparam compiles to (its parametersJson).</summary>
    public JsonElement Parameters => JsonDocument.Parse(Parse(BuildParams).GetProperty("parametersJson").GetString()!).RootElement;

    /// <summary>The snapshot of a deployment with main.bicepparam.</summary>
    public JsonElement SnapshotJson => Succeeded(Snapshot, _snapshotJson);

    /// <summary>The snapshot of a deployment that also names an operator for the Key Vault.</summary>
    public JsonElement OperatorSnapshotJson => Succeeded(OperatorSnapshot, _operatorSnapshotJson);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        string infra = BicepCli.InfraDirectory;
        Build = await BicepCli.RunAsync(infra, "build", "main.bicep", "--stdout");
        BuildParams = await BicepCli.RunAsync(infra, "build-params", "main.bicepparam", "--stdout");

        CopyDirectory(infra, _copy);
        File.WriteAllText(Path.Combine(_copy, "operator.bicepparam"), $"""
            using './main.bicep'

            param environmentName = 'dev'

            param operatorPrincipalId = '{OperatorPrincipalId}'

            param operatorPrincipalType = 'Group'

            """);
        Snapshot = await SnapshotAsync("main.bicepparam");
        _snapshotJson = ReadSnapshot(Snapshot, "main.snapshot.json");
        OperatorSnapshot = await SnapshotAsync("operator.bicepparam");
        _operatorSnapshotJson = ReadSnapshot(OperatorSnapshot, "operator.snapshot.json");
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        if (Directory.Exists(_copy))
        {
            Directory.Delete(_copy, recursive: true);
        }

        return Task.CompletedTask;
    }

    private Task<BicepRun> SnapshotAsync(string parametersFile) => BicepCli.RunAsync(
        _copy,
        "snapshot", parametersFile,
        "--mode", "overwrite",
        "--tenant-id", "00000000-0000-0000-0000-0000000000bb",
        "--subscription-id", SubscriptionId,
        "--resource-group", ResourceGroup,
        "--location", "westeurope",
        "--deployment-name", "dmig-infra-tests");

    private JsonElement ReadSnapshot(BicepRun run, string file)
    {
        string path = Path.Combine(_copy, file);
        return run.ExitCode == 0 && File.Exists(path)
            ? JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone()
            : default;
    }

    private static JsonElement Parse(BicepRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    private static JsonElement Succeeded(BicepRun run, JsonElement snapshot)
    {
        Assert.True(run.ExitCode == 0 && snapshot.ValueKind == JsonValueKind.Object, run.ToString());
        return snapshot;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>The test classes that share one <see cref="BicepFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class BicepCollection : ICollectionFixture<BicepFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Bicep CLI";
}

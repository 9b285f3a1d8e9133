using System.Text.Json;

namespace DurableMigration.Infra.Tests;

/// <summary>The templates compile with the real Bicep CLI, its linter included, without a single diagnostic.</summary>
[Collection(BicepCollection.Name)]
public sealed class BicepBuildTests(BicepFixture bicep)
{
    [Fact]
    public void Build_MainBicep_ExitsZeroWithNoDiagnostics()
    {
        Assert.True(bicep.Build.ExitCode == 0, bicep.Build.ToString());
        Assert.Equal("", bicep.Build.Stderr);
        Assert.Equal("2.0", ArmJson.At(bicep.Template, "languageVersion"));
    }

    [Fact]
    public void BuildParams_MainBicepparam_ExitsZeroWithNoDiagnostics()
    {
        Assert.True(bicep.BuildParams.ExitCode == 0, bicep.BuildParams.ToString());
        Assert.Equal("", bicep.BuildParams.Stderr);
        Assert.Equal("dev", ArmJson.At(bicep.Parameters, "parameters.environmentName.value"));
    }

    [Fact]
    public void Snapshot_ExampleParameters_EvaluatesWithNoDiagnostics()
    {
        Assert.True(bicep.Snapshot.ExitCode == 0, bicep.Snapshot.ToString());
        Assert.Equal("", bicep.Snapshot.Stderr);
        Assert.Equal(0, bicep.SnapshotJson.GetProperty("diagnostics").GetArrayLength());
    }

    [Fact]
    public void BicepConfig_EveryConfiguredLinterRule_IsAnError()
    {
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "bicepconfig.json")));
        JsonElement core = config.RootElement.GetProperty("analyzers").GetProperty("core");
        JsonElement[] rules = [.. core.GetProperty("rules").EnumerateObject().Select(r => r.Value)];

        Assert.True(core.GetProperty("enabled").GetBoolean());
        Assert.NotEmpty(rules);
        Assert.All(rules, rule => Assert.Equal("error", rule.GetProperty("level").GetString()));
    }
}

using DurableMigration.Manifest;
using Microsoft.DurableTask;
using static DurableMigration.Core.Tests.Manifest.ManifestSamples;

namespace DurableMigration.Core.Tests.Manifest;

public sealed class WaveManifestReaderTests
{
    [Fact]
    public void Parse_FullJson_MapsEveryField()
    {
        var manifest = WaveManifestReader.Parse(FullJson);

        Assert.Equal("wave-2026-11", manifest.Wave);
        Assert.Equal(MigrationMode.Offline, manifest.Mode);
        Assert.Equal(2, manifest.MaxParallel);
        Assert.Equal(new FailurePolicy(FailureAction.AskOperator, TimeSpan.FromMinutes(30)), manifest.OnFailure);
        Assert.Equal(
            new CutoverPolicy(CutoverApproval.Manual, new MaintenanceWindow(new TimeOnly(22, 0), new TimeOnly(2, 0), "Europe/Berlin"), 2.5),
            manifest.Cutover);
        Assert.Equal(new AlertPolicy(120, new Uri("https://hooks.example/x")), manifest.Alerts);
        Assert.Equal(2, manifest.Databases.Count);

        var users = manifest.Databases[0];
        Assert.Equal("users", users.Name);
        Assert.Equal(new DatabaseEndpoint("sqlite", "Data Source=/data/users.db"), users.Source);
        Assert.Equal(new DatabaseEndpoint("sqlite", "env:USERS_TARGET"), users.Target); // engine lower-cased
        Assert.Empty(users.DependsOn);
        Assert.Equal(10, users.Priority);
        Assert.Equal(["accounts", "profiles"], users.Tables!.Include);
        Assert.Equal(["audit"], users.Tables.Exclude);
        Assert.Equal(new ValidationOptions(RowCounts: true, Checksums: false), users.Validation);

        var orders = manifest.Databases[1];
        Assert.Equal("orders", orders.Name);
        Assert.Equal(new DatabaseEndpoint("sqlite", "file:/run/secrets/orders-source"), orders.Source);
        Assert.Equal(["users"], orders.DependsOn);
        Assert.Equal(-1, orders.Priority);
        Assert.Empty(orders.Tables!.Include);
        Assert.Equal(["tmp"], orders.Tables.Exclude);
        Assert.Equal(new ValidationOptions(RowCounts: false, Checksums: true), orders.Validation);
    }

    [Fact]
    public void Parse_YamlOfTheSameManifest_GivesAnEqualModel()
    {
        var fromJson = WaveManifestReader.Parse(FullJson, "wave.json");
        var fromYaml = WaveManifestReader.Parse(FullYaml, "wave.yaml");

        Assert.Equal(fromJson.Wave, fromYaml.Wave);
        Assert.Equal(fromJson.Mode, fromYaml.Mode);
        Assert.Equal(fromJson.MaxParallel, fromYaml.MaxParallel);
        Assert.Equal(fromJson.OnFailure, fromYaml.OnFailure);
        Assert.Equal(fromJson.Cutover, fromYaml.Cutover);
        Assert.Equal(fromJson.Alerts, fromYaml.Alerts);
        Assert.Equal(fromJson.Databases.Count, fromYaml.Databases.Count);
        foreach (var (json, yaml) in fromJson.Databases.Zip(fromYaml.Databases))
        {
            Assert.Equal(json.Name, yaml.Name);
            Assert.Equal(json.Source, yaml.Source);
            Assert.Equal(json.Target, yaml.Target);
            Assert.Equal(json.DependsOn, yaml.DependsOn);
            Assert.Equal(json.Priority, yaml.Priority);
            Assert.Equal(json.Tables!.Include, yaml.Tables!.Include);
            Assert.Equal(json.Tables.Exclude, yaml.Tables.Exclude);
            Assert.Equal(json.Validation, yaml.Validation);
        }
    }

    [Fact]
    public void Parse_WithoutFileName_DetectsYamlByContent()
    {
        var manifest = WaveManifestReader.Parse(FullYaml);

        Assert.Equal("wave-2026-11", manifest.Wave);
        Assert.Equal(2, manifest.Databases.Count);
    }

    [Fact]
    public void Parse_JsonTextUnderAYamlFileName_IsReadAsYaml()
    {
        var manifest = WaveManifestReader.Parse(MinimalJson, "wave.yml");

        Assert.Equal("w1", manifest.Wave);
    }

    [Fact]
    public void Parse_JsonWithCommentsAndTrailingCommas_IsAccepted()
    {
        const string json = """
            {
              // the wave id
              "wave": "w1",
              "databases": [
                { "name": "a", "source": { "engine": "sqlite", "connection": "env:A_S" }, "target": { "engine": "sqlite", "connection": "env:A_T" }, },
              ],
            }
            """;

        Assert.Equal("w1", WaveManifestReader.Parse(json).Wave);
    }

    [Fact]
    public void Parse_TextStartingWithAByteOrderMark_IsAccepted()
    {
        Assert.Equal("w1", WaveManifestReader.Parse("\uFEFF" + MinimalJson, "wave.json").Wave);
    }

    [Fact]
    public void Parse_YamlAnchorsAndAliases_AreResolved()
    {
        const string yaml = """
            wave: w1
            databases:
              - name: a
                source: { engine: sqlite, connection: "env:A_S" }
                target: { engine: sqlite, connection: "env:A_T" }
                validation: &relaxed { rowCounts: true, checksums: false }
              - name: b
                source: { engine: sqlite, connection: "env:B_S" }
                target: { engine: sqlite, connection: "env:B_T" }
                validation: *relaxed
            """;

        var manifest = WaveManifestReader.Parse(yaml);

        Assert.Equal(new ValidationOptions(true, false), manifest.Databases[1].Validation);
    }

    [Fact]
    public void Parse_MinimalManifest_AppliesEveryDefault()
    {
        var manifest = WaveManifestReader.Parse(MinimalJson);

        Assert.Equal(MigrationMode.Offline, manifest.Mode);
        Assert.Equal(4, manifest.MaxParallel);
        Assert.Equal(new FailurePolicy(FailureAction.RollbackWave, TimeSpan.FromMinutes(60)), manifest.OnFailure);
        Assert.Equal(new CutoverPolicy(CutoverApproval.Auto, null, 5), manifest.Cutover);
        Assert.Equal(new AlertPolicy(null, null), manifest.Alerts);
        var database = Assert.Single(manifest.Databases);
        Assert.Empty(database.DependsOn);
        Assert.Equal(0, database.Priority);
        Assert.Null(database.Tables);
        Assert.Equal(new ValidationOptions(true, true), database.Validation);
    }

    [Fact]
    public void Parse_EmptyPolicyObjects_ApplyTheirDefaults()
    {
        var text = Minimal(root =>
        {
            root["cutover"] = new System.Text.Json.Nodes.JsonObject();
            root["alerts"] = new System.Text.Json.Nodes.JsonObject();
            FirstDatabase(root)["tables"] = new System.Text.Json.Nodes.JsonObject();
            FirstDatabase(root)["validation"] = new System.Text.Json.Nodes.JsonObject();
        });

        var manifest = WaveManifestReader.Parse(text);

        Assert.Equal(new CutoverPolicy(CutoverApproval.Auto, null, 5), manifest.Cutover);
        Assert.Equal(new AlertPolicy(null, null), manifest.Alerts);
        Assert.Empty(manifest.Databases[0].Tables!.Include);
        Assert.Empty(manifest.Databases[0].Tables!.Exclude);
        Assert.Equal(new ValidationOptions(true, true), manifest.Databases[0].Validation);
    }

    [Fact]
    public void Parse_YamlNullForAnOptionalField_MeansTheDefault()
    {
        const string yaml = """
            wave: w1
            maxParallel:
            cutover: ~
            databases:
              - name: a
                source: { engine: sqlite, connection: "env:A_S" }
                target: { engine: sqlite, connection: "env:A_T" }
                dependsOn: null
            """;

        var manifest = WaveManifestReader.Parse(yaml);

        Assert.Equal(4, manifest.MaxParallel);
        Assert.Equal(new CutoverPolicy(CutoverApproval.Auto, null, 5), manifest.Cutover);
        Assert.Empty(manifest.Databases[0].DependsOn);
    }

    [Fact]
    public void Parse_EnumValues_CompareCaseInsensitively()
    {
        var text = Minimal(root =>
        {
            root["onFailure"] = "ROLLBACKDATABASE";
            root["cutover"] = new System.Text.Json.Nodes.JsonObject { ["approval"] = "Manual" };
        });

        var manifest = WaveManifestReader.Parse(text);

        Assert.Equal(FailureAction.RollbackDatabase, manifest.OnFailure.Action);
        Assert.Equal(CutoverApproval.Manual, manifest.Cutover.Approval);
    }

    [Fact]
    public void Parse_DependsOnInAnotherCase_IsStoredAsTheDatabaseSpellsItsName()
    {
        var text = WithDatabases(Database("Users"), Database("orders", "USERS"));

        var manifest = WaveManifestReader.Parse(text);

        Assert.Equal(["Users"], manifest.Databases[1].DependsOn);
    }

    [Fact]
    public void Parse_OperatorTimeoutWithoutAskOperator_IsAllowed()
    {
        var manifest = WaveManifestReader.Parse(Minimal(root => root["operatorTimeoutMinutes"] = 5));

        Assert.Equal(new FailurePolicy(FailureAction.RollbackWave, TimeSpan.FromMinutes(5)), manifest.OnFailure);
    }

    [Fact]
    public void TryParse_ValidManifest_ReturnsTrueAndNoErrors()
    {
        var ok = WaveManifestReader.TryParse(MinimalJson, null, out var manifest, out var errors);

        Assert.True(ok);
        Assert.NotNull(manifest);
        Assert.Empty(errors);
    }

    [Fact]
    public void TryParse_BrokenManifest_ReturnsFalseWithTheErrors()
    {
        var ok = WaveManifestReader.TryParse(Minimal(root => root["maxParallel"] = 0), null, out var manifest, out var errors);

        Assert.False(ok);
        Assert.Null(manifest);
        Assert.Equal("maxParallel", Assert.Single(errors).Path);
    }

    [Fact]
    public void ManifestValidationException_IsNonRetriable()
    {
        var exception = Assert.Throws<ManifestValidationException>(() => WaveManifestReader.Parse("{}"));

        Assert.IsAssignableFrom<INonRetriableException>(exception);
        Assert.True(TaskFailureDetails.FromException(exception).IsNonRetriable());
    }
}

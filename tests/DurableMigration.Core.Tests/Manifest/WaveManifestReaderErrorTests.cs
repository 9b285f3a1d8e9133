using System.Text.Json.Nodes;
using DurableMigration.Manifest;
using static DurableMigration.Core.Tests.Manifest.ManifestSamples;

namespace DurableMigration.Core.Tests.Manifest;

public sealed class WaveManifestReaderErrorTests
{
    [Fact]
    public void Parse_MalformedJson_ReportsLineAndPosition()
    {
        const string json = "{\n  \"wave\": \"w1\",\n  \"databases\": [ oops ]\n}";

        Single(ErrorsOf(json), "$", "malformed JSON at line 3, position 18");
    }

    [Fact]
    public void Parse_MalformedYaml_ReportsLineAndPosition()
    {
        const string yaml = "wave: w1\ndatabases:\n  - name: a\n   bad: [\n";

        var error = Assert.Single(ErrorsOf(yaml));
        Assert.Equal("$", error.Path);
        Assert.StartsWith("malformed YAML at line 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyText_IsRefused()
    {
        Single(ErrorsOf("  \n"), "$", "the manifest is empty");
    }

    [Fact]
    public void Parse_RootThatIsNotAnObject_IsRefused()
    {
        Single(ErrorsOf("[1, 2]"), "$", "the manifest must be an object of fields (wave, databases, ...), got array");
    }

    [Fact]
    public void Parse_YamlRootThatIsAScalar_IsRefused()
    {
        Single(ErrorsOf("just text"), "$", "got string");
    }

    [Fact]
    public void Parse_YamlWithTwoDocuments_IsRefused()
    {
        Single(ErrorsOf("wave: a\n---\nwave: b\n", "w.yaml"), "$", "more than one YAML document");
    }

    [Fact]
    public void Parse_UnknownFieldCloseToAKnownOne_SuggestsIt()
    {
        var text = Minimal(root => FirstDatabase(root)["depends_on"] = new JsonArray());

        Single(ErrorsOf(text), "databases[0].depends_on", "unknown field 'depends_on'; did you mean 'dependsOn'?");
    }

    [Fact]
    public void Parse_FieldInTheWrongCase_IsUnknownAndSuggestsTheRightCase()
    {
        var text = Minimal(root => root["MaxParallel"] = 2);

        Single(ErrorsOf(text), "MaxParallel", "did you mean 'maxParallel'?");
    }

    [Fact]
    public void Parse_UnknownFieldFarFromAnyKnownOne_ListsTheKnownFields()
    {
        var text = Minimal(root => root["colour"] = "blue");

        Single(ErrorsOf(text), "colour", "unknown field 'colour'; known fields here: wave, mode, maxParallel");
    }

    [Fact]
    public void Parse_FieldNameThatIsNotAnIdentifier_IsQuotedInThePath()
    {
        var text = Minimal(root => root["max parallel"] = 2);

        Single(ErrorsOf(text), "['max parallel']", "unknown field 'max parallel'");
    }

    [Fact]
    public void Parse_FieldGivenTwice_IsRefused()
    {
        const string json = """{ "wave": "a", "wave": "b", "databases": [] }""";

        var errors = ErrorsOf(json);

        Assert.Contains(errors, e => e.Path == "wave" && e.Message == "field 'wave' appears more than once");
    }

    [Fact]
    public void Parse_WrongType_NamesExpectedAndActualTypes()
    {
        var text = Minimal(root => root["maxParallel"] = "4");

        Single(ErrorsOf(text), "maxParallel", "expected an integer, got string");
    }

    [Fact]
    public void Parse_QuotedNumberInYaml_GivesTheSameMessageAsJson()
    {
        const string yaml = """
            wave: w1
            maxParallel: "4"
            databases:
              - name: a
                source: { engine: sqlite, connection: "env:A_S" }
                target: { engine: sqlite, connection: "env:A_T" }
            """;
        var json = Minimal(root => root["maxParallel"] = "4");

        Assert.Equal(Assert.Single(ErrorsOf(json)), Assert.Single(ErrorsOf(yaml)));
    }

    [Fact]
    public void Parse_FractionWhereAnIntegerIsExpected_IsRefused()
    {
        var text = Minimal(root => root["maxParallel"] = 2.5);

        Single(ErrorsOf(text), "maxParallel", "expected an integer, got 2.5");
    }

    [Fact]
    public void Parse_IntegerBeyondRange_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["priority"] = 3_000_000_000L);

        Single(ErrorsOf(text), "databases[0].priority", "is out of range");
    }

    [Fact]
    public void Parse_BooleanFieldGivenAString_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["validation"] = new JsonObject { ["checksums"] = "yes" });

        Single(ErrorsOf(text), "databases[0].validation.checksums", "expected a boolean (true or false), got string");
    }

    [Fact]
    public void Parse_MissingWave_IsRefused()
    {
        var text = Minimal(root => root.Remove("wave"));

        Single(ErrorsOf(text), "wave", "required field 'wave' is missing");
    }

    [Fact]
    public void Parse_NullWave_IsRefusedAsAWrongType()
    {
        var text = Minimal(root => root["wave"] = null);

        Single(ErrorsOf(text), "wave", "expected a string, got null");
    }

    [Fact]
    public void Parse_MissingDatabases_IsRefused()
    {
        var text = Minimal(root => root.Remove("databases"));

        Single(ErrorsOf(text), "databases", "required field 'databases' is missing");
    }

    [Fact]
    public void Parse_MissingEndpointField_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!.AsObject().Remove("engine"));

        Single(ErrorsOf(text), "databases[0].source.engine", "required field 'engine' is missing");
    }

    [Fact]
    public void Parse_BadEnumValue_ListsTheAllowedValues()
    {
        var text = Minimal(root => root["mode"] = "fast");

        Single(ErrorsOf(text), "mode", "unknown value 'fast'; expected one of: offline, online");
    }

    [Fact]
    public void Parse_BadOnFailureValue_ListsTheAllowedValues()
    {
        var text = Minimal(root => root["onFailure"] = "retry");

        Single(ErrorsOf(text), "onFailure", "expected one of: rollbackWave, rollbackDatabase, askOperator");
    }

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    public void Parse_InvalidWaveId_IsRefused(string wave)
    {
        var text = Minimal(root => root["wave"] = wave);

        Assert.Equal("wave", Assert.Single(ErrorsOf(text)).Path);
    }

    [Fact]
    public void Parse_WaveIdLongerThan100Characters_IsRefused()
    {
        var text = Minimal(root => root["wave"] = new string('w', 101));

        Single(ErrorsOf(text), "wave", "is not a valid wave id");
    }

    [Fact]
    public void Parse_InvalidDatabaseName_IsRefused()
    {
        var bad = Database("orders");
        bad["name"] = "bad name";
        var text = WithDatabases(Database("users"), bad);

        Single(ErrorsOf(text), "databases[1].name", "'bad name' is not a valid database name");
    }

    [Fact]
    public void Parse_DependencyOnADatabaseWithAnInvalidName_ReportsOnlyTheName()
    {
        var bad = Database("orders");
        bad["name"] = "bad name";
        var text = WithDatabases(bad, Database("users", "bad name"));

        Single(ErrorsOf(text), "databases[0].name", "is not a valid database name");
    }

    [Fact]
    public void Parse_MaxParallelBelowOne_IsRefused()
    {
        var text = Minimal(root => root["maxParallel"] = 0);

        Single(ErrorsOf(text), "maxParallel", "must be at least 1, got 0");
    }

    [Fact]
    public void Parse_OperatorTimeoutBelowOne_IsRefused()
    {
        var text = Minimal(root => root["operatorTimeoutMinutes"] = 0);

        Single(ErrorsOf(text), "operatorTimeoutMinutes", "must be at least 1");
    }

    [Fact]
    public void Parse_NegativeMaxLag_IsRefused()
    {
        var text = Minimal(root => root["cutover"] = new JsonObject { ["maxLagSeconds"] = -1 });

        Single(ErrorsOf(text), "cutover.maxLagSeconds", "must be at least 0, got -1");
    }

    [Fact]
    public void Parse_WindowTimeNotHoursAndMinutes_IsRefused()
    {
        var text = Minimal(root => root["cutover"] = new JsonObject
        {
            ["window"] = new JsonObject { ["start"] = "25:00", ["end"] = "02:00", ["timeZone"] = "UTC" },
        });

        Single(ErrorsOf(text), "cutover.window.start", "expected a time of day as HH:mm (00:00 to 23:59), got '25:00'");
    }

    [Fact]
    public void Parse_WindowThatStartsWhereItEnds_IsRefused()
    {
        var text = Minimal(root => root["cutover"] = new JsonObject
        {
            ["window"] = new JsonObject { ["start"] = "22:00", ["end"] = "22:00", ["timeZone"] = "UTC" },
        });

        Single(ErrorsOf(text), "cutover.window.end", "the window is empty");
    }

    [Fact]
    public void Parse_UnknownTimeZone_IsRefused()
    {
        var text = Minimal(root => root["cutover"] = new JsonObject
        {
            ["window"] = new JsonObject { ["start"] = "22:00", ["end"] = "02:00", ["timeZone"] = "Mars/Olympus_Mons" },
        });

        Single(ErrorsOf(text), "cutover.window.timeZone", "unknown time zone 'Mars/Olympus_Mons'");
    }

    [Fact]
    public void Parse_WindowWithoutTimeZone_IsRefused()
    {
        var text = Minimal(root => root["cutover"] = new JsonObject
        {
            ["window"] = new JsonObject { ["start"] = "22:00", ["end"] = "02:00" },
        });

        Single(ErrorsOf(text), "cutover.window.timeZone", "required field 'timeZone' is missing");
    }

    [Fact]
    public void Parse_AlertDurationBelowOne_IsRefused()
    {
        var text = Minimal(root => root["alerts"] = new JsonObject { ["maxDurationMinutes"] = 0 });

        Single(ErrorsOf(text), "alerts.maxDurationMinutes", "must be at least 1");
    }

    [Theory]
    [InlineData("ftp://hooks.example/x")]
    [InlineData("/relative/path")]
    [InlineData("not a url")]
    public void Parse_WebhookThatIsNotAnAbsoluteHttpUrl_IsRefused(string webhook)
    {
        var text = Minimal(root => root["alerts"] = new JsonObject { ["webhook"] = webhook });

        Single(ErrorsOf(text), "alerts.webhook", "expected an absolute http or https URL");
    }

    [Fact]
    public void Parse_WebhookWithAPassword_IsRefusedWithoutEchoingIt()
    {
        var text = Minimal(root => root["alerts"] = new JsonObject { ["webhook"] = "https://bot:hunter2@hooks.example/x" });

        var error = Single(ErrorsOf(text), "alerts.webhook", "carries a password");
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyDatabaseList_IsRefused()
    {
        var text = Minimal(root => root["databases"] = new JsonArray());

        Single(ErrorsOf(text), "databases", "the wave has no databases");
    }

    [Fact]
    public void Parse_DatabaseEntryThatIsNotAnObject_IsRefused()
    {
        var text = Minimal(root => root["databases"]!.AsArray().Add("users"));

        Single(ErrorsOf(text), "databases[1]", "expected an object, got string");
    }

    [Fact]
    public void Parse_DuplicateDatabaseNames_AreRefusedIgnoringCase()
    {
        var text = WithDatabases(Database("users"), Database("orders"), Database("Users"));

        Single(ErrorsOf(text), "databases[2].name", "duplicate database name 'Users': databases[0] has it already");
    }

    [Fact]
    public void Parse_DependencyOnAnUnknownDatabase_IsRefused()
    {
        var text = WithDatabases(Database("users"), Database("orders", "billing"));

        Single(ErrorsOf(text), "databases[1].dependsOn[0]", "unknown database 'billing'");
    }

    [Fact]
    public void Parse_DependencyWithATypo_SuggestsTheDatabase()
    {
        var text = WithDatabases(Database("users"), Database("orders", "user"));

        Single(ErrorsOf(text), "databases[1].dependsOn[0]", "unknown database 'user'; did you mean 'users'?");
    }

    [Fact]
    public void Parse_DependencyFarFromEveryName_SuggestsNothing()
    {
        var text = WithDatabases(Database("a"), Database("b", "c"));

        var error = Single(ErrorsOf(text), "databases[1].dependsOn[0]", "unknown database 'c'");
        Assert.DoesNotContain("did you mean", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SelfDependency_IsRefused()
    {
        var text = WithDatabases(Database("users"), Database("orders", "users", "orders"));

        Single(ErrorsOf(text), "databases[1].dependsOn[1]", "'orders' depends on itself");
    }

    [Fact]
    public void Parse_DependencyListedTwice_IsRefused()
    {
        var text = WithDatabases(Database("users"), Database("orders", "users", "USERS"));

        Single(ErrorsOf(text), "databases[1].dependsOn[1]", "'users' is listed more than once");
    }

    [Fact]
    public void Parse_DependencyCycle_PrintsTheCycle()
    {
        var text = WithDatabases(Database("x"), Database("a", "b"), Database("b", "c"), Database("c", "a"));

        Single(ErrorsOf(text), "databases[1].dependsOn", "dependency cycle: a -> b -> c -> a");
    }

    [Fact]
    public void Parse_SameSourceAndTargetConnection_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["target"]!["connection"] = "env:A_SOURCE");

        Single(ErrorsOf(text), "databases[0].target.connection", "is the same as its source connection");
    }

    [Fact]
    public void Parse_UnknownEngine_ListsTheKnownEngines()
    {
        var text = Minimal(root => FirstDatabase(root)["source"]!["engine"] = "oracle");

        Single(ErrorsOf(text), "databases[0].source.engine", "unknown engine 'oracle'; this build supports: sqlite, postgresql, sqlserver");
    }

    [Fact]
    public void Parse_OnlineModeWithSqlite_NamesTheDatabaseAndEngine()
    {
        var text = Minimal(root => root["mode"] = "online");

        Single(ErrorsOf(text), "databases[0].source.engine", "database 'a': sqlite does not support online mode; use mode: offline");
    }

    [Fact]
    public void Parse_DifferentSourceAndTargetEngines_AreRefusedUnlessTheCatalogAllowsIt()
    {
        EngineInfo[] engines = [new("sqlite", MigrationMode.Offline), new("postgresql", MigrationMode.Offline, MigrationMode.Online)];
        var text = Minimal(root => FirstDatabase(root)["target"]!["engine"] = "postgresql");

        Assert.False(WaveManifestReader.TryParse(text, null, engines, out _, out var errors));

        Single(errors, "databases[0].target.engine", "this build cannot migrate sqlite to postgresql");
    }

    [Fact]
    public void Parse_DifferentEnginesTheCatalogAllows_AreAccepted()
    {
        EngineInfo[] engines = [new("sqlite", [MigrationMode.Offline], ["postgresql"]), new("postgresql", MigrationMode.Offline)];
        var text = Minimal(root => FirstDatabase(root)["target"]!["engine"] = "postgresql");

        Assert.True(WaveManifestReader.TryParse(text, null, engines, out var manifest, out _));
        Assert.Equal("postgresql", manifest.Databases[0].Target.Engine);
    }

    [Fact]
    public void Parse_OnlineModeWithAnEngineThatSupportsIt_IsAccepted()
    {
        EngineInfo[] engines = [new("postgresql", MigrationMode.Offline, MigrationMode.Online)];
        var text = Minimal(root =>
        {
            root["mode"] = "online";
            FirstDatabase(root)["source"]!["engine"] = "postgresql";
            FirstDatabase(root)["target"]!["engine"] = "postgresql";
        });

        Assert.True(WaveManifestReader.TryParse(text, null, engines, out var manifest, out _));
        Assert.Equal(MigrationMode.Online, manifest.Mode);
    }

    [Fact]
    public void Parse_EmptyTableName_IsRefused()
    {
        var text = Minimal(root => FirstDatabase(root)["tables"] = new JsonObject { ["include"] = new JsonArray("a", "") });

        Single(ErrorsOf(text), "databases[0].tables.include[1]", "must not be empty");
    }

    [Fact]
    public void Parse_SeveralProblems_AreReportedTogether()
    {
        var text = Minimal(root =>
        {
            root["maxParallel"] = 0;
            root["mode"] = "fast";
            FirstDatabase(root)["name"] = "bad name";
            FirstDatabase(root)["source"]!["engine"] = "oracle";
        });

        var exception = Assert.Throws<ManifestValidationException>(() => WaveManifestReader.Parse(text));

        Assert.Equal(["mode", "maxParallel", "databases[0].name", "databases[0].source.engine"], exception.Errors.Select(e => e.Path));
        Assert.StartsWith("The wave manifest has 4 errors:\n  mode: unknown value 'fast'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("\n  maxParallel: must be at least 1, got 0", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestValidationException_WithOneError_SaysError()
    {
        var exception = new ManifestValidationException([new ManifestError("wave", "required field 'wave' is missing")]);

        Assert.Equal("The wave manifest has 1 error:\n  wave: required field 'wave' is missing", exception.Message);
    }
}

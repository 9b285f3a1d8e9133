using System.Text.Json.Nodes;
using DurableMigration.Manifest;

namespace DurableMigration.Core.Tests.Manifest;

/// <summary>Manifests the tests start from, and helpers to break them one rule at a time.</summary>
internal static class ManifestSamples
{
    /// <summary>Every field set, none at its default.</summary>
    public const string FullJson = """
        {
          "wave": "wave-2026-11",
          "mode": "offline",
          "maxParallel": 2,
          "onFailure": "askOperator",
          "operatorTimeoutMinutes": 30,
          "cutover": {
            "approval": "manual",
            "window": { "start": "22:00", "end": "02:00", "timeZone": "Europe/Berlin" },
            "maxLagSeconds": 2.5
          },
          "alerts": { "maxDurationMinutes": 120, "webhook": "https://hooks.example/x" },
          "databases": [
            {
              "name": "users",
              "source": { "engine": "sqlite", "connection": "Data Source=/data/users.db" },
              "target": { "engine": "SQLite", "connection": "env:USERS_TARGET" },
              "priority": 10,
              "tables": { "include": ["accounts", "profiles"], "exclude": ["audit"] },
              "validation": { "rowCounts": true, "checksums": false }
            },
            {
              "name": "orders",
              "source": { "engine": "sqlite", "connection": "file:/run/secrets/orders-source" },
              "target": { "engine": "sqlite", "connection": "env:ORDERS_TARGET" },
              "dependsOn": ["users"],
              "priority": -1,
              "tables": { "exclude": ["tmp"] },
              "validation": { "rowCounts": false, "checksums": true }
            }
          ]
        }
        """;

    /// <summary>The same manifest as <see cref="FullJson"/>, in YAML.</summary>
    public const string FullYaml = """
        # the sample wave
        wave: wave-2026-11
        mode: offline
        maxParallel: 2
        onFailure: askOperator
        operatorTimeoutMinutes: 30
        cutover:
          approval: manual
          window:
            start: "22:00"
            end: 02:00
            timeZone: Europe/Berlin
          maxLagSeconds: 2.5
        alerts:
          maxDurationMinutes: 120
          webhook: https://hooks.example/x
        databases:
          - name: users
            source: { engine: sqlite, connection: "Data Source=/data/users.db" }
            target:
              engine: SQLite
              connection: env:USERS_TARGET
            priority: 10
            tables:
              include: [accounts, profiles]
              exclude:
                - audit
            validation: { rowCounts: true, checksums: false }
          - name: orders
            source: { engine: sqlite, connection: "file:/run/secrets/orders-source" }
            target: { engine: sqlite, connection: "env:ORDERS_TARGET" }
            dependsOn: [users]
            priority: -1
            tables: { exclude: [tmp] }
            validation: { rowCounts: false, checksums: true }
        """;

    /// <summary>Only the required fields.</summary>
    public const string MinimalJson = """
        {
          "wave": "w1",
          "databases": [
            {
              "name": "a",
              "source": { "engine": "sqlite", "connection": "env:A_SOURCE" },
              "target": { "engine": "sqlite", "connection": "env:A_TARGET" }
            }
          ]
        }
        """;

    /// <summary>Parses <see cref="MinimalJson"/>, lets <paramref name="change"/> edit it, and returns the JSON text.</summary>
    public static string Minimal(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(MinimalJson)!.AsObject();
        change(root);
        return root.ToJsonString();
    }

    /// <summary>A database entry named <paramref name="name"/> with valid, distinct endpoints.</summary>
    public static JsonObject Database(string name, params string[] dependsOn)
    {
        var database = new JsonObject
        {
            ["name"] = name,
            ["source"] = new JsonObject { ["engine"] = "sqlite", ["connection"] = $"env:{name.ToUpperInvariant()}_SOURCE" },
            ["target"] = new JsonObject { ["engine"] = "sqlite", ["connection"] = $"env:{name.ToUpperInvariant()}_TARGET" },
        };
        if (dependsOn.Length > 0)
        {
            database["dependsOn"] = new JsonArray([.. dependsOn.Select(d => (JsonNode)JsonValue.Create(d))]);
        }

        return database;
    }

    /// <summary>A manifest whose databases are <paramref name="databases"/>.</summary>
    public static string WithDatabases(params JsonObject[] databases) =>
        Minimal(root => root["databases"] = new JsonArray([.. databases]));

    /// <summary>Gets the first database entry of a manifest being edited.</summary>
    public static JsonObject FirstDatabase(JsonObject root) => root["databases"]![0]!.AsObject();

    /// <summary>Reads <paramref name="text"/>, expecting it to be refused, and returns the errors.</summary>
    public static IReadOnlyList<ManifestError> ErrorsOf(string text, string? fileName = null) =>
        Assert.Throws<ManifestValidationException>(() => WaveManifestReader.Parse(text, fileName)).Errors;

    /// <summary>Asserts that <paramref name="errors"/> is exactly one error at <paramref name="path"/> whose message contains <paramref name="phrase"/>.</summary>
    public static ManifestError Single(IReadOnlyList<ManifestError> errors, string path, string phrase)
    {
        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
        return error;
    }

    /// <summary>A database spec for graph tests.</summary>
    public static DatabaseSpec Spec(string name, int priority = 0, params string[] dependsOn) =>
        new(name, new("sqlite", $"env:{name}_S"), new("sqlite", $"env:{name}_T"), dependsOn, priority, null, new(true, true));
}

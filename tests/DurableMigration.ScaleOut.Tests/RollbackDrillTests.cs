using System.Text.Json.Nodes;
using DurableMigration.Host.Commands;

namespace DurableMigration.ScaleOut.Tests;

/// <summary>The same rollback drill on the embedded runtime and on the Azure Storage backend gives the same result.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RollbackDrillTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task RollbackDrill_OnAzureStorage_GivesTheEmbeddedRuntimesResultAndCompensationOrder()
    {
        await using var embedded = new ScaleOutWorkspace(azurite.ConnectionString, "unused");
        await using var remote = new ScaleOutWorkspace(azurite.ConnectionString, "drill" + Guid.NewGuid().ToString("N")[..8]);
        await remote.StartWorkerAsync("w1");

        var onEmbedded = await embedded.EmbeddedDmigAsync("run", embedded.WriteManifest("drill"), "--drill", "gamma:postValidate", "-o", "json");
        var onRemote = await remote.DmigAsync("run", remote.WriteManifest("drill"), "--drill", "gamma:postValidate", "-o", "json");

        Assert.Equal(DmigCommandLine.NotCompleted, onEmbedded.ExitCode);
        Assert.Equal(onEmbedded.ExitCode, onRemote.ExitCode);
        var expected = Comparable(JsonNode.Parse(onEmbedded.Stdout)!["output"]!, embedded.Root);
        var actual = Comparable(JsonNode.Parse(onRemote.Stdout)!["output"]!, remote.Root);
        Assert.Equal("RolledBack", (string?)expected["outcome"]);
        Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
        Assert.Equal(CompensationOrder(expected), CompensationOrder(actual));
        Assert.NotEmpty(CompensationOrder(actual));
    }

    /// <summary>Every compensation run, as <c>database:compensation</c>, in the order the result lists them.</summary>
    private static List<string> CompensationOrder(JsonNode result) =>
        [.. result["databases"]!.AsArray().SelectMany(d => (d!["compensationsRun"]?.AsArray() ?? []).Select(c => $"{d["database"]}:{c!["compensation"]?.ToJsonString()}"))];

    /// <summary>The result without what differs between any two runs: times, durations, and the workspace's own path.</summary>
    private static JsonNode Comparable(JsonNode node, string root)
    {
        string json = node.ToJsonString().Replace(root, "<root>", StringComparison.Ordinal);
        var copy = JsonNode.Parse(json)!;
        Strip(copy);
        return copy;
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (string key in obj.Select(p => p.Key).ToList())
                {
                    if (key.Contains("time", StringComparison.OrdinalIgnoreCase) || key.Contains("duration", StringComparison.OrdinalIgnoreCase)
                        || key.EndsWith("At", StringComparison.Ordinal) || key.Contains("elapsed", StringComparison.OrdinalIgnoreCase)
                        || key is "writeBlocked" or "started" or "completed" or "finished")
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        Strip(obj[key]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Strip(item);
                }

                break;
        }
    }
}

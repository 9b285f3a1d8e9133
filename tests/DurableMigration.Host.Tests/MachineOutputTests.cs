using System.Text.Json;
using DurableMigration.Host.Commands;

namespace DurableMigration.Host.Tests;

/// <summary><c>-o json|yaml</c>: stdout holds the result alone, parsable whole; progress and errors go to stderr.</summary>
public sealed class MachineOutputTests
{
    [Fact]
    public async Task RunWithOutputJson_StdoutIsOneJsonDocument_ProgressOnStderr()
    {
        using var workspace = new WaveWorkspace();
        var run = await workspace.DmigSplitAsync("run", workspace.WriteManifest("machine-run"), "-o", "json");

        Assert.True(run.ExitCode == DmigCommandLine.Success, run.ToString());
        using var document = JsonDocument.Parse(run.Stdout);
        Assert.Equal("Completed", document.RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Contains("alpha:", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryCommandWithOutputJsonOrYaml_PrintsOneParsableDocumentOnStdout()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("every-output");
        Assert.Equal(DmigCommandLine.Success, (await workspace.DmigAsync("run", manifest)).ExitCode);
        string[][] commands =
        [
            ["assess", manifest], ["run", manifest], ["status"], ["status", "every-output"], ["list"], ["history", "every-output"],
            ["history", "every-output", "alpha"], ["logs", "every-output"], ["watch", "every-output"], ["rollback", "every-output"],
            ["status", "every-output:rollback"],
        ];
        var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build();

        foreach (string[] command in commands)
        {
            var asJson = await workspace.DmigSplitAsync([.. command, "-o", "json"]);
            var asYaml = await workspace.DmigSplitAsync([.. command, "-o", "yaml"]);

            Assert.True(asJson.ExitCode is DmigCommandLine.Success or DmigCommandLine.NotCompleted, string.Join(' ', command) + "\n" + asJson);
            using var document = JsonDocument.Parse(asJson.Stdout);
            Assert.NotEqual(JsonValueKind.Undefined, document.RootElement.ValueKind);
            Assert.NotNull(yaml.Deserialize<object>(asYaml.Stdout));
        }

        var purge = await workspace.DmigSplitAsync("purge", "every-output", "-o", "json");
        Assert.True(purge.ExitCode == DmigCommandLine.Success, purge.ToString());
        using var purged = JsonDocument.Parse(purge.Stdout);
        Assert.True(purged.RootElement.GetProperty("purgedInstanceCount").GetInt32() > 0);
    }

    [Fact]
    public async Task DemoApproveRetryAndKeysWithJson_PrintOneParsableDocumentOnStdout()
    {
        using var workspace = new WaveWorkspace();
        var demo = await workspace.DmigSplitAsync("demo", "--pace", "0", "-o", "json");
        Assert.True(demo.ExitCode == DmigCommandLine.Success, demo.ToString());
        using (var document = JsonDocument.Parse(demo.Stdout))
        {
            Assert.Equal("Completed", document.RootElement.GetProperty("runtimeStatus").GetString());
        }

        using (var run = workspace.Start(null, "run", workspace.WriteManifest("asked", onFailure: "askOperator", approval: "manual"), "--drill", "beta:migrate"))
        {
            await WaveOperatorTests.WaitForStateAsync(workspace, "asked", "alpha", Migration.DatabaseState.AwaitingApproval);
            await WaveOperatorTests.WaitForStateAsync(workspace, "asked", "beta", Migration.DatabaseState.NeedsAttention);

            var approve = await workspace.DmigSplitAsync("approve", "asked", "alpha", "-o", "json");
            var retry = await workspace.DmigSplitAsync("retry", "asked", "beta", "-o", "json");
            await run.Cancellation.CancelAsync();
            await run.Exit;

            Assert.True(approve.ExitCode == DmigCommandLine.Success, approve.ToString());
            using (var document = JsonDocument.Parse(approve.Stdout))
            {
                Assert.Equal("alpha", Assert.Single(document.RootElement.GetProperty("approved").EnumerateArray()).GetString());
            }

            Assert.True(retry.ExitCode == DmigCommandLine.Success, retry.ToString());
            using (var document = JsonDocument.Parse(retry.Stdout))
            {
                Assert.Equal("beta", document.RootElement.GetProperty("retried").GetString());
            }
        }

        await workspace.DmigSplitAsync("keys", "rotate");
        var keys = await workspace.DmigSplitAsync("keys", "show", "-o", "json");
        Assert.True(keys.ExitCode == DmigCommandLine.Success, keys.ToString());
        using (var document = JsonDocument.Parse(keys.Stdout))
        {
            Assert.False(string.IsNullOrEmpty(document.RootElement.GetProperty("key").GetString()));
        }
    }

    [Fact]
    public async Task StatusListWithJson_IsAJsonArrayOfStatuses()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("listed-one"));

        var list = await workspace.DmigSplitAsync("status", "--json");

        Assert.True(list.ExitCode == DmigCommandLine.Success, list.ToString());
        using var document = JsonDocument.Parse(list.Stdout);
        var wave = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("listed-one", wave.GetProperty("instanceId").GetString());
        Assert.Equal("Completed", wave.GetProperty("runtimeStatus").GetString());
    }

    [Fact]
    public async Task StatusWithOutputYaml_PrintsYamlOfTheStatus()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("yaml-wave"));

        var status = await workspace.DmigSplitAsync("status", "yaml-wave", "-o", "yaml");

        Assert.True(status.ExitCode == DmigCommandLine.Success, status.ToString());
        var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(status.Stdout);
        Assert.Equal("yaml-wave", yaml["instanceId"]);
        Assert.Equal("Completed", yaml["runtimeStatus"]);
    }

    [Fact]
    public async Task InvalidManifestWithJson_WritesProblemDetailsOnStderr_AndExits2()
    {
        using var workspace = new WaveWorkspace();
        string manifest = Path.Combine(workspace.Root, "broken.json");
        await File.WriteAllTextAsync(manifest, """{ "wave": "", "databases": [] }""");

        var run = await workspace.DmigSplitAsync("run", manifest, "--json");

        Assert.Equal(DmigCommandLine.BadInput, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        using var problem = JsonDocument.Parse(run.Stderr);
        Assert.Equal("urn:dmig:problem:bad-input", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(2, problem.RootElement.GetProperty("exitCode").GetInt32());
        Assert.NotEmpty(problem.RootElement.GetProperty("errors").EnumerateArray());
    }

    [Theory]
    [InlineData("list", "--since", "yesterday", "-o", "json")]
    [InlineData("list", "--json", "--since", "yesterday")]
    [InlineData("run", "--timeout", "soon", "-o", "yaml")]
    public async Task ArgumentErrorWithJsonOrYaml_WritesProblemDetailsOnStderr_AndExits2(params string[] command)
    {
        using var workspace = new WaveWorkspace();
        bool yaml = command.Contains("yaml");

        var result = await workspace.DmigSplitAsync(command);

        Assert.Equal(DmigCommandLine.BadInput, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.False(result.Stderr.StartsWith("dmig:", StringComparison.Ordinal), result.Stderr);
        var problem = yaml
            ? new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(result.Stderr)
            : JsonSerializer.Deserialize<Dictionary<string, object>>(result.Stderr)!;
        Assert.Equal("urn:dmig:problem:bad-input", problem["type"].ToString());
        Assert.Equal("2", problem["exitCode"].ToString());
        // The problem's errors name the option that did not parse.
        string option = command.First(a => a is "--since" or "--timeout");
        Assert.Contains($"path: {option}", yaml ? result.Stderr : result.Stderr.Replace("\"path\": \"", "path: ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo", "--backend", "bogus")]
    [InlineData("status", "--backend", "bogus")]
    [InlineData("run", "wave.json", "--backend", "bogus")]
    public async Task BadBackendOptionOnASubcommand_IsBadInput_BeforeTheCommandRuns(params string[] command)
    {
        using var workspace = new WaveWorkspace();

        var result = await workspace.DmigSplitAsync(command);

        Assert.Equal(DmigCommandLine.BadInput, result.ExitCode);
        Assert.Contains("Unknown backend 'bogus'", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(workspace.DataDirectory, "records.jsonl")), "the command ran");
    }

    [Fact]
    public async Task UnknownWaveWithJson_WritesProblemDetails_AndExits2()
    {
        using var workspace = new WaveWorkspace();
        await workspace.DmigAsync("run", workspace.WriteManifest("known"));

        var status = await workspace.DmigSplitAsync("status", "unknown", "-o", "json");

        Assert.Equal(DmigCommandLine.BadInput, status.ExitCode);
        Assert.Equal(string.Empty, status.Stdout);
        using var problem = JsonDocument.Parse(status.Stderr);
        Assert.Contains("unknown", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproveUnknownDatabase_SaysTheWaveHasNoSuchDatabase_AndExits2()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("gated", approval: "manual");
        var running = workspace.DmigAsync("run", manifest);
        await WaitForAsync(async () => (await workspace.DmigAsync("status", "gated")).Output.Contains("awaiting approval", StringComparison.Ordinal));

        var approve = await workspace.DmigSplitAsync("approve", "gated", "zz");
        await WaitForAsync(async () =>
        {
            await workspace.DmigAsync("approve", "gated"); // gamma awaits approval only after alpha and beta
            return running.IsCompleted;
        });
        await running;

        Assert.Equal(DmigCommandLine.BadInput, approve.ExitCode);
        Assert.Contains("has no database 'zz'", approve.Stderr, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 600 && !await condition(); i++)
        {
            await Task.Delay(100);
        }
    }
}

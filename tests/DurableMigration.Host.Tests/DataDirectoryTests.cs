using DurableMigration.Host.Commands;

namespace DurableMigration.Host.Tests;

/// <summary>Where dmig keeps its state: <c>--data-dir</c>, else <c>DMIG_DATA_DIR</c>, else <c>./.dmig</c>; reading commands create nothing.</summary>
public sealed class DataDirectoryTests
{
    [Theory]
    [InlineData("status")]
    [InlineData("status", "some-wave")]
    [InlineData("approve", "some-wave")]
    [InlineData("retry", "some-wave", "alpha")]
    [InlineData("rollback", "some-wave")]
    [InlineData("list")]
    [InlineData("history", "some-wave")]
    [InlineData("logs", "some-wave")]
    [InlineData("watch", "some-wave")]
    [InlineData("terminate", "some-wave")]
    [InlineData("suspend", "some-wave")]
    [InlineData("resume", "some-wave")]
    [InlineData("purge", "some-wave")]
    [InlineData("keys", "show")]
    public async Task CommandOnAMissingDataDirectory_SaysWhereItLooked_CreatesNothing_Exits2(params string[] command)
    {
        using var workspace = new WaveWorkspace();
        string missing = Path.Combine(workspace.Root, "nowhere");

        var result = await WaveWorkspace.DmigRawAsync([.. command, "--data-dir", missing]);

        Assert.Equal(DmigCommandLine.BadInput, result.ExitCode);
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--data-dir", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void DataDirectory_ComesFromTheOption_ElseTheEnvironment_ElseDotDmigHere()
    {
        var root = DmigCommandLine.Build();
        var parse = root.Parse(["status"]);
        string previous = Environment.GetEnvironmentVariable(HostSettings.DataDirectoryVariable) ?? string.Empty;
        try
        {
            Environment.SetEnvironmentVariable(HostSettings.DataDirectoryVariable, "/tmp/dmig-from-env");
            var settings = HostSettings.From(parse, FindOption<string?>(root, "--data-dir"), FindOption<Engine.TaskHubDurability>(root, "--durability"));
            Assert.Equal("/tmp/dmig-from-env", settings.DataDirectory);
            Assert.Equal(HostSettings.DataDirectoryVariable, settings.DataDirectorySource);

            var explicitParse = root.Parse(["status", "--data-dir", "/tmp/dmig-explicit"]);
            var explicitSettings = HostSettings.From(explicitParse, FindOption<string?>(root, "--data-dir"), FindOption<Engine.TaskHubDurability>(root, "--durability"));
            Assert.Equal("/tmp/dmig-explicit", explicitSettings.DataDirectory);

            // Neither given: ./.dmig under the current directory.
            Environment.SetEnvironmentVariable(HostSettings.DataDirectoryVariable, null);
            var defaultSettings = HostSettings.From(parse, FindOption<string?>(root, "--data-dir"), FindOption<Engine.TaskHubDurability>(root, "--durability"));
            Assert.Equal(Path.Combine(Environment.CurrentDirectory, ".dmig"), defaultSettings.DataDirectory);
            Assert.Equal("the default, ./.dmig", defaultSettings.DataDirectorySource);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HostSettings.DataDirectoryVariable, previous.Length == 0 ? null : previous);
        }
    }

    private static System.CommandLine.Option<T> FindOption<T>(System.CommandLine.RootCommand root, string name) =>
        root.Options.OfType<System.CommandLine.Option<T>>().Single(o => o.Name == name);
}

using DurableMigration.Host.Commands;
using DurableMigration.Host.Hosting;
using DurableMigration.Providers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace DurableMigration.Host.Tests;

/// <summary>A rollback after cutover never discards what consumers wrote to the target without being told.</summary>
public sealed class RollbackAfterCutoverTests
{
    private const int TargetWrites = 50;

    [Fact]
    public async Task Rollback_OfAFinishedWaveWhoseTargetWasWritten_RefusesAndKeepsTheTarget()
    {
        using var workspace = await FinishedWaveWithTargetWritesAsync("refuse");

        var (exit, output) = await workspace.DmigAsync("rollback", "refuse");

        Assert.Equal(DmigCommandLine.NotCompleted, exit);
        Assert.Contains("not rolled back alpha", output, StringComparison.Ordinal);
        Assert.Contains("--copy-back", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fix the cause above", output, StringComparison.Ordinal); // a choice to make, not a cause to fix
        Assert.Equal(TargetWrites, await CountAsync(workspace.TargetPath("alpha"), "consumer-%"));
        Assert.Equal($"Data Source={workspace.TargetPath("alpha")}", await RegistryConnectionAsync(workspace, "alpha"));
    }

    [Fact]
    public async Task Rollback_WithCopyBack_AppliesTheTargetsWritesToTheSourceBeforeSwitchingBack()
    {
        using var workspace = await FinishedWaveWithTargetWritesAsync("copy-back");
        await workspace.DmigAsync("rollback", "copy-back"); // refused first, as an operator would see

        var (exit, output) = await workspace.DmigAsync("rollback", "copy-back", "--copy-back");

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Equal(TargetWrites, await CountAsync(workspace.SourcePath("alpha"), "consumer-%"));
        Assert.Equal($"Data Source={workspace.SourcePath("alpha")}", await RegistryConnectionAsync(workspace, "alpha"));
        Assert.Null(await workspace.TryWriteAsync("alpha"));
        Assert.False(File.Exists(workspace.TargetPath("alpha")));
    }

    [Fact]
    public async Task Rollback_WithDiscardTargetWrites_KeepsABackupOfTheTargetThenDropsIt()
    {
        using var workspace = await FinishedWaveWithTargetWritesAsync("discard");

        var (exit, output) = await workspace.DmigAsync("rollback", "discard", "--discard-target-writes");

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.False(File.Exists(workspace.TargetPath("alpha")));
        string backups = Path.Combine(workspace.DataDirectory, "backups");
        string backup = Assert.Single(Directory.GetFiles(backups, "*alpha*"));
        Assert.Equal(TargetWrites, await CountAsync(backup, "consumer-%"));
        Assert.Equal(0, await CountAsync(workspace.SourcePath("alpha"), "consumer-%"));
        Assert.Equal($"Data Source={workspace.SourcePath("alpha")}", await RegistryConnectionAsync(workspace, "alpha"));
    }

    [Fact]
    public void Rollback_WithBothChoices_IsRejectedByTheParser()
    {
        var parse = DmigCommandLine.Build().Parse(["rollback", "any", "--copy-back", "--discard-target-writes"]);

        Assert.Contains(parse.Errors, e => e.Message.Contains("Choose one of --copy-back and --discard-target-writes", StringComparison.Ordinal));
    }

    /// <summary>Runs a healthy wave, then lets alpha's consumers insert rows into its target, as applications do after cutover.</summary>
    private static async Task<WaveWorkspace> FinishedWaveWithTargetWritesAsync(string wave)
    {
        var workspace = new WaveWorkspace();
        var (exit, output) = await workspace.DmigAsync("run", workspace.WriteManifest(wave));
        Assert.True(exit == DmigCommandLine.Success, output);
        await using var connection = new SqliteConnection($"Data Source={workspace.TargetPath("alpha")};Pooling=False");
        await connection.OpenAsync();
        for (int i = 0; i < TargetWrites; i++)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO items (name, amount) VALUES ($n, 2)";
            insert.Parameters.AddWithValue("$n", $"consumer-{i}");
            await insert.ExecuteNonQueryAsync();
        }

        return workspace;
    }

    private static async Task<long> CountAsync(string path, string namePattern)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM items WHERE name LIKE $p";
        command.Parameters.AddWithValue("$p", namePattern);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string?> RegistryConnectionAsync(WaveWorkspace workspace, string database)
    {
        await using var host = DmigHost.Create(workspace.DataDirectory);
        return (await host.Services.GetRequiredService<IConnectionRegistry>().GetAsync(database))?.Connection;
    }
}

using DurableMigration.Host.Commands;
using DurableMigration.Migration;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Host.Tests;

/// <summary>No acknowledged write is lost, whatever the manifest's validation settings: an application keeps writing to a source through the whole wave.</summary>
public sealed class NothingLostTests
{
    public static TheoryData<bool, bool> ValidationSettings => new()
    {
        { true, true },
        { true, false },
        { false, true },
        { false, false },
    };

    [Theory]
    [MemberData(nameof(ValidationSettings))]
    public async Task EveryWriteCommittedDuringTheWave_IsInTheTarget_WhateverValidationIsSetTo(bool rowCounts, bool checksums)
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("busy", validation: (rowCounts, checksums));
        using var writer = new ItemWriter(workspace.SourcePath("alpha"));
        writer.Start();

        var (exit, output) = await workspace.DmigAsync("run", manifest);
        writer.Stop();

        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.True(writer.Acknowledged.Count > 0, "the writer committed nothing during the wave");
        Assert.True(writer.Refused > 0 || writer.Acknowledged.Count == ItemWriter.MaxWrites, "the writer was never refused: the source did not become read-only");
        var inTarget = await ItemNamesAsync(workspace.TargetPath("alpha"));
        Assert.All(writer.Acknowledged, name => Assert.Contains(name, inTarget));
        Assert.Contains(rowCounts || checksums ? "passed" : "not validated", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidationWithBothChecksOff_IsReportedAsNotValidated_AndAssessWarns()
    {
        using var workspace = new WaveWorkspace();
        string manifest = workspace.WriteManifest("unchecked", validation: (false, false));

        var (assessExit, assessOutput) = await workspace.DmigAsync("assess", manifest);
        var (exit, output) = await workspace.DmigAsync("run", manifest);

        Assert.Equal(DmigCommandLine.Success, assessExit);
        Assert.Contains("validation.off", assessOutput, StringComparison.Ordinal);
        Assert.True(exit == DmigCommandLine.Success, output);
        Assert.Contains("not validated", output, StringComparison.Ordinal);
        Assert.DoesNotContain("passed", output, StringComparison.Ordinal);
    }

    private static async Task<HashSet<string>> ItemNamesAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM items";
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>An application inserting one item per small transaction on its own thread until stopped or refused; it remembers what was committed.</summary>
    private sealed class ItemWriter(string path) : IDisposable
    {
        public const int MaxWrites = 20_000;

        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _acknowledged = [];
        private Thread? _thread;

        public IReadOnlyList<string> Acknowledged
        {
            get
            {
                lock (_acknowledged)
                {
                    return [.. _acknowledged];
                }
            }
        }

        public int Refused { get; private set; }

        public void Start()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "item writer" };
            _thread.Start();
        }

        public void Stop()
        {
            _stop.Cancel();
            _thread?.Join(TimeSpan.FromSeconds(10));
        }

        public void Dispose()
        {
            Stop();
            _stop.Dispose();
        }

        private void Run()
        {
            using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=5");
            connection.Open();
            for (int i = 0; i < MaxWrites && !_stop.IsCancellationRequested; i++)
            {
                string name = $"written-{i}";
                try
                {
                    using var command = connection.CreateCommand();
                    command.CommandText = "INSERT INTO items (name, amount) VALUES ($n, 1)";
                    command.Parameters.AddWithValue("$n", name);
                    command.ExecuteNonQuery(); // autocommit: acknowledged once this returns
                    lock (_acknowledged)
                    {
                        _acknowledged.Add(name);
                    }
                }
                catch (SqliteException)
                {
                    Refused++; // read-only after cutover, or busy: not acknowledged, so nothing is owed
                }

                Thread.Sleep(2);
            }
        }
    }
}

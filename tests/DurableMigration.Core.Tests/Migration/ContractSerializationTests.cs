using System.Text.Json;
using System.Text.Json.Serialization;
using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Migration.Activities;
using DurableMigration.Providers;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace DurableMigration.Core.Tests.Migration;

/// <summary>
/// Every payload that crosses a runtime boundary (orchestration and activity inputs and outputs, event payloads,
/// custom status) round-trips unchanged both through the SDK's default converter (Microsoft's runtimes) and through
/// web defaults with string enums (ours may use them).
/// </summary>
public sealed class ContractSerializationTests
{
    private const string Sdk = "JsonDataConverter.Default";
    private const string Web = "web, string enums";

    private static readonly JsonDataConverter WebConverter = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    });

    private static readonly DateTime At = new(2026, 11, 30, 21, 15, 0, DateTimeKind.Utc);

    private static readonly IReadOnlyDictionary<string, Sample> Samples = BuildSamples();

    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (string format in new[] { Sdk, Web })
            {
                foreach (string name in Samples.Keys)
                {
                    cases.Add(format, name);
                }
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contract_RoundTrips_Unchanged(string format, string contract)
    {
        DataConverter converter = format == Sdk ? JsonDataConverter.Default : WebConverter;
        Sample sample = Samples[contract];
        Type type = sample.Value.GetType();

        string json = converter.Serialize(sample.Value)!;
        object? copy = converter.Deserialize(json, type);

        Assert.NotNull(copy);
        Assert.Equal(json, converter.Serialize(copy));
        if (!sample.HasCollections)
        {
            Assert.Equal(sample.Value, copy);
        }
    }

    [Fact]
    public void Samples_CoverEveryOrchestratorAndActivityContract()
    {
        var contracts = typeof(WaveOrchestration).Assembly.GetTypes()
            .Where(t => !t.IsAbstract)
            .Select(t => t.BaseType)
            .Where(b => b is { IsGenericType: true } && (b.GetGenericTypeDefinition() == typeof(TaskOrchestrator<,>) || b.GetGenericTypeDefinition() == typeof(TaskActivity<,>)))
            .SelectMany(b => b!.GetGenericArguments())
            .Select(t => Nullable.GetUnderlyingType(t) ?? t)
            .Where(t => !t.IsPrimitive && t != typeof(DateTime))
            .ToHashSet();
        var sampled = Samples.Values.Select(s => s.Value.GetType()).ToHashSet();

        Assert.Empty(contracts.Except(sampled).Select(t => t.Name));
    }

    [Fact]
    public void SdkConverter_WritesEnumsAsNumbers_AndWebConverterAsNames()
    {
        var status = new DatabaseStatus("users", DatabaseState.AwaitingApproval, null, "waiting");

        Assert.Contains("\"State\":5", JsonDataConverter.Default.Serialize(status), StringComparison.Ordinal);
        Assert.Contains("\"state\":\"AwaitingApproval\"", WebConverter.Serialize(status), StringComparison.Ordinal);
    }

    [Fact]
    public void WaveStatus_IsCompact_CountsByStateName_AndOneCodePerDatabase()
    {
        var status = WaveStatus.Create("w", "migrating", [DatabaseState.Completed, DatabaseState.Migrating, DatabaseState.AwaitingDependencies, DatabaseState.Completed]);

        Assert.Equal("""{"Wave":"w","Phase":"migrating","Counts":{"AwaitingDependencies":1,"Migrating":1,"Completed":2},"States":"CmdC"}""", JsonDataConverter.Default.Serialize(status));
        Assert.Equal("""{"wave":"w","phase":"migrating","counts":{"AwaitingDependencies":1,"Migrating":1,"Completed":2},"states":"CmdC"}""", WebConverter.Serialize(status));
        Assert.Equal(DatabaseState.Migrating, status.StateAt(1));
    }

    [Fact]
    public void WaveStatus_WithDatabasesWaitingForAnOperator_ListsThemWithTheNextCommand()
    {
        var status = WaveStatus.Create("w", "migrating", [DatabaseState.AwaitingApproval, DatabaseState.Migrating],
            [new WaveAttention("a", DatabaseState.AwaitingApproval, "dmig approve w a", null)]);

        Assert.Equal(
            """{"wave":"w","phase":"migrating","counts":{"Migrating":1,"AwaitingApproval":1},"states":"am","attention":[{"database":"a","state":"AwaitingApproval","next":"dmig approve w a"}]}""",
            WebConverter.Serialize(status));
        Assert.Null(WaveStatus.Create("w", "migrating", [DatabaseState.Migrating], []).Attention);
    }

    [Fact]
    public void WaveStatus_Codes_AreDistinctAndReadBack()
    {
        var states = Enum.GetValues<DatabaseState>();
        var codes = states.Select(WaveStatus.CodeOf).ToList();

        Assert.Equal("pdvmsactCnrRSF", string.Concat(codes));
        Assert.Equal(states, codes.Select(WaveStatus.StateOf));
        Assert.Throws<ArgumentOutOfRangeException>(() => WaveStatus.StateOf('x'));
    }

    private static Dictionary<string, Sample> BuildSamples()
    {
        WaveManifest manifest = WaveManifestReader.Parse(Manifest.ManifestSamples.FullJson);
        DatabaseSpec users = manifest.Databases[0];
        var progress = new CopyProgress("accounts", 1200, 5000, 65536);
        var assessment = new AssessmentReport("users", "3.50.4", 1_048_576, 2,
        [
            new AssessmentFinding("sqlite.size", FindingSeverity.Information, "1 MB"),
            new AssessmentFinding("sqlite.virtual-table", FindingSeverity.Blocking, "FTS5 table", "search"),
        ]);
        var validation = new ValidationReport(
            [new TableValidation("accounts", 5000, 5000, "ab12", "ab12"), new TableValidation("profiles", 10, 9, null, null)],
            ["trigger:audit_insert"])
        {
            ComparedRowCounts = true,
            ComparedChecksums = true,
            ComparedTables = 2,
        };
        var finalSync = new ChangeSyncResult(12, 10, 2, [new TableSyncResult("accounts", 11, false), new TableSyncResult("notes", 1, true)], TimeSpan.FromMilliseconds(42), Final: true, FullCopy: false);
        var completed = new DatabaseMigrationResult("users", DatabaseState.Completed)
        {
            Steps = [new StepTiming(MigrationStep.Migrate, At, At.AddMinutes(3), true), new StepTiming(MigrationStep.Cutover, At.AddMinutes(3), At.AddMinutes(4), true)],
            Rows = 5000,
            Bytes = 262_144,
            Validation = validation,
            FinalSync = finalSync,
            WriteBlocked = TimeSpan.FromSeconds(1.5),
            Registered = [Compensation.DropTarget, Compensation.MakeSourceWritable, Compensation.SwitchConsumersBack],
        };
        var rolledBack = new DatabaseMigrationResult("orders", DatabaseState.RolledBack)
        {
            FailedStep = MigrationStep.PostValidate,
            Error = "DrillFailureException: Drill: failure injected",
            CompensationsRun = [new CompensationRecord(Compensation.SwitchConsumersBack, false, "rollback refused") { Refused = true }, new CompensationRecord(Compensation.MakeSourceWritable, true, null), new CompensationRecord(Compensation.DropTarget, false, "DatabaseProviderException: locked")],
        };
        var waveResult = new WaveResult(manifest.Wave, WaveOutcome.PartiallyCompleted, [completed, rolledBack], [assessment], ["orders"]);

        return new Dictionary<string, Sample>(StringComparer.Ordinal)
        {
            // Orchestration inputs and outputs.
            ["WaveInput"] = new(new WaveInput(manifest, new DrillSpec("orders", MigrationStep.Cutover), TimeSpan.FromMilliseconds(250)), true),
            ["WaveInput without drill"] = new(new WaveInput(manifest), true),
            ["WaveInput from a ticket"] = new(new WaveInput(manifest, Ticket: new TicketReference("CHG0030001", "servicenow", "jane.doe@contoso.com")), true),
            ["TicketReceipt"] = new(new TicketReceipt(new TicketReference("MIG-142", "jira", null), "approveCutover", "wave-1", "orders", "approved cutover of orders"), true),
            ["DatabaseMigrationInput"] = new(new DatabaseMigrationInput(manifest.Wave, users, manifest.Mode, manifest.Cutover, manifest.Alerts, manifest.OnFailure, MigrationStep.Monitor, TimeSpan.FromSeconds(2)), true),
            ["DatabaseMigrationInput continued as new"] = new(
                new DatabaseMigrationInput(manifest.Wave, users, MigrationMode.Online, manifest.Cutover, manifest.Alerts, manifest.OnFailure, null, TimeSpan.FromSeconds(2))
                {
                    SyncPollsPerExecution = 50,
                    Continuation = new DatabaseMigrationContinuation(At, At.AddMinutes(3), [Compensation.DropTarget], completed.Steps, new DataCopyResult([new TableCopyResult("accounts", 4990)], 4990, 1024), true, false, false, 2),
                },
                true),
            ["WaveInput with sync polls"] = new(new WaveInput(manifest) { SyncPollsPerExecution = 10 }, true),
            ["WaveRollbackInput"] = new(new WaveRollbackInput(manifest, waveResult), true),
            ["WaveRollbackInput with copy-back"] = new(new WaveRollbackInput(manifest, waveResult, TargetWrites.CopyBack), true),
            ["WaveRollbackInput retrying failed compensations"] = new(new WaveRollbackInput(manifest, waveResult, RetryFailed: true), true),
            ["WaveResult"] = new(waveResult, true),
            ["DatabaseMigrationResult"] = new(rolledBack, true),

            // Activity inputs and outputs.
            ["DatabaseStepInput"] = new(new DatabaseStepInput(manifest.Wave, users, InjectFailure: true), true),
            ["DatabaseStepInput online"] = new(new DatabaseStepInput(manifest.Wave, users) { Mode = MigrationMode.Online }, true),
            ["ReplicationStatus"] = new(new ReplicationStatus("streaming", 4096, 0.25, 3), false),
            ["ReplicationStatus with unknown seconds"] = new(new ReplicationStatus("starting", 0, null, 3), false),
            ["ProgressQuery"] = new(new ProgressQuery(manifest.Wave, "users"), false),
            ["AlertRequest"] = new(new AlertRequest(new MigrationAlert(manifest.Wave, "users", "error", "'users' failed at cutover", At), new Uri("https://hooks.example/x")), false),
            ["AlertRequest without webhook"] = new(new AlertRequest(new MigrationAlert(manifest.Wave, null, "error", "blocked", At), null), false),
            ["WindowQuery"] = new(new WindowQuery(manifest.Cutover.Window!, At), false),
            ["AssessmentReport"] = new(assessment, true),
            ["SchemaCopyResult"] = new(new SchemaCopyResult(4, 3, 1, 2), false),
            ["CopyProgress"] = new(progress, false),
            ["CopyProgress per table"] = new(progress with { Tables = [new TableProgress("public.accounts", 1000, 60000, false), new TableProgress("public.notes", 200, 5536, true)] }, true),
            ["DataCopyResult"] = new(new DataCopyResult([new TableCopyResult("accounts", 4990), new TableCopyResult("profiles", 10)], 5000, 262_144), true),
            ["ValidationReport"] = new(validation, true),
            ["ChangeSyncResult"] = new(finalSync, true),
            ["TargetBaseline"] = new(new TargetBaseline(true, "b-1", new DateTimeOffset(At, TimeSpan.Zero), 3, 5000, false), false),
            ["TargetChanges"] = new(new TargetChanges(TargetChangeState.Changed, 50, [new TargetTableChanges("accounts", 50, false)], null), true),
            ["backup path"] = new("/data/.dmig/backups/users-20261130T120000Z.db", false),
            ["ConnectionEntry"] = new(new ConnectionEntry("users", "sqlite", "env:USERS_TARGET", At), false),
            ["window opening"] = new(At.AddHours(1), false),
            ["ConnectionCheck"] = new(new ConnectionCheck(null, "target connection env:USERS_TARGET is not set"), false),
            ["ConnectionCheck resolved"] = new(new ConnectionCheck(null, null), false),

            // Event payloads (Rollback, Retry, ApproveCutover carry an optional reason).
            ["event payload"] = new("approved by ops", false),
            ["DatabaseStateChange"] = new(new DatabaseStateChange("users", DatabaseState.NeedsAttention, "dmig retry w users", At.AddHours(1)), false),
            ["DatabaseStateChange without command"] = new(new DatabaseStateChange("users", DatabaseState.CuttingOver), false),

            // Custom status.
            ["WaveStatus"] = new(WaveStatus.Create(manifest.Wave, "migrating", [DatabaseState.Migrating, DatabaseState.AwaitingDependencies, DatabaseState.Completed, DatabaseState.Completed]), true),
            ["WaveStatus with attention"] = new(
                WaveStatus.Create(manifest.Wave, "migrating", [DatabaseState.NeedsAttention, DatabaseState.AwaitingApproval],
                    [new WaveAttention("users", DatabaseState.NeedsAttention, "dmig retry w users", At), new WaveAttention("orders", DatabaseState.AwaitingApproval, "dmig approve w orders", null)]),
                true),
            ["DatabaseStatus"] = new(new DatabaseStatus("users", DatabaseState.Migrating, progress, "copying data"), false),
            ["DatabaseStatus without progress"] = new(new DatabaseStatus("users", DatabaseState.NeedsAttention, null, null), false),
            ["DatabaseStatus syncing"] = new(new DatabaseStatus("users", DatabaseState.Syncing, progress, "syncing") { Replication = new ReplicationStatus("streaming", 128, 0.1, 2) }, false),
        };
    }

    /// <summary>A representative instance; records holding collections compare by their JSON, the rest by value.</summary>
    private sealed record Sample(object Value, bool HasCollections);
}

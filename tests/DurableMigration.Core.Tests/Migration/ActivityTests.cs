using DurableMigration.Manifest;
using DurableMigration.Migration;
using DurableMigration.Migration.Activities;
using DurableMigration.Providers;
using Microsoft.DurableTask;

namespace DurableMigration.Core.Tests.Migration;

public sealed class ActivityTests
{
    private static readonly DateTime At = new(2026, 11, 30, 21, 15, 0, DateTimeKind.Utc);

    [Fact]
    public void NoWorkerShutdown_NeverSignals()
    {
        Assert.False(new NoWorkerShutdown().Token.CanBeCanceled);
    }

    [Fact]
    public async Task SendAlertActivity_PassesTheWorkerShutdownToken_ToTheSink()
    {
        using var stopping = new CancellationTokenSource();
        var sink = new RecordingSink();
        var request = new AlertRequest(new MigrationAlert("wave-1", "users", "error", "failed", At), new Uri("https://hooks.example/x"));

        bool sent = await new SendAlertActivity(sink, new Shutdown(stopping.Token)).RunAsync(new Context(MigrationActivityNames.SendAlert), request);

        Assert.True(sent);
        Assert.Equal(request.Alert, sink.Alert);
        Assert.Equal(stopping.Token, sink.Token);
    }

    [Fact]
    public async Task SwitchConsumersBackActivity_PointsConsumersAtTheSource_WithTheWorkerShutdownToken()
    {
        using var stopping = new CancellationTokenSource();
        var registry = new RecordingRegistry();
        var database = new DatabaseSpec(
            "users", new DatabaseEndpoint("sqlite", "Data Source=/data/users.db"), new DatabaseEndpoint("sqlite", "env:USERS_TARGET"), [], 0, null, new ValidationOptions(true, true));

        await new SwitchConsumersBackActivity(registry, new Shutdown(stopping.Token)).RunAsync(new Context(MigrationActivityNames.SwitchConsumersBack), new DatabaseStepInput("wave-1", database));

        Assert.Equal(("users", "Data Source=/data/users.db", "rollback of wave wave-1"), registry.Switched);
        Assert.Equal(stopping.Token, registry.Token);
    }

    [Fact]
    public async Task GetCopyProgressActivity_ReadsTheLatestReportOfItsDatabase_OrNullBeforeAny()
    {
        var store = new InMemoryMigrationProgressStore();
        var activity = new GetCopyProgressActivity(store, new NoWorkerShutdown());
        store.Report("wave-1", "users", new CopyProgress("posts", 10, 100, 1000));
        store.Report("wave-1", "users", new CopyProgress("posts", 20, 100, 2000));

        var latest = await activity.RunAsync(new Context(MigrationActivityNames.GetCopyProgress), new ProgressQuery("wave-1", "users"));
        var none = await activity.RunAsync(new Context(MigrationActivityNames.GetCopyProgress), new ProgressQuery("wave-1", "orders"));

        Assert.Equal(new CopyProgress("posts", 20, 100, 2000), latest);
        Assert.Null(none);
    }

    private sealed class Context(string name) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId => "wave-1:users";
    }

    private sealed class Shutdown(CancellationToken token) : IWorkerShutdown
    {
        public CancellationToken Token { get; } = token;
    }

    private sealed class RecordingSink : IAlertSink
    {
        public MigrationAlert? Alert { get; private set; }

        public CancellationToken Token { get; private set; }

        public Task SendAsync(MigrationAlert alert, Uri? webhook, CancellationToken cancellationToken = default)
        {
            Alert = alert;
            Token = cancellationToken;
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingRegistry : IConnectionRegistry
    {
        public (string Database, string Connection, string Reason) Switched { get; private set; }

        public CancellationToken Token { get; private set; }

        public Task<ConnectionEntry?> GetAsync(string database, CancellationToken cancellationToken = default) => Task.FromResult<ConnectionEntry?>(null);

        public Task<ConnectionEntry?> SwitchAsync(string database, string connection, string engine, string reason, CancellationToken cancellationToken = default)
        {
            Switched = (database, connection, reason);
            Token = cancellationToken;
            return Task.FromResult<ConnectionEntry?>(null);
        }

        public Task<IReadOnlyList<ConnectionSwitch>> GetHistoryAsync(string database, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ConnectionSwitch>>([]);
    }
}

using System.Text.Json.Nodes;
using DurableMigration.Monitoring;
using DurableMigration.Providers.Monitoring;

namespace DurableMigration.Providers.Tests.Monitoring;

/// <summary>The Logs Ingestion client and the buffered sink against the loopback emulator (src/DurableMigration.AzureEmulators), over HTTPS.</summary>
public sealed class LogsIngestionClientTests : IAsyncLifetime
{
    private LogsIngestionEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await LogsIngestionEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    internal static LogsIngestionClient CreateClient(LogsIngestionEmulator emulator, string? ruleId = null, int maxRetries = 3, Uri? endpoint = null)
    {
        var options = new LogsIngestionClientOptions
        {
            Endpoint = endpoint ?? emulator.Endpoint,
            RuleId = ruleId ?? emulator.RuleId,
            StreamName = emulator.StreamName,
            Transport = emulator.CreateTransport(),
        };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        return new LogsIngestionClient(LogsIngestionEmulator.Credential, options);
    }

    private static MigrationRecord Step(int i, string? error = null) =>
        new(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero).AddSeconds(i), "wave-1", MigrationRecordKinds.Step)
        {
            Database = "db" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Step = "copy",
            Status = error is null ? "Succeeded" : "Failed",
            DurationMs = 1234,
            Rows = i,
            Bytes = 100L * i,
            LagSeconds = 0.5,
            Ticket = "CHG-42",
            Error = error,
        };

    [Fact]
    public async Task Upload_SendsGzippedRecordsThatArriveIntact()
    {
        LogsIngestionClient client = CreateClient(_emulator);

        await client.UploadAsync([Step(1), Step(2, "boom")]);

        LogsIngestionEmulator.RecordedRequest request = Assert.Single(_emulator.Requests);
        Assert.Equal(204, request.Status);
        Assert.Equal("gzip", request.ContentEncoding);
        Assert.True(request.HadBearerToken);
        Assert.Equal("?api-version=2023-01-01", request.Query);
        Assert.Equal($"/dataCollectionRules/{_emulator.RuleId}/streams/{_emulator.StreamName}", request.Path);
        Assert.True(request.BodyBytes < request.UncompressedBytes);
        IReadOnlyList<JsonObject> records = _emulator.Records;
        Assert.Equal(2, records.Count);
        Assert.Equal("2026-12-01T02:00:01+00:00", (string?)records[0]["TimeGenerated"]);
        Assert.Equal("wave-1", (string?)records[0]["Wave"]);
        Assert.Equal("db1", (string?)records[0]["Database"]);
        Assert.Equal("step", (string?)records[0]["Kind"]);
        Assert.Equal("copy", (string?)records[0]["Step"]);
        Assert.Equal(1234, (long?)records[0]["DurationMs"]);
        Assert.Equal(0.5, (double?)records[0]["LagSeconds"]);
        Assert.Equal("CHG-42", (string?)records[0]["Ticket"]);
        Assert.False(records[0].ContainsKey("Error")); // nulls are left out
        Assert.Equal("boom", (string?)records[1]["Error"]);
        Assert.Equal("Failed", (string?)records[1]["Status"]);
    }

    [Fact]
    public async Task Upload_OverOneMegabyte_IsSplitIntoCallsUnderTheLimit()
    {
        LogsIngestionClient client = CreateClient(_emulator);
        string filler = new('x', 1000);
        MigrationRecord[] records = [.. Enumerable.Range(0, 3000).Select(i => Step(i, filler))];

        await client.UploadAsync(records);

        IReadOnlyList<LogsIngestionEmulator.RecordedRequest> requests = _emulator.Requests;
        Assert.True(requests.Count >= 3, $"expected at least 3 calls, got {requests.Count}");
        Assert.All(requests, r => Assert.Equal(204, r.Status));
        Assert.All(requests, r => Assert.True(r.UncompressedBytes <= LogsIngestionEmulator.LimitBytes && r.BodyBytes <= LogsIngestionEmulator.LimitBytes));
        Assert.Equal(3000, requests.Sum(r => r.RecordCount));
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => "db" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)), _emulator.Records.Select(r => (string?)r["Database"]));
    }

    [Fact]
    public async Task Upload_Throttled_RetriesAfterRetryAfterThenSucceeds()
    {
        LogsIngestionClient client = CreateClient(_emulator);
        _emulator.Throttle(2, retryAfterSeconds: 1);

        await client.UploadAsync([Step(1)]);

        Assert.Equal([429, 429, 204], _emulator.Requests.Select(r => r.Status));
        Assert.Single(_emulator.Records);
    }

    [Fact]
    public async Task Upload_ServerErrorOnce_IsRetried()
    {
        LogsIngestionClient client = CreateClient(_emulator);
        _emulator.FailNext(500);

        await client.UploadAsync([Step(1)]);

        Assert.Equal([500, 204], _emulator.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Upload_UnknownRule_FailsWithTheServiceError()
    {
        LogsIngestionClient client = CreateClient(_emulator, ruleId: "dcr-unknown");

        LogsIngestionException error = await Assert.ThrowsAsync<LogsIngestionException>(() => client.UploadAsync([Step(1)]));

        Assert.Equal(404, error.Status);
        Assert.Equal("InvalidDataCollectionRule", error.ErrorCode);
        Assert.False(error.IsRetriable);
        Assert.Contains("dcr-unknown", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("logs-emulator-token", error.Message, StringComparison.Ordinal);
        Assert.Single(_emulator.Requests); // not retried
    }

    [Fact]
    public void Split_KeepsEveryCallUnderTheLimitAndEveryRecord()
    {
        MigrationRecord[] records = [.. Enumerable.Range(0, 100).Select(i => Step(i, new string('y', 300)))];

        List<byte[]> calls = [.. LogsIngestionClient.Split(records, 4096)];

        Assert.True(calls.Count > 1);
        Assert.All(calls, c => Assert.True(c.Length <= 4096));
        Assert.Equal(100, calls.Sum(c => JsonNode.Parse(c)!.AsArray().Count));
    }

    [Fact]
    public async Task BufferedSink_DropsOldestWhenFull_AndDisposeFlushesTheRest()
    {
        LogsIngestionClient client = CreateClient(_emulator);
        var sink = new BufferedLogsIngestionSink(
            client, new BufferedLogsIngestionSinkOptions { Capacity = 10, MaxBatchSize = 100, BatchWindow = TimeSpan.FromMinutes(5) });

        for (int i = 0; i < 1000; i++)
        {
            sink.Record(Step(i));
        }

        Assert.Equal(990, sink.DroppedCount);
        await sink.DisposeAsync();

        Assert.Equal(10, sink.SentCount);
        Assert.Equal(Enumerable.Range(990, 10).Select(i => "db" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)), _emulator.Records.Select(r => (string?)r["Database"]));
        sink.Record(Step(2000)); // after disposal: dropped, not thrown
        Assert.Equal(991, sink.DroppedCount);
    }

    [Fact]
    public async Task BufferedSink_SendsFullBatchesAndFlushes()
    {
        LogsIngestionClient client = CreateClient(_emulator);
        await using var sink = new BufferedLogsIngestionSink(
            client, new BufferedLogsIngestionSinkOptions { MaxBatchSize = 5, BatchWindow = TimeSpan.FromMinutes(5) });

        for (int i = 0; i < 12; i++)
        {
            sink.Record(Step(i));
        }

        await sink.FlushAsync();

        Assert.Equal(12, _emulator.Records.Count);
        Assert.Equal(12, sink.SentCount);
        Assert.All(_emulator.Requests, r => Assert.True(r.RecordCount <= 5));
    }

    [Fact]
    public async Task BufferedSink_BatchWindowEndingBetweenTwoClockReadings_StillSendsEveryRecord()
    {
        // Each reading of this clock is 6.5 ms after the last: a 10 ms window is still open at the second reading and
        // 3 ms over at the third, as when a loaded machine preempts the loop between two readings. The loop once read
        // the clock twice per check, passed the negative rest to Task.Delay, which threw, and sent nothing more.
        LogsIngestionClient client = CreateClient(_emulator);
        var sink = new BufferedLogsIngestionSink(
            client, new BufferedLogsIngestionSinkOptions { BatchWindow = TimeSpan.FromMilliseconds(10), TimeProvider = new SteppingClock(TimeSpan.FromMilliseconds(6.5)) });

        for (int i = 0; i < 6; i++)
        {
            sink.Record(Step(i));
            await Task.Delay(20);
        }

        await sink.DisposeAsync();

        Assert.Equal(6, _emulator.Records.Count);
        Assert.Equal(0, sink.DroppedCount);
    }

    [Fact]
    public async Task BufferedSink_ServiceThatNeverAnswers_RecordReturnsWhileTheUploadIsPending_AndDisposeGivesUp()
    {
        // A listener that takes connections and never answers: the upload hangs in its TLS handshake.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = new Uri($"https://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}");
        LogsIngestionClient client = CreateClient(_emulator, maxRetries: 0, endpoint: endpoint);
        var sink = new BufferedLogsIngestionSink(
            client,
            new BufferedLogsIngestionSinkOptions
            {
                Capacity = 50,
                MaxBatchSize = 1,
                BatchWindow = TimeSpan.Zero,
                MaxAttempts = 1,
                FlushTimeout = TimeSpan.FromMilliseconds(200),
            });
        sink.Record(Step(0));
        using var connection = await silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromMinutes(1)); // guards against a hang, asserts no timing

        for (int i = 1; i <= 10_000; i++)
        {
            sink.Record(Step(i));
        }

        // Every Record returned while the one upload is still in flight: nothing sent, nothing failed yet, the buffer kept the newest 50.
        Assert.Equal(0, sink.SentCount);
        Assert.Equal(0, sink.FailedCount);
        Assert.Equal(10_000 - 50, sink.DroppedCount);

        await sink.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1)); // gives up after FlushTimeout, never throws
        Assert.Equal(0, sink.SentCount);
        Assert.Equal(1, sink.FailedCount); // the batch in flight
        Assert.Equal(10_001, sink.DroppedCount + sink.FailedCount);
    }

    /// <summary>A clock that moves on by <paramref name="step"/> each time it is read.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow()
        {
            _now += step;
            return _now;
        }
    }
}

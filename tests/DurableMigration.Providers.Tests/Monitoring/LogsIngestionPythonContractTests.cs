using System.Text.Json.Nodes;

namespace DurableMigration.Providers.Tests.Monitoring;

/// <summary>
/// Proves the emulator accepts what Microsoft's own Python client sends: <c>azure.monitor.ingestion</c> (Debian's <c>python3-azure</c>)
/// uploads records, small and over 1 MB, through Monitoring/logs_ingestion_contract.py.
/// </summary>
public sealed class LogsIngestionPythonContractTests
{
    [Fact]
    public async Task MicrosoftsPythonClient_UploadsRecords_ToTheEmulator()
    {
        await MicrosoftPythonClient.RequireAsync("azure.monitor.ingestion");
        await using LogsIngestionEmulator emulator = await LogsIngestionEmulator.StartAsync();
        emulator.Throttle(1, retryAfterSeconds: 1); // The Python client's retry policy must honour the 429 too.

        JsonNode seen = await MicrosoftPythonClient.RunContractAsync(
            Path.Combine("Monitoring", "logs_ingestion_contract.py"),
            emulator.WriteCertificatePem,
            "LOGS_CA_BUNDLE",
            new Dictionary<string, string>
            {
                ["LOGS_ENDPOINT"] = emulator.Endpoint.ToString(),
                ["LOGS_RULE_ID"] = emulator.RuleId,
                ["LOGS_STREAM"] = emulator.StreamName,
            });

        Assert.Equal(["https://monitor.azure.com//.default"], seen["scopes"]!.AsArray().Select(v => (string?)v));
        Assert.Equal([400, "InvalidStream"], seen["unknown_stream"]!.AsArray().Select(v => v!.GetValueKind() == System.Text.Json.JsonValueKind.Number ? (object?)(int)v : (string?)v));

        IReadOnlyList<LogsIngestionEmulator.RecordedRequest> requests = emulator.Requests;
        Assert.Equal(429, requests[0].Status); // throttled, then sent again
        Assert.All(requests, r => Assert.True(r.HadBearerToken));
        Assert.All(requests.Where(r => r.Status == 204), r => Assert.Equal("gzip", r.ContentEncoding));
        Assert.Contains(requests, r => r.Status == 204 && r.Query.Contains("api-version=2021-11-01-preview", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Status == 204 && r.Query.Contains("api-version=2023-01-01", StringComparison.Ordinal));
        Assert.True(requests.Count(r => r.Status == 204 && r.Query.Contains("2023-01-01", StringComparison.Ordinal)) >= 2, "the 1.5 MB upload was not split");
        Assert.All(requests, r => Assert.True(r.BodyBytes <= LogsIngestionEmulator.LimitBytes && r.UncompressedBytes <= LogsIngestionEmulator.LimitBytes));

        IReadOnlyList<JsonObject> records = emulator.Records;
        Assert.Equal(2 + 1500, records.Count);
        Assert.Equal("wave-py", (string?)records[0]["Wave"]);
        Assert.Equal("step", (string?)records[0]["Kind"]);
        Assert.Equal(42.5, (double?)records[1]["LagSeconds"]);
        Assert.Equal(1500, records.Count(r => (string?)r["Wave"] == "wave-big"));
    }
}

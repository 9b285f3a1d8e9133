using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DurableMigration.Providers.Tests.Dms;

/// <summary>
/// Proves the emulator speaks the real contract: Microsoft's own Python client <c>azure.mgmt.datamigration</c> (Debian's
/// <c>python3-azure</c>, api-version 2022-03-30-preview) drives it through create, read with <c>$expand</c>, cutover and cancel (Dms/dms_contract.py).
/// </summary>
public sealed class DmsPythonContractTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task MicrosoftsPythonClient_CreatesReadsCutsOverAndCancels_AgainstTheEmulator()
    {
        await RequireClientAsync();
        await using DmsEmulator emulator = await DmsEmulator.StartAsync();
        string directory = Directory.CreateTempSubdirectory("dms-contract-").FullName;
        try
        {
            string bundle = Path.Combine(directory, "emulator.pem");
            emulator.WriteCertificatePem(bundle);
            emulator.Throttle(1, retryAfterSeconds: 1); // The Python client's retry policy must honour the 429 too.

            (int exitCode, string output, string error) = await RunAsync(
                Path.Combine(AppContext.BaseDirectory, "Dms", "dms_contract.py"),
                new Dictionary<string, string>
                {
                    ["DMS_ENDPOINT"] = emulator.Endpoint.ToString(),
                    ["DMS_CA_BUNDLE"] = bundle,
                    ["DMS_SUBSCRIPTION"] = "00000000-1111-2222-3333-444444444444",
                });

            Assert.True(exitCode == 0, $"dms_contract.py failed ({exitCode}):\n{error}\n{output}");
            JsonNode seen = JsonNode.Parse(output.Trim().Split('\n')[^1])!;
            Assert.Equal(DmsEmulator.ApiVersion, (string?)seen["api_version"]);
            Assert.Equal(["dms1", "Succeeded", "Online"], seen["service"]!.AsArray().Select(v => (string?)v));
            Assert.Equal("Succeeded", (string?)seen["sqldb_create"]);
            Assert.Equal("Succeeded", (string?)seen["sqldb_status"]);
            JsonArray tables = seen["sqldb_tables"]!.AsArray();
            Assert.Equal(2, tables.Count);
            Assert.All(tables, t => Assert.Equal(emulator.RowsPerTable, (long)t![3]!));
            Assert.Equal("Canceled", (string?)seen["sqldb_cancel"]);
            Assert.Equal("Succeeded", (string?)seen["sqlmi_create"]);
            Assert.Equal("ReadyForCutover", (string?)seen["sqlmi_ready"]);
            Assert.True((bool?)seen["sqlmi_full_backup_restored"]);
            Assert.Equal("Succeeded", (string?)seen["sqlmi_cutover"]);
            Assert.Equal("Canceled", (string?)seen["sqlmi_cancel"]);
            Assert.Equal("ResourceNotFound", (string?)seen["missing"]);
            Assert.Equal("CutoverNotAllowedMigrationCompleteError", (string?)seen["second_cutover"]);

            IReadOnlyList<DmsEmulator.RecordedRequest> requests = emulator.Requests;
            Assert.All(requests, r => Assert.True(r.HadBearerToken));
            Assert.All(requests, r => Assert.Contains("api-version=2022-03-30-preview", r.Query, StringComparison.Ordinal));
            // The throttled first call (the migration service's read) was sent again.
            Assert.Equal(("GET", "GET"), (requests[0].Method, requests[1].Method));
            Assert.Equal(requests[0].Path, requests[1].Path);
            Assert.EndsWith("/providers/Microsoft.DataMigration/sqlMigrationServices/dms1", requests[0].Path, StringComparison.Ordinal);
            Assert.Contains(requests, r => r.Path.Contains("/operationStatuses/", StringComparison.Ordinal));
            Assert.Contains(requests, r => r.Method == "POST" && r.Path.EndsWith("/managedInstances/mi1/providers/Microsoft.DataMigration/databaseMigrations/ordersdb/cutover", StringComparison.Ordinal));
            Assert.Contains(requests, r => r.Method == "POST" && r.Path.EndsWith("/servers/sqlserver1/providers/Microsoft.DataMigration/databaseMigrations/billingdb/cancel", StringComparison.Ordinal));
            Assert.Contains(requests, r => r.Method == "GET" && Uri.UnescapeDataString(r.Query).Contains("$expand=MigrationStatusDetails", StringComparison.Ordinal));

            // What Microsoft's client sends for a create is what our client sends: the same property names.
            JsonObject put = JsonNode.Parse(requests.First(r => r.Method == "PUT").Body)!["properties"]!.AsObject();
            Assert.Equal("SqlDb", (string?)put["kind"]);
            Assert.Equal(
                ["dataSource", "authentication", "userName", "password", "encryptConnection", "trustServerCertificate"],
                put["sourceSqlConnection"]!.AsObject().Select(p => p.Key));
            Assert.NotNull(put["targetSqlConnection"]);
            Assert.NotNull(put["tableList"]);
            Assert.NotNull(put["migrationService"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task RequireClientAsync()
    {
        const string install =
            "Microsoft's Python client azure.mgmt.datamigration is missing: install it with " +
            "`apt-get install python3-azure` (scripts/test.sh does), then run the tests again.";
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} is not installed. {install}");
        }

        (int exitCode, _, string error) = await RunAsync(null, new Dictionary<string, string>(), "-c", "import azure.mgmt.datamigration");
        Assert.True(exitCode == 0, $"{install}\n{error}");
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string? script, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (script is not null)
        {
            start.ArgumentList.Add(script);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Debian's interpreter with Debian's packages only: nothing from a pyenv or virtualenv on the way.
        start.Environment.Remove("PYTHONPATH");
        start.Environment.Remove("PYTHONHOME");
        start.Environment.Remove("REQUESTS_CA_BUNDLE");
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} {script} did not finish in 3 minutes:\n{await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DurableMigration.Providers.Tests;

/// <summary>Runs Microsoft's Python clients (Debian's <c>python3-azure</c>) against an emulator, to prove the emulator speaks the real contract.</summary>
internal static class MicrosoftPythonClient
{
    /// <summary>Debian's Python, which has the <c>python3-azure</c> modules (not a pyenv Python on PATH).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Fails the test, saying how to install it, when <paramref name="module"/> cannot be imported.</summary>
    public static async Task RequireAsync(string module)
    {
        string install =
            $"Microsoft's Python client {module} is missing: install it with " +
            "`apt-get install python3-azure` (scripts/test.sh does), then run the tests again.";
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} is not installed. {install}");
        }

        (int exitCode, _, string error) = await RunAsync(null, new Dictionary<string, string>(), "-c", "import " + module);
        Assert.True(exitCode == 0, $"{install}\n{error}");
    }

    /// <summary>
    /// Runs the contract script <paramref name="script"/> (a path under the test output) against an emulator: its certificate, written by
    /// <paramref name="writeCertificatePem"/>, is the CA bundle named by <paramref name="caBundleVariable"/>. Fails the test when the script
    /// fails; returns the JSON document the script prints on its last line (what the client saw).
    /// </summary>
    public static async Task<JsonNode> RunContractAsync(
        string script, Action<string> writeCertificatePem, string caBundleVariable, IReadOnlyDictionary<string, string> environment)
    {
        string directory = Directory.CreateTempSubdirectory("python-contract-").FullName;
        try
        {
            string bundle = Path.Combine(directory, "emulator.pem");
            writeCertificatePem(bundle);
            var variables = new Dictionary<string, string>(environment) { [caBundleVariable] = bundle };
            (int exitCode, string output, string error) = await RunAsync(Path.Combine(AppContext.BaseDirectory, script), variables);
            Assert.True(exitCode == 0, $"{script} failed ({exitCode}):\n{error}\n{output}");
            return JsonNode.Parse(output.Trim().Split('\n')[^1])!;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs <paramref name="script"/> (or just <paramref name="arguments"/>) with <paramref name="environment"/>, for at most 3 minutes.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
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

        // Nothing of the caller's Python setup may change which modules or certificates the client uses.
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

using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace DurableMigration.Infra.Tests;

/// <summary>What one run of the Bicep CLI returned.</summary>
internal sealed record BicepRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The run, for an assertion message.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stderr ---\n{Stderr}\n--- stdout (first 2000 chars) ---\n{Stdout[..Math.Min(Stdout.Length, 2000)]}";
}

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 package, and the infra folder it validates.</summary>
internal static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>The bicep executable restored from NuGet (its path is baked into this assembly by the project file).</summary>
    public static string ExecutablePath { get; } = Metadata("BicepPath");

    /// <summary>The repository's infra folder.</summary>
    public static string InfraDirectory { get; } = Metadata("InfraDirectory");

    /// <summary>Runs bicep with <paramref name="arguments"/> in <paramref name="workingDirectory"/>; fails the test on a time-out.</summary>
    public static async Task<BicepRun> RunAsync(string workingDirectory, params string[] arguments)
    {
        EnsureExecutable();
        var start = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ExecutablePath}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}");
        }

        return new BicepRun(process.ExitCode, await stdout, await stderr);
    }

    // NuGet extracts the executable with the mode its archive recorded; make sure it can be run.
    private static void EnsureExecutable()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException("the Bicep CLI is missing: restore Azure.Bicep.CommandLine.linux-x64", ExecutablePath);
        }

        if (OperatingSystem.IsWindows())
        {
            return; // the package ships a linux-x64 executable only; it would not run there anyway
        }

        UnixFileMode mode = File.GetUnixFileMode(ExecutablePath);
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(ExecutablePath, mode | execute);
        }
    }

    private static string Metadata(string key) =>
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata '{key}' is missing (see DurableMigration.Infra.Tests.csproj)");
}

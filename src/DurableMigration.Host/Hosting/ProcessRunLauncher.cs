using System.Diagnostics;
using System.Reflection;

namespace DurableMigration.Host.Hosting;

/// <summary>Relaunches the current <c>dmig</c> executable as a detached background process.</summary>
/// <remarks>
/// The child writes its output to a file named by <see cref="OutputFileVariable"/> (Program.cs honours it) and gets
/// pipes of its own instead of this process's stdout: a script reading <c>$(dmig run --no-wait …)</c> would otherwise
/// wait for the background run to close the inherited pipe. On Linux and macOS it starts under <c>setsid</c> when
/// present, so closing the terminal does not hang it up.
/// </remarks>
public sealed class ProcessRunLauncher : IDetachedRunLauncher
{
    /// <summary>The environment variable naming the file a detached dmig writes its stdout and stderr to.</summary>
    public const string OutputFileVariable = "DMIG_OUTPUT_FILE";

    private readonly string _fileName;
    private readonly IReadOnlyList<string> _leadingArguments;

    /// <summary>Initializes a new instance of the <see cref="ProcessRunLauncher"/> class that runs <paramref name="fileName"/> with <paramref name="leadingArguments"/> first (e.g. <c>dotnet dmig.dll</c>).</summary>
    public ProcessRunLauncher(string fileName, IReadOnlyList<string> leadingArguments)
    {
        _fileName = fileName;
        _leadingArguments = leadingArguments;
    }

    /// <summary>A launcher of the executable running now: the apphost (<c>dmig</c>), or <c>dotnet</c> with the entry assembly (<c>dotnet dmig.dll</c>, <c>dotnet run</c>).</summary>
    public static ProcessRunLauncher ForCurrentProcess()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of the running executable is unknown");
        var entry = Assembly.GetEntryAssembly();
        if (entry?.GetName().Name != "dmig")
        {
            // Hosted by another program (a test host, a tool embedding the command line): relaunching it would not run dmig.
            throw new InvalidOperationException($"this process is {entry?.GetName().Name ?? "unknown"}, not dmig, and cannot relaunch dmig");
        }

        bool underDotnet = string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.OrdinalIgnoreCase);
        return underDotnet ? new ProcessRunLauncher(process, [entry.Location]) : new ProcessRunLauncher(process, []);
    }

    /// <inheritdoc/>
    public Task<int> LaunchAsync(IReadOnlyList<string> arguments, string outputFile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string? setsid = OperatingSystem.IsWindows() ? null : new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        var start = new ProcessStartInfo(setsid ?? _fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        if (setsid is not null)
        {
            start.ArgumentList.Add(_fileName);
        }

        foreach (string argument in _leadingArguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[OutputFileVariable] = outputFile;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputFile))!);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_fileName}.");
        // Not waited for: the child carries on after this process exits.
        process.StandardInput.Close();
        return Task.FromResult(process.Id);
    }
}

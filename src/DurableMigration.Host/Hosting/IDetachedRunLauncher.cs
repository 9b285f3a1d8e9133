namespace DurableMigration.Host.Hosting;

/// <summary>Starts a <c>dmig</c> command in a background process that outlives this one (<c>dmig run --no-wait</c>).</summary>
/// <remarks>A seam: tests replace it through the host's services, since an in-process test run cannot relaunch itself.</remarks>
public interface IDetachedRunLauncher
{
    /// <summary>Starts <c>dmig <paramref name="arguments"/></c> detached, its stdout and stderr appended to <paramref name="outputFile"/>; returns its process id.</summary>
    Task<int> LaunchAsync(IReadOnlyList<string> arguments, string outputFile, CancellationToken cancellationToken = default);
}

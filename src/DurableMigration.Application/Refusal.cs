using DurableMigration.Manifest;

namespace DurableMigration.Application;

/// <summary>Why an operation was refused, in words both hosts show: a problem's title and detail, and the manifest errors or differences.</summary>
/// <param name="Kind">What sort of refusal: the command line maps it to an exit code, HTTP to a status code.</param>
/// <param name="Title">A short title (<c>Wave finished</c>).</param>
/// <param name="Detail">The whole sentence: what is wrong and what to do.</param>
/// <param name="Errors">Manifest errors, or differences from the manifest a wave started with; empty otherwise.</param>
public sealed record Refusal(RefusalKind Kind, string Title, string Detail, IReadOnlyList<ManifestError> Errors)
{
    /// <summary>A refusal without errors.</summary>
    public Refusal(RefusalKind kind, string title, string detail)
        : this(kind, title, detail, [])
    {
    }

    /// <summary>Gets the problem type URI both hosts write, <c>urn:dmig:problem:wave-finished</c>.</summary>
    public string Type => "urn:dmig:problem:" + string.Join('-', Title.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The HTTP status code of <see cref="Kind"/>, as Durable Functions answers its management routes.</summary>
    public int StatusCode => Kind switch
    {
        RefusalKind.BadInput => 400,
        RefusalKind.NotFound => 404,
        RefusalKind.Gone => 410,
        _ => 409,
    };

    /// <summary>The refusal for an id that names no instance.</summary>
    public static Refusal NoSuchWave(string waveId) => new(RefusalKind.NotFound, "No such wave", $"No wave '{waveId}'.");
}

/// <summary>What sort of refusal an operation met.</summary>
public enum RefusalKind
{
    /// <summary>The request itself is wrong (a manifest with errors): HTTP 400, exit code 2.</summary>
    BadInput,

    /// <summary>The wave or database does not exist: HTTP 404, exit code 2.</summary>
    NotFound,

    /// <summary>The wave's state does not allow it now (already running, not awaiting approval, still running): HTTP 409, exit code 1.</summary>
    Conflict,

    /// <summary>The wave already finished, so the request can never apply: HTTP 410, exit code 1.</summary>
    Gone,
}

using System.Globalization;
using System.Text;

namespace DurableMigration.Manifest;

/// <summary>Thrown when a wave manifest breaks one or more rules; lists every problem found, not only the first.</summary>
/// <remarks>Non-retriable: reading the same manifest again finds the same problems.</remarks>
public sealed class ManifestValidationException : Exception, INonRetriableException
{
    /// <summary>Initializes the exception with the problems found (at least one).</summary>
    public ManifestValidationException(IReadOnlyList<ManifestError> errors)
        : base(Summarize(errors))
    {
        Errors = [.. errors];
    }

    /// <summary>Gets the problems found, in reading order, then those of the checks that span several databases.</summary>
    public IReadOnlyList<ManifestError> Errors { get; }

    private static string Summarize(IReadOnlyList<ManifestError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("A manifest validation failure needs at least one error.", nameof(errors));
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"The wave manifest has {errors.Count} {(errors.Count == 1 ? "error" : "errors")}:");
        foreach (var error in errors)
        {
            text.Append('\n').Append("  ").Append(error.ToString());
        }

        return text.ToString();
    }
}

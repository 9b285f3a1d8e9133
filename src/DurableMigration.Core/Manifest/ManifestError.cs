namespace DurableMigration.Manifest;

/// <summary>One problem found in a wave manifest.</summary>
/// <param name="Path">Where: a JSON-path-like location such as <c>databases[2].dependsOn[0]</c>, or <c>$</c> for the whole document.</param>
/// <param name="Message">What is wrong and, where possible, how to fix it. Never contains a credential.</param>
public sealed record ManifestError(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}

namespace DurableMigration.Providers.Connections;

/// <summary>Resolves manifest connections: <c>env:NAME</c> from an environment variable, <c>file:PATH</c> from a file's trimmed content, anything else as the literal itself.</summary>
/// <remarks>
/// Resolved values are secrets: this class never logs them, and its errors name the variable or the path, never
/// a value. A SQLite connection string is a literal (<c>Data Source=...</c>), so the prefixes do not clash with it.
/// </remarks>
public sealed class ConnectionResolver : IConnectionResolver
{
    /// <summary>The prefix of an environment-variable reference.</summary>
    public const string EnvironmentPrefix = "env:";

    /// <summary>The prefix of a file reference.</summary>
    public const string FilePrefix = "file:";

    private readonly string? _baseDirectory;

    /// <summary>Initializes the resolver.</summary>
    /// <param name="baseDirectory">The folder relative <c>file:</c> paths start from (the manifest's, say); the current directory when <c>null</c>.</param>
    public ConnectionResolver(string? baseDirectory = null) => _baseDirectory = baseDirectory;

    /// <inheritdoc/>
    /// <exception cref="ConnectionResolutionException">The variable is unset or empty, or the file is missing, unreadable or empty.</exception>
    public async Task<string> ResolveAsync(string connection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        if (connection.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
        {
            string name = connection[EnvironmentPrefix.Length..].Trim();
            if (name.Length == 0)
            {
                throw new ConnectionResolutionException(connection, "The connection reference 'env:' names no environment variable; write env:NAME.");
            }

            string? value = Environment.GetEnvironmentVariable(name);
            return string.IsNullOrWhiteSpace(value)
                ? throw new ConnectionResolutionException(connection, $"The environment variable '{name}' that connection reference '{connection}' names is not set or is empty.")
                : value.Trim();
        }

        if (connection.StartsWith(FilePrefix, StringComparison.Ordinal))
        {
            string path = connection[FilePrefix.Length..].Trim();
            if (path.Length == 0)
            {
                throw new ConnectionResolutionException(connection, "The connection reference 'file:' names no file; write file:PATH.");
            }

            string fullPath = _baseDirectory is null ? Path.GetFullPath(path) : Path.GetFullPath(path, _baseDirectory);
            string content;
            try
            {
                content = await File.ReadAllTextAsync(fullPath, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new ConnectionResolutionException(connection, $"The file '{path}' that connection reference '{connection}' names does not exist.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConnectionResolutionException(connection, $"The file '{path}' that connection reference '{connection}' names cannot be read ({ex.GetType().Name}).");
            }

            return string.IsNullOrWhiteSpace(content)
                ? throw new ConnectionResolutionException(connection, $"The file '{path}' that connection reference '{connection}' names is empty.")
                : content.Trim();
        }

        return connection;
    }
}

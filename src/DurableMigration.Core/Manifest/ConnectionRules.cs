using System.Text.RegularExpressions;

namespace DurableMigration.Manifest;

/// <summary>
/// The rules for a manifest connection: a reference (<c>env:NAME</c>, <c>file:PATH</c>) resolved only inside activities, or a
/// literal that carries no credential. Messages name the offending key, never a value.
/// </summary>
internal static partial class ConnectionRules
{
    public const string EnvironmentPrefix = "env:";

    public const string FilePrefix = "file:";

    private const string UseReference = "write env:NAME or file:PATH instead, so the secret is resolved inside activities and never enters the orchestration history";

    /// <summary>Normalized keys (lower case, without spaces, '_', '-' and '.') that name a credential wherever they appear.</summary>
    private static readonly HashSet<string> CredentialKeys = new(StringComparer.Ordinal)
    {
        "password", "pwd", "userpassword", "accountkey", "sharedaccesskey", "sharedaccesssignature", "sig",
        "token", "apikey", "secret", "key", "accesskey", "secretkey", "privatekey",
    };

    /// <summary>Normalized key endings that name a credential (<c>SSL Password</c>, <c>Client Secret</c>, <c>Access Token</c>).</summary>
    private static readonly string[] CredentialKeySuffixes = ["password", "secret", "token"];

    /// <summary>Checks <paramref name="connection"/>; returns why it is refused, or <c>null</c>.</summary>
    /// <param name="connection">The connection as written.</param>
    /// <param name="owner">Whose connection, for the message (<c>the source connection of 'users'</c>).</param>
    public static string? Check(string connection, string owner)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            return $"{owner} is empty; write env:NAME, file:PATH or a connection string without credentials";
        }

        if (connection.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
        {
            return EnvironmentName().IsMatch(connection[EnvironmentPrefix.Length..])
                ? null
                : $"{owner} is an env: reference without a valid variable name; the name after env: must be letters, digits or '_', not starting with a digit";
        }

        if (connection.StartsWith(FilePrefix, StringComparison.Ordinal))
        {
            return string.IsNullOrWhiteSpace(connection[FilePrefix.Length..])
                ? $"{owner} is a file: reference without a path; write file:PATH"
                : null;
        }

        if (UrlWithPassword().IsMatch(connection))
        {
            return $"{owner} carries a password in its URL (user:password@); {UseReference}";
        }

        var keys = CredentialKeysIn(connection);
        if (keys.Count > 0)
        {
            var named = string.Join(", ", keys.Select(k => $"'{k}'"));
            return keys.Count == 1
                ? $"{owner} contains the credential key {named}; {UseReference}"
                : $"{owner} contains the credential keys {named}; {UseReference}";
        }

        return null;
    }

    /// <summary>Finds the keys of <c>key=value</c> pairs (separated by ';', '&amp;', '?' or whitespace) that name a credential.</summary>
    private static List<string> CredentialKeysIn(string connection)
    {
        var found = new List<string>();
        foreach (Match match in KeyValuePair().Matches(connection))
        {
            var key = match.Groups["key"].Value.Trim();
            var normalized = Normalize(key);
            if ((CredentialKeys.Contains(normalized) || CredentialKeySuffixes.Any(s => normalized.EndsWith(s, StringComparison.Ordinal)))
                && !found.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                found.Add(key);
            }
        }

        return found;
    }

    private static string Normalize(string key) =>
        string.Concat(key.Where(c => !char.IsWhiteSpace(c) && c is not '_' and not '-' and not '.')).ToLowerInvariant();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentName();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#@\s]*:[^/?#@\s]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlWithPassword();

    [GeneratedRegex(@"(?:^|[;&?\s])\s*(?<key>[A-Za-z][A-Za-z0-9 _.\-]*?)\s*=", RegexOptions.CultureInvariant)]
    private static partial Regex KeyValuePair();
}

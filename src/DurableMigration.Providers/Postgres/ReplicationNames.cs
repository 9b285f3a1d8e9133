using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Npgsql;

namespace DurableMigration.Providers.Postgres;

/// <summary>The names of one migration's replication objects: publication and slot on the source, subscription on the target.</summary>
/// <remarks>
/// Derived from where the data comes from and goes to (host, port and database of each side; never credentials), so
/// every attempt of the same migration, and its compensation, finds the objects an earlier attempt made, and two
/// migrations of one source to different targets never share them. Names stay within PostgreSQL's 63 bytes and use
/// only lower-case letters, digits and underscores, so they need no quoting.
/// </remarks>
/// <param name="Publication">The publication on the source.</param>
/// <param name="Slot">The logical replication slot on the source; also the subscription's name on the target.</param>
internal sealed record ReplicationNames(string Publication, string Slot)
{
    /// <summary>The prefix of every object this provider creates for replication.</summary>
    public const string Prefix = "dmig_";

    /// <summary>Gets the subscription's name on the target (the slot's name, as PostgreSQL does by default).</summary>
    public string Subscription => Slot;

    /// <summary>Derives the names for a migration from <paramref name="source"/> to <paramref name="target"/> (connection strings; only host, port and database are used).</summary>
    public static ReplicationNames For(string source, string target)
    {
        var from = new NpgsqlConnectionStringBuilder(source);
        var to = new NpgsqlConnectionStringBuilder(target);
        string identity = string.Create(CultureInfo.InvariantCulture, $"{from.Host}:{from.Port}/{from.Database}>{to.Host}:{to.Port}/{to.Database}");
        string hash = Convert.ToHexStringLower(XxHash3.Hash(Encoding.UTF8.GetBytes(identity)));
        string stem = Sanitize(from.Database ?? "db");
        return new ReplicationNames($"{Prefix}pub_{stem}_{hash}", $"{Prefix}{stem}_{hash}");
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(24);
        foreach (char c in name.ToLowerInvariant())
        {
            if (builder.Length == 24)
            {
                break;
            }

            builder.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '_');
        }

        return builder.ToString();
    }
}

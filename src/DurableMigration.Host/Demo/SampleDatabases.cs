using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Host.Demo;

/// <summary>Creates the demo's source databases: a small social network split over three SQLite files.</summary>
/// <remarks>
/// <c>users.db</c> (users), <c>content.db</c> (posts, comments) and <c>engagement.db</c> (likes, follows), which refers to
/// the other two and so depends on both in the demo wave. Data is pseudo-random from a fixed seed, so every demo moves
/// the same rows.
/// </remarks>
internal static class SampleDatabases
{
    public const int Users = 5_000;
    public const int Posts = 20_000;
    public const int Comments = 40_000;
    public const int Likes = 50_000;
    public const int Follows = 15_000;

    private static readonly string[] Words =
    [
        "migration", "wave", "cloud", "cutover", "replica", "latency", "coffee", "weekend", "deploy", "rollback",
        "schema", "index", "checksum", "backup", "window", "approval", "sunrise", "keyboard", "garden", "release",
    ];

    /// <summary>Creates the three source files in <paramref name="directory"/> (replacing old ones) and returns their paths.</summary>
    public static async Task<(string Users, string Content, string Engagement)> CreateAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        string users = Path.Combine(directory, "users.db");
        string content = Path.Combine(directory, "content.db");
        string engagement = Path.Combine(directory, "engagement.db");
        var random = new Random(20261122);
        await CreateAsync(users, """
            CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, email TEXT, bio TEXT, created_at TEXT NOT NULL, followers INTEGER NOT NULL DEFAULT 0, avatar BLOB);
            CREATE INDEX ix_users_created_at ON users (created_at);
            CREATE VIEW popular_users AS SELECT id, handle, followers FROM users WHERE followers > 1000;
            """, async (connection, tx) =>
        {
            await InsertAsync(connection, tx, "INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", Users, i =>
            [
                i, $"user{i}", $"User {i}", i % 7 == 0 ? null : $"user{i}@example.org", Sentence(random, 8),
                Timestamp(random), random.Next(0, 5000), i % 10 == 0 ? RandomBytes(random, 32) : null,
            ], cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        await CreateAsync(content, """
            CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, comment_count INTEGER NOT NULL DEFAULT 0, score REAL);
            CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts (id), user_id INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE INDEX ix_posts_user ON posts (user_id);
            CREATE INDEX ix_comments_post ON comments (post_id);
            CREATE TRIGGER comments_count AFTER INSERT ON comments BEGIN UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id; END;
            """, async (connection, tx) =>
        {
            await InsertAsync(connection, tx, "INSERT INTO posts VALUES ($1, $2, $3, $4, 0, $5)", Posts, i =>
                [i, random.Next(1, Users + 1), Sentence(random, 20), Timestamp(random), Math.Round(random.NextDouble() * 100, 3)], cancellationToken).ConfigureAwait(false);
            await InsertAsync(connection, tx, "INSERT INTO comments VALUES ($1, $2, $3, $4, $5)", Comments, i =>
                [i, random.Next(1, Posts + 1), random.Next(1, Users + 1), Sentence(random, 12), Timestamp(random)], cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        await CreateAsync(engagement, """
            CREATE TABLE likes (user_id INTEGER NOT NULL, post_id INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (user_id, post_id)) WITHOUT ROWID;
            CREATE TABLE follows (follower_id INTEGER NOT NULL, followee_id INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (follower_id, followee_id));
            CREATE INDEX ix_likes_post ON likes (post_id);
            """, async (connection, tx) =>
        {
            // Pairs built so that no two rows share a key: user u gets posts (u*13 + k*2003) mod Posts for k = 0, 1, ...
            await InsertAsync(connection, tx, "INSERT INTO likes VALUES ($1, $2, $3)", Likes, i =>
                [1 + ((i - 1) % Users), 1 + ((((i - 1) % Users) * 13) + (((i - 1) / Users) * 2003)) % Posts, Timestamp(random)], cancellationToken).ConfigureAwait(false);
            await InsertAsync(connection, tx, "INSERT INTO follows VALUES ($1, $2, $3)", Follows, i =>
                [1 + ((i - 1) % Users), 1 + ((((i - 1) % Users) * 7) + (((i - 1) / Users) * 1667) + 1) % Users, Timestamp(random)], cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        return (users, content, engagement);
    }

    private static async Task CreateAsync(string path, string schema, Func<SqliteConnection, SqliteTransaction, Task> fill, CancellationToken cancellationToken)
    {
        foreach (string file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            File.Delete(file);
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = schema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await fill(connection, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task InsertAsync(SqliteConnection connection, SqliteTransaction tx, string sql, int count, Func<int, object?[]> row, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = sql;
        var first = row(1);
        var parameters = Enumerable.Range(1, first.Length).Select(n => insert.Parameters.Add("$" + n.ToString(CultureInfo.InvariantCulture), SqliteType.Text)).ToArray();
        for (int i = 1; i <= count; i++)
        {
            var values = i == 1 ? first : row(i);
            for (int p = 0; p < values.Length; p++)
            {
                parameters[p].SqliteType = values[p] switch
                {
                    int or long => SqliteType.Integer,
                    double => SqliteType.Real,
                    byte[] => SqliteType.Blob,
                    _ => SqliteType.Text,
                };
                parameters[p].Value = values[p] ?? DBNull.Value;
            }

            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

#pragma warning disable CA5394 // Demo data: a seeded pseudo-random generator is the point, not a security weakness.
    private static string Sentence(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, random.Next(words / 2, words + 1)).Select(_ => Words[random.Next(Words.Length)]));

    private static string Timestamp(Random random) =>
        new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(0, 60 * 60 * 24 * 700)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
#pragma warning restore CA5394
}

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Tests.Fixtures;

/// <summary>Builds a small social-media source database: users, posts, comments and likes with foreign keys, indexes, a view, a trigger, a table without a primary key, NULLs, REALs and BLOBs.</summary>
/// <remarks>Data is computed from row numbers, so every build holds the same rows.</remarks>
internal sealed class SocialMediaSource
{
    public const string Schema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, email TEXT, karma REAL, avatar BLOB, created_at TEXT NOT NULL);
        CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT NOT NULL, score REAL, comment_count INTEGER NOT NULL DEFAULT 0, attachment BLOB);
        CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts (id), user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);
        CREATE TABLE likes (user_id INTEGER NOT NULL REFERENCES users (id), post_id INTEGER NOT NULL REFERENCES posts (id), liked_at TEXT, PRIMARY KEY (user_id, post_id)) WITHOUT ROWID;
        CREATE TABLE activity_log (kind TEXT, detail TEXT, at REAL);
        CREATE INDEX ix_posts_user ON posts (user_id);
        CREATE INDEX ix_comments_post ON comments (post_id);
        CREATE INDEX ix_likes_post ON likes (post_id);
        CREATE VIEW post_stats AS SELECT p.id, p.user_id, count(c.id) AS comments FROM posts p LEFT JOIN comments c ON c.post_id = p.id GROUP BY p.id;
        CREATE TRIGGER comments_count AFTER INSERT ON comments BEGIN UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id; END;
        """;

    public static readonly string[] Tables = ["users", "posts", "comments", "likes", "activity_log"];

    private int _users = 40;
    private int _posts = 120;
    private int _comments = 300;
    private int _likes = 200;
    private int _logEntries = 60;
    private string _journalMode = "DELETE";
    private readonly List<string> _extraSql = [];

    public SocialMediaSource WithRows(int users, int posts, int comments, int likes, int logEntries)
    {
        (_users, _posts, _comments, _likes, _logEntries) = (users, posts, comments, likes, logEntries);
        return this;
    }

    public SocialMediaSource InWalMode()
    {
        _journalMode = "WAL";
        return this;
    }

    /// <summary>Runs <paramref name="sql"/> after the data is in.</summary>
    public SocialMediaSource With(string sql)
    {
        _extraSql.Add(sql);
        return this;
    }

    public string Build(string path)
    {
        using var connection = Db.Open(path);
        Run(connection, $"PRAGMA journal_mode = {_journalMode}; PRAGMA foreign_keys = ON; PRAGMA user_version = 7;");
        Run(connection, Schema);
        using (var tx = connection.BeginTransaction())
        {
            Insert(connection, tx, "INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6)", _users, i =>
            [
                i, $"user{i}", i % 5 == 0 ? null : $"user{i}@example.org", i % 3 == 0 ? null : i * 1.25, i % 4 == 0 ? Bytes(i, 16) : null,
                $"2025-01-{1 + (i % 28):00}T10:00:00Z",
            ]);
            Insert(connection, tx, "INSERT INTO posts (id, user_id, body, score, attachment) VALUES ($1, $2, $3, $4, $5)", _posts, i =>
                [i, 1 + (i % _users), $"post {i} about migrations", i % 7 == 0 ? null : i / 3.0, i % 10 == 0 ? Bytes(i, 64) : null]);
            Insert(connection, tx, "INSERT INTO comments VALUES ($1, $2, $3, $4)", _comments, i =>
                [i, 1 + (i * 7 % _posts), 1 + (i * 3 % _users), i % 6 == 0 ? null : $"comment {i}"]);
            Insert(connection, tx, "INSERT OR IGNORE INTO likes VALUES ($1, $2, $3)", _likes, i =>
                [1 + (i % _users), 1 + (i * 11 % _posts), i % 9 == 0 ? null : $"2025-02-{1 + (i % 28):00}"]);
            Insert(connection, tx, "INSERT INTO activity_log VALUES ($1, $2, $3)", _logEntries, i =>
                [i % 2 == 0 ? "login" : "post", i % 8 == 0 ? null : $"detail {i}", i * 0.5]);
            tx.Commit();
        }

        // Gaps: rowids of the log no longer run 1..n, and the AUTOINCREMENT counter of posts runs ahead of max(id).
        Run(connection, $"DELETE FROM activity_log WHERE rowid % 10 = 3; DELETE FROM comments WHERE post_id = {_posts}; DELETE FROM likes WHERE post_id = {_posts}; DELETE FROM posts WHERE id = {_posts}; ANALYZE;");
        foreach (string sql in _extraSql)
        {
            Run(connection, sql);
        }

        return path;
    }

    private static byte[] Bytes(int seed, int length) => Enumerable.Range(0, length).Select(b => (byte)((seed * 31) + (b * 7))).ToArray();

    private static void Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Insert(SqliteConnection connection, SqliteTransaction tx, string sql, int count, Func<int, object?[]> row)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (int i = 1; i <= count; i++)
        {
            command.Parameters.Clear();
            var values = row(i);
            for (int p = 0; p < values.Length; p++)
            {
                command.Parameters.AddWithValue("$" + (p + 1).ToString(CultureInfo.InvariantCulture), values[p] ?? DBNull.Value);
            }

            command.ExecuteNonQuery();
        }
    }
}

using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DurableMigration.Providers.Tests.Fixtures;

/// <summary>
/// An application writing to a <see cref="SocialMediaSource"/> on its own thread and connection while a test migrates
/// it: every few milliseconds one small transaction that inserts a user and a log entry (a table without a key),
/// updates a post and deletes a like (a WITHOUT ROWID table). It keeps what each acknowledged (committed) transaction
/// wrote, so a test can check that all of it reached the target. Bounded: it stops by itself after
/// <c>maxCommits</c> commits or <c>maxDuration</c>.
/// </summary>
internal sealed class BackgroundWriter : IDisposable
{
    private readonly string _path;
    private readonly int _pauseMs;
    private readonly int _maxCommits;
    private readonly TimeSpan _maxDuration;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly object _gate = new();
    private readonly List<int> _users = [];
    private readonly Dictionary<int, double> _scores = [];
    private readonly List<(int User, int Post)> _deletedLikes = [];
    private readonly List<string> _logDetails = [];
    private int _commits;

    public BackgroundWriter(string path, int pauseMs = 3, int maxCommits = 5_000, TimeSpan? maxDuration = null)
    {
        _path = path;
        _pauseMs = pauseMs;
        _maxCommits = maxCommits;
        _maxDuration = maxDuration ?? TimeSpan.FromSeconds(30);
        _thread = new Thread(Run) { IsBackground = true, Name = "background writer" };
    }

    /// <summary>Gets the transactions committed so far.</summary>
    public int Commits => Volatile.Read(ref _commits);

    /// <summary>Gets the transactions that failed (busy beyond the writer's timeout, or refused by the read-only triggers).</summary>
    public int Failures { get; private set; }

    /// <summary>Gets the last failure's message.</summary>
    public string? LastFailure { get; private set; }

    public BackgroundWriter Start()
    {
        _thread.Start();
        return this;
    }

    /// <summary>Waits until at least <paramref name="commits"/> more transactions have committed (bounded by 10 s).</summary>
    public void WaitForCommits(int commits)
    {
        int goal = Commits + commits;
        var clock = Stopwatch.StartNew();
        while (Commits < goal && _thread.IsAlive && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(2);
        }
    }

    public void Stop()
    {
        _stop.Cancel();
        _thread.Join();
    }

    /// <summary>Returns, for every acknowledged write, a description of what is missing from or wrong in <paramref name="targetPath"/>.</summary>
    public List<string> MissingIn(string targetPath)
    {
        var missing = new List<string>();
        using var target = Db.Open(targetPath);
        lock (_gate)
        {
            missing.AddRange(_users.Where(id => Long(target, $"SELECT count(*) FROM users WHERE id = {id} AND handle = 'writer{id}'") != 1).Select(id => $"user {id}"));
            missing.AddRange(_scores.Where(s => Long(target, $"SELECT count(*) FROM posts WHERE id = {s.Key} AND score = {s.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}") != 1).Select(s => $"score of post {s.Key}"));
            missing.AddRange(_deletedLikes.Where(l => Long(target, $"SELECT count(*) FROM likes WHERE user_id = {l.User} AND post_id = {l.Post}") != 0).Select(l => $"deletion of like {l}"));
            missing.AddRange(_logDetails.Where(d => Long(target, $"SELECT count(*) FROM activity_log WHERE detail = '{d}'") != 1).Select(d => $"log entry {d}"));
        }

        return missing;
    }

    public void Dispose()
    {
        if (_thread.IsAlive)
        {
            Stop();
        }

        _stop.Dispose();
    }

    private static long Long(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Run()
    {
        using var connection = Db.Open(_path);
        using (var setup = connection.CreateCommand())
        {
            // Like an application: wait for locks (SQLite's busy handler), foreign keys as the library sets them.
            setup.CommandText = "PRAGMA busy_timeout = 10000";
            setup.ExecuteNonQuery();
        }

        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= _maxCommits && !_stop.IsCancellationRequested && clock.Elapsed < _maxDuration; i++)
        {
            int user = 1_000_000 + i;
            int post = 1 + (i % 100);
            double score = i + 0.25;
            string detail = $"writer-{i}";
            var like = (User: 1 + (i % 40), Post: 1 + (i * 11 % 120));
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"""
                    BEGIN IMMEDIATE;
                    INSERT INTO users (id, handle, created_at) VALUES ({user}, 'writer{user}', 'now');
                    UPDATE posts SET score = {score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} WHERE id = {post};
                    DELETE FROM likes WHERE user_id = {like.User} AND post_id = {like.Post};
                    INSERT INTO activity_log VALUES ('writer', '{detail}', {i});
                    COMMIT;
                    """;
                command.ExecuteNonQuery();
                lock (_gate)
                {
                    _users.Add(user);
                    if (Long(connection, $"SELECT count(*) FROM posts WHERE id = {post}") == 1)
                    {
                        _scores[post] = score;
                    }

                    _deletedLikes.Add(like);
                    _logDetails.Add(detail);
                }

                Interlocked.Increment(ref _commits);
            }
            catch (SqliteException ex)
            {
                Failures++;
                LastFailure = ex.Message;
                if (!connection.Handle!.IsInvalid && SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
                {
                    using var rollback = connection.CreateCommand();
                    rollback.CommandText = "ROLLBACK";
                    rollback.ExecuteNonQuery();
                }
            }

            Thread.Sleep(_pauseMs);
        }
    }
}

using System.Text.Json;
using DurableMigration.Providers.SqlServer;

namespace DurableMigration.Providers.Tests.SqlServer;

/// <summary>
/// Replays recorded result sets instead of a server: one JSON file per statement name (<c>assessment.clr-assemblies.json</c>)
/// in one or more folders under <c>SqlServer/Recorded/</c>, the first folder holding that name winning, so a scenario
/// folder overrides a baseline. A statement without a recording fails the test, naming the file it looked for.
/// </summary>
/// <remarks>
/// A file holds the rows (<c>[ { "column": value, ... } ]</c>); or <c>{ "cases": [ { "when": { "table": "dbo.orders" }, "rows": [...] } ] }</c>,
/// where the first case whose <c>when</c> values equal the parameters (as text) wins and a case without <c>when</c>
/// matches any; or <c>{ "error": 18456, "message": "..." }</c>, raised as the live runner raises that SQL Server error;
/// or, for statements run for their effect, <c>{ "affected": 3 }</c>.
/// </remarks>
internal sealed class RecordedQueryRunner : ISqlServerQueryRunner
{
    private readonly string[] _folders;

    public RecordedQueryRunner(string database, params string[] folders)
    {
        Database = database;
        _folders = [.. folders.Select(f => Path.Combine(AppContext.BaseDirectory, "SqlServer", "Recorded", f))];
        foreach (string folder in _folders)
        {
            Assert.True(Directory.Exists(folder), $"Recording folder {folder} is missing.");
        }
    }

    public string Database { get; }

    /// <summary>The source of the provider scenarios: tables with row counts, a clean assessment, validation's source side, the cutover statements.</summary>
    public static RecordedQueryRunner ProviderSource(string database) =>
        new(database, "Provider/Source", "Validation/Source", "Assessment/Baseline", "Cutover/Statements");

    /// <summary>The target of the provider scenarios: the deployed, empty schema and a copy that matches the source, unless a folder of <paramref name="overrides"/> (first wins) says otherwise.</summary>
    public static RecordedQueryRunner ProviderTarget(string database, params string[] overrides) =>
        new(database, [.. overrides, "Provider/Target", "Validation/Target", "Cutover/Statements"]);

    /// <summary>Gets every statement run, in order, with its parameters.</summary>
    public List<(SqlServerQuery Query, IReadOnlyDictionary<string, object?>? Parameters)> Calls { get; } = [];

    public Task<IReadOnlyList<SqlServerRow>> QueryAsync(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (Calls)
        {
            Calls.Add((query, parameters));
        }

        var recording = Find(query, parameters);
        if (recording.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"The recording of {query.Name} holds no rows.");
        }

        IReadOnlyList<SqlServerRow> rows = [.. recording.EnumerateArray().Select(Row)];
        return Task.FromResult(rows);
    }

    public Task<int> ExecuteAsync(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (Calls)
        {
            Calls.Add((query, parameters));
        }

        var recording = Find(query, parameters);
        return Task.FromResult(recording.TryGetProperty("affected", out var affected) ? affected.GetInt32() : -1);
    }

    private JsonElement Find(SqlServerQuery query, IReadOnlyDictionary<string, object?>? parameters)
    {
        string? file = _folders.Select(f => Path.Combine(f, query.Name + ".json")).FirstOrDefault(File.Exists);
        if (file is null)
        {
            Assert.Fail($"No recorded result set for statement {query.Name}: add {query.Name}.json to one of {string.Join(", ", _folders)}.");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(file));
        var root = document.RootElement.Clone();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
        {
            throw SqlServerErrors.Translate(error.GetInt32(), root.TryGetProperty("message", out var m) ? m.GetString() : null, Database, query.Name);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("cases", out var cases))
        {
            foreach (var @case in cases.EnumerateArray())
            {
                if (!@case.TryGetProperty("when", out var when) || when.EnumerateObject().All(p => Matches(p, parameters)))
                {
                    return @case.TryGetProperty("rows", out var rows) ? rows : @case;
                }
            }

            Assert.Fail($"No case of the recording {file} matches the parameters {string.Join(", ", (parameters ?? new Dictionary<string, object?>()).Select(p => p.Key + "=" + p.Value))}.");
        }

        return root;
    }

    private static bool Matches(JsonProperty condition, IReadOnlyDictionary<string, object?>? parameters) =>
        parameters is not null
        && parameters.TryGetValue(condition.Name, out object? value)
        && string.Equals(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), condition.Value.ValueKind == JsonValueKind.String ? condition.Value.GetString() : condition.Value.GetRawText(), StringComparison.Ordinal);

    private static SqlServerRow Row(JsonElement row) =>
        new(row.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, Value(p.Value))));

    private static object? Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number when value.TryGetInt64(out long l) => l,
        JsonValueKind.Number => value.GetDecimal(),
        _ => throw new InvalidOperationException($"A recorded value must be null, a Boolean, a number or text, not {value.ValueKind}."),
    };
}

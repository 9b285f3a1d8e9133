namespace DurableMigration.Manifest;

/// <summary>The dependency graph of a wave's databases: <c>dependsOn</c> edges, names compared case-insensitively.</summary>
public static class DependencyGraph
{
    /// <summary>Finds one dependency cycle, or returns <c>null</c> when there is none.</summary>
    /// <param name="databases">The databases; dependencies naming no database in the list are ignored, and of two databases with the same name the first counts.</param>
    /// <returns>
    /// The cycle as names, each depending on the next, ending with the first again (<c>a, b, c, a</c> for a depends on b,
    /// b on c, c on a), starting with the member that comes first in <paramref name="databases"/>; a database that depends
    /// on itself gives <c>a, a</c>.
    /// </returns>
    public static IReadOnlyList<string>? FindCycle(IReadOnlyList<DatabaseSpec> databases)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var index = IndexByName(databases, throwOnDuplicate: false);
        var state = new int[databases.Count]; // 0 unvisited, 1 on the current path, 2 done
        var path = new List<int>();

        for (var start = 0; start < databases.Count; start++)
        {
            if (state[start] == 0 && Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        IReadOnlyList<string>? Visit(int node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var dependency in databases[node].DependsOn)
            {
                if (!index.TryGetValue(dependency, out var next))
                {
                    continue;
                }

                if (state[next] == 1)
                {
                    return Describe(path.GetRange(path.IndexOf(next), path.Count - path.IndexOf(next)));
                }

                if (state[next] == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        IReadOnlyList<string> Describe(List<int> members)
        {
            var first = members.IndexOf(members.Min());
            var names = new List<string>(members.Count + 1);
            for (var i = 0; i < members.Count; i++)
            {
                names.Add(databases[members[(first + i) % members.Count]].Name);
            }

            names.Add(names[0]);
            return names;
        }
    }

    /// <summary>Orders the databases so that each comes after everything it depends on.</summary>
    /// <remarks>
    /// Among the databases whose dependencies are all placed, the one with the higher <see cref="DatabaseSpec.Priority"/>
    /// comes first, then the one earlier in the list. Rollback uses this order reversed.
    /// </remarks>
    /// <param name="databases">The databases, names unique case-insensitively.</param>
    /// <returns>The databases' names, dependencies first.</returns>
    /// <exception cref="ArgumentException">Two databases share a name, or a dependency names no database in the list.</exception>
    /// <exception cref="InvalidOperationException">The dependencies form a cycle.</exception>
    public static IReadOnlyList<string> TopologicalOrder(IReadOnlyList<DatabaseSpec> databases)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var index = IndexByName(databases, throwOnDuplicate: true);
        var dependencies = new List<int>[databases.Count];
        for (var i = 0; i < databases.Count; i++)
        {
            dependencies[i] = [];
            foreach (var dependency in databases[i].DependsOn)
            {
                if (!index.TryGetValue(dependency, out var target))
                {
                    throw new ArgumentException($"Database '{databases[i].Name}' depends on '{dependency}', which is not in the list.", nameof(databases));
                }

                dependencies[i].Add(target);
            }
        }

        if (FindCycle(databases) is { } cycle)
        {
            throw new InvalidOperationException($"The databases' dependencies form a cycle: {string.Join(" -> ", cycle)}.");
        }

        var placed = new bool[databases.Count];
        var order = new List<string>(databases.Count);
        while (order.Count < databases.Count)
        {
            var next = -1;
            for (var i = 0; i < databases.Count; i++)
            {
                if (!placed[i]
                    && dependencies[i].TrueForAll(d => placed[d])
                    && (next < 0 || databases[i].Priority > databases[next].Priority))
                {
                    next = i;
                }
            }

            placed[next] = true;
            order.Add(databases[next].Name);
        }

        return order;
    }

    private static Dictionary<string, int> IndexByName(IReadOnlyList<DatabaseSpec> databases, bool throwOnDuplicate)
    {
        var index = new Dictionary<string, int>(databases.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < databases.Count; i++)
        {
            if (!index.TryAdd(databases[i].Name, i) && throwOnDuplicate)
            {
                throw new ArgumentException($"Two databases are named '{databases[i].Name}'.", nameof(databases));
            }
        }

        return index;
    }
}

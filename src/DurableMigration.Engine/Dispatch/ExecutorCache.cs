using DurableMigration.Engine.Execution;
using DurableMigration.Engine.Storage;

namespace DurableMigration.Engine.Dispatch;

/// <summary>Keeps running orchestrations in memory between turns (least recently used first out), so a turn need not replay.</summary>
/// <remarks>An entry holds the instance as its last commit left it; it is used only while the stored history still has
/// exactly that length, which the store checks again when the next turn commits.</remarks>
internal sealed class ExecutorCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();

    /// <summary>Removes and returns the executor for an instance if it is still current.</summary>
    public OrchestrationExecutor? TryTake(string instanceId, string executionId, long historyCount) =>
        Take(instanceId) is { } entry && entry.Instance.ExecutionId == executionId && entry.Instance.HistoryCount == historyCount ? entry.Executor : null;

    /// <summary>Removes and returns the executor for an execution with the instance as its last commit left it, whatever the store holds now.</summary>
    public (InstanceRecord Instance, OrchestrationExecutor Executor)? TryTakeLast(string instanceId, string executionId) =>
        Take(instanceId) is { } entry && entry.Instance.ExecutionId == executionId ? (entry.Instance, entry.Executor) : null;

    /// <summary>Forgets the instance's executor, if any (its turn failed, or it ended).</summary>
    public void Evict(string instanceId) => Take(instanceId);

    /// <summary>Keeps an executor whose state matches <paramref name="instance"/> (its execution and history length).</summary>
    public void Put(InstanceRecord instance, OrchestrationExecutor executor)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Remove(instance.InstanceId, out var old))
            {
                _recency.Remove(old);
            }

            _entries[instance.InstanceId] = _recency.AddFirst(new Entry(instance, executor));
            while (_entries.Count > capacity && _recency.Last is { } last)
            {
                _recency.RemoveLast();
                _entries.Remove(last.Value.Instance.InstanceId);
            }
        }
    }

    private Entry? Take(string instanceId)
    {
        lock (_lock)
        {
            if (!_entries.Remove(instanceId, out var node))
            {
                return null;
            }

            _recency.Remove(node);
            return node.Value;
        }
    }

    private sealed record Entry(InstanceRecord Instance, OrchestrationExecutor Executor);
}

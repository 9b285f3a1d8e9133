using DurableMigration.Engine.Execution;

namespace DurableMigration.Engine.Dispatch;

/// <summary>Keeps running orchestrations in memory between turns (least recently used first out), so a turn need not replay.</summary>
/// <remarks>An entry is used only if the stored history still has exactly the length it had when the entry was put back.</remarks>
internal sealed class ExecutorCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();

    /// <summary>Removes and returns the executor for an instance if it is still current.</summary>
    public OrchestrationExecutor? TryTake(string instanceId, string executionId, long historyCount)
    {
        lock (_lock)
        {
            if (!_entries.Remove(instanceId, out var node))
            {
                return null;
            }

            _recency.Remove(node);
            var entry = node.Value;
            return entry.ExecutionId == executionId && entry.HistoryCount == historyCount ? entry.Executor : null;
        }
    }

    /// <summary>Keeps an executor whose state matches a history of <paramref name="historyCount"/> events.</summary>
    public void Put(string instanceId, string executionId, long historyCount, OrchestrationExecutor executor)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Remove(instanceId, out var old))
            {
                _recency.Remove(old);
            }

            _entries[instanceId] = _recency.AddFirst(new Entry(instanceId, executionId, historyCount, executor));
            while (_entries.Count > capacity && _recency.Last is { } last)
            {
                _recency.RemoveLast();
                _entries.Remove(last.Value.InstanceId);
            }
        }
    }

    private sealed record Entry(string InstanceId, string ExecutionId, long HistoryCount, OrchestrationExecutor Executor);
}

using System.Collections.Concurrent;
using DurableMigration.Engine.Storage;

namespace DurableMigration.Engine.Dispatch;

/// <summary>
/// Activities a turn scheduled and, in the same transaction, leased to this process's activity workers: they go
/// straight to a local worker instead of being leased back from the table in a transaction of their own.
/// </summary>
/// <remarks>
/// <para>Items here are leased exactly as if <c>LockActivitiesAsync</c> had leased them (owner, expiry, delivery count
/// 1), so a crash, an expired lease or the release of a dead process's locks treats them the same way. At most
/// <c>capacity</c> items wait at a time; a turn schedules the rest unleased, for whichever worker leases them.</para>
/// <para>Thread-safe: turns deliver from the orchestration dispatcher, the activity dispatcher takes.</para>
/// </remarks>
internal sealed class ActivityHandoff(int capacity)
{
    private readonly ConcurrentQueue<ActivityWorkItem> _ready = new();
    private readonly Lock _lock = new();
    private int _reserved;
    private int _open;
    private int _tableMayHaveWork = 1;

    /// <summary>Gets a value indicating whether no item waits.</summary>
    public bool IsEmpty => _ready.IsEmpty;

    /// <summary>Starts accepting items: the activity dispatcher runs.</summary>
    public void Open() => Volatile.Write(ref _open, 1);

    /// <summary>Stops accepting items and returns those still waiting, for the caller to release.</summary>
    public List<ActivityWorkItem> Close()
    {
        var left = new List<ActivityWorkItem>();
        lock (_lock)
        {
            Volatile.Write(ref _open, 0);
            while (TryTake(out var item))
            {
                left.Add(item);
            }
        }

        return left;
    }

    /// <summary>Reserves room for up to <paramref name="wanted"/> activities of a turn about to commit; returns how many the turn may lease to this process.</summary>
    public int Reserve(int wanted)
    {
        while (wanted > 0 && Volatile.Read(ref _open) == 1)
        {
            int current = Volatile.Read(ref _reserved);
            int take = Math.Min(wanted, capacity - current);
            if (take <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _reserved, current + take, current) == current)
            {
                return take;
            }
        }

        return 0;
    }

    /// <summary>Gives back a reservation the turn did not use (it did not commit).</summary>
    public void Cancel(int reserved) => Interlocked.Add(ref _reserved, -reserved);

    /// <summary>Queues the items a committed turn leased to this process; false when no longer accepting (the caller releases them).</summary>
    public bool Deliver(IReadOnlyList<ActivityWorkItem> items, int reserved)
    {
        Cancel(reserved - items.Count);
        lock (_lock)
        {
            if (Volatile.Read(ref _open) == 0)
            {
                Cancel(items.Count);
                return false;
            }

            foreach (var item in items)
            {
                _ready.Enqueue(item);
            }
        }

        return true;
    }

    /// <summary>Takes the next waiting item.</summary>
    public bool TryTake(out ActivityWorkItem item)
    {
        if (_ready.TryDequeue(out item!))
        {
            Interlocked.Decrement(ref _reserved);
            return true;
        }

        return false;
    }

    /// <summary>Notes that the table may hold activities no worker leased (a turn scheduled more than it handed over).</summary>
    public void MarkTableMayHaveWork() => Volatile.Write(ref _tableMayHaveWork, 1);

    /// <summary>Whether the table may hold unleased activities since the last call; resets the note.</summary>
    public bool TakeTableMayHaveWork() => Interlocked.Exchange(ref _tableMayHaveWork, 0) == 1;
}

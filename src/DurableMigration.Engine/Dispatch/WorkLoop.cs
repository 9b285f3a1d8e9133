using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DurableMigration.Engine.Dispatch;

/// <summary>The fetch loop both dispatchers share: lease as many work items as there are free slots, run each, sleep when idle.</summary>
/// <remarks>A fetch that found less than it had room for took everything there was: the loop then sleeps until a pulse (new
/// work in this process) or the idle delay (the next timer, other processes), like an empty fetch.</remarks>
internal static class WorkLoop
{
    /// <summary>Runs the loop until <paramref name="stopping"/>; each item runs holding one of <paramref name="slots"/>, which others may also take (see <c>OrchestrationDispatcher.TryRunTurnForResultAsync</c>).</summary>
    public static async Task RunAsync<T>(
        string name,
        SemaphoreSlim slots,
        int maxConcurrency,
        WorkSignal signal,
        Func<int, CancellationToken, Task<IReadOnlyList<T>>> fetch,
        Func<T, CancellationToken, Task> process,
        Func<CancellationToken, Task<TimeSpan>> idleDelay,
        ILogger logger,
        CancellationToken stopping)
    {
        var inFlight = new ConcurrentDictionary<long, Task>();
        long nextId = 0;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await slots.WaitAsync(stopping).ConfigureAwait(false);
                int count = 1;
                while (count < maxConcurrency && slots.Wait(0))
                {
                    count++;
                }

                Task pulse = signal.Next;
                IReadOnlyList<T> items;
                try
                {
                    items = await fetch(count, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    slots.Release(count);
                    break;
                }
#pragma warning disable CA1031 // A store fault (disk full, file locked too long) must not end the worker: log it and poll again.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    slots.Release(count);
                    Logs.DispatcherFailed(logger, ex, name);
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
                    continue;
                }

                if (items.Count < count)
                {
                    slots.Release(count - items.Count);
                }

                if (items.Count == 0)
                {
                    TimeSpan delay = await idleDelay(stopping).ConfigureAwait(false);
                    await WorkSignal.WaitAsync(pulse, delay, stopping).ConfigureAwait(false);
                    continue;
                }

                foreach (var item in items)
                {
                    long id = nextId++;
                    Task run = RunOneAsync(id, item);
                    inFlight[id] = run;
                    if (run.IsCompleted)
                    {
                        inFlight.TryRemove(id, out _);
                    }
                }

                if (items.Count < count)
                {
                    // Everything there was is taken: wait for news (or the next timer) instead of asking again at once.
                    TimeSpan delay = await idleDelay(stopping).ConfigureAwait(false);
                    await WorkSignal.WaitAsync(pulse, delay, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        await Task.WhenAll(inFlight.Values).ConfigureAwait(false);

        async Task RunOneAsync(long id, T item)
        {
            await Task.Yield();
            try
            {
                await process(item, stopping).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
                inFlight.TryRemove(id, out _);
            }
        }
    }
}

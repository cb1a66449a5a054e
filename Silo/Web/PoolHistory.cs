using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SynergAI.Grains.Telemetry;
using SynergAI.Silo.Operating;

namespace SynergAI.Silo.Web;

/// <summary>One sample of the served pool for the web view's chart.</summary>
public sealed record PoolSample(DateTimeOffset At, int Queued, int Running, long Violations);

/// <summary>
/// The web view's short memory of the pool this silo serves: every <see cref="Interval"/> its queue length and running
/// count (through the same SDK call as <c>synergai status</c>) and whether each worker was busy, and the deadline
/// violations counted on this silo (listened to on the <c>synergai.deadline.violations</c> instrument, so the web view
/// and /metrics count the same thing). Ten minutes are kept.
/// </summary>
public sealed class PoolHistory(ControlPlaneView view, ILogger<PoolHistory> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    const int Kept = 120, UtilisationWindow = 12;
    readonly ConcurrentQueue<PoolSample> _samples = new();
    readonly ConcurrentDictionary<string, ConcurrentQueue<bool>> _busy = new(StringComparer.Ordinal);
    long _violations;

    public IReadOnlyList<PoolSample> Samples => [.. _samples];

    /// <summary>The share of the last minute's samples in which the worker was busy; null before any sample.</summary>
    public double? Utilisation(string worker) =>
        _busy.TryGetValue(worker, out var samples) && samples.ToArray() is { Length: > 0 } s ? s.Count(b => b) / (double)s.Length : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SynergAiMetrics.MeterName && instrument.Name == "synergai.deadline.violations") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _violations, value));
        listener.Start();

        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var pool = await view.Client.GetPoolAsync(view.DefaultPool, stoppingToken);
                var workers = await view.Client.ListWorkersAsync(view.DefaultPool, stoppingToken);
                Keep(_samples, new PoolSample(DateTimeOffset.UtcNow, pool.Queue.Count, pool.Running, Interlocked.Read(ref _violations)), Kept);
                foreach (var w in workers) Keep(_busy.GetOrAdd(w.Name, _ => new()), w.RunningJob is not null, UtilisationWindow);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogDebug(e, "web view: pool sample skipped");
            }
        }
    }

    static void Keep<T>(ConcurrentQueue<T> queue, T item, int max)
    {
        queue.Enqueue(item);
        while (queue.Count > max) queue.TryDequeue(out _);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SynergAI.Grains.Telemetry;

/// <summary>
/// The control plane's own instruments, on the meter <c>SynergAI</c> (names <c>synergai.*</c>; the Prometheus exporter
/// turns them into <c>synergai_*</c> with the unit and <c>_total</c> suffixes). The grains call one method each at the
/// point where a thing happens; nothing here decides anything. Gauges read the latest values the grains pushed (per
/// silo: a shard or worker reports where it lives, so a cluster's figure is the sum over its silos' scrapes).
/// The table in README "Operating" lists every instrument.
/// </summary>
public static class SynergAiMetrics
{
    public const string MeterName = "SynergAI";
    static readonly Meter Meter = new(MeterName, "1.0");

    static readonly Counter<long> Submitted = Meter.CreateCounter<long>("synergai.jobs.submitted", "{job}", "jobs accepted into a pool's queue");
    static readonly Counter<long> Rejected = Meter.CreateCounter<long>("synergai.jobs.rejected", "{job}", "submissions refused (no worker of the pool can run the engine, or a bad spec)");
    static readonly Counter<long> Completed = Meter.CreateCounter<long>("synergai.jobs.completed", "{job}", "jobs that ran to completion");
    static readonly Counter<long> Failed = Meter.CreateCounter<long>("synergai.jobs.failed", "{job}", "jobs that failed every attempt");
    static readonly Counter<long> Cancelled = Meter.CreateCounter<long>("synergai.jobs.cancelled", "{job}", "jobs cancelled by a client");
    static readonly Counter<long> Violations = Meter.CreateCounter<long>("synergai.deadline.violations", "{job}", "finished jobs that missed their QoS deadline (a failed job counts as one)");
    static readonly Counter<double> Excess = Meter.CreateCounter<double>("synergai.deadline.excess", "s", "model seconds by which completed jobs overran their deadline");
    static readonly Histogram<double> DispatchLatency = Meter.CreateHistogram<double>("synergai.dispatch.latency", "s", "real seconds from submission to the start of an attempt");
    static readonly Histogram<double> RoundDuration = Meter.CreateHistogram<double>("synergai.round.duration", "s", "one scheduling round of a pool's dispatcher");
    static readonly Counter<double> BusyTime = Meter.CreateCounter<double>("synergai.worker.busy_time", "s", "real seconds a worker spent on attempts; its rate is the worker's utilisation");
    static readonly Histogram<double> EstimateRatio = Meter.CreateHistogram<double>("synergai.estimate.ratio", "1", "measured ÷ estimated run time of a successful attempt");
    static readonly Counter<long> Requeued = Meter.CreateCounter<long>("synergai.attempts.requeued", "{attempt}", "failed attempts whose job went back to the queue");
    static readonly Counter<long> Unconfirmed = Meter.CreateCounter<long>("synergai.jobs.unconfirmed", "{job}", "submissions acknowledged before their shard answered (its silo could not be reached); the shard's rebuild or sweep queues them");
    static readonly Counter<long> StorageRetries = Meter.CreateCounter<long>("synergai.storage.retries", "{retry}", "retries of a storage call after a transient error");

    static readonly ConcurrentDictionary<(string Pool, int Shard), (int Length, DateTimeOffset? Oldest)> Queues = new();
    static readonly ConcurrentDictionary<string, (string Pool, bool Busy)> Workers = new(StringComparer.Ordinal);
    static readonly ConcurrentDictionary<string, (string Pool, double Factor)> Drifted = new(StringComparer.Ordinal);

    static SynergAiMetrics()
    {
        Meter.CreateObservableGauge("synergai.queue.length", () =>
            Queues.GroupBy(q => q.Key.Pool).Select(g => new Measurement<long>(g.Sum(q => q.Value.Length), Pool(g.Key))),
            "{job}", "jobs waiting in a pool's shards on this silo, as of the latest round");
        Meter.CreateObservableGauge("synergai.queue.oldest_wait", () =>
        {
            var now = DateTimeOffset.UtcNow;
            return Queues.GroupBy(q => q.Key.Pool).Select(g => new Measurement<double>(
                g.Select(q => q.Value.Oldest).Min() is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : 0, Pool(g.Key)));
        }, "s", "real seconds the longest-waiting job of a pool's shards on this silo has waited");
        Meter.CreateObservableGauge("synergai.worker.state", () =>
            Workers.Select(w => new Measurement<long>(1, new("worker", w.Key), new("pool", w.Value.Pool), new("state", w.Value.Busy ? "busy" : "free")))
                .Concat(Drifted.Select(w => new Measurement<long>(1, new("worker", w.Key), new("pool", w.Value.Pool), new("state", "flagged")))),
            "{worker}", "1 per worker grain active on this silo, tagged with its state (free or busy); plus 1 tagged flagged while it is flagged as drifted");
        Meter.CreateObservableGauge("synergai.worker.drift", () =>
            Drifted.Select(w => new Measurement<double>(w.Value.Factor, new("worker", w.Key), new("pool", w.Value.Pool))),
            null, "measured ÷ profiled run time (median of its latest runs) of each worker on this silo flagged as drifted");
    }

    static KeyValuePair<string, object?> Pool(string pool) => new("pool", pool);
    static TagList Job(string pool, string engine) => new() { { "pool", pool }, { "engine", engine } };

    public static void JobSubmitted(string pool, string engine) => Submitted.Add(1, Job(pool, engine));
    public static void JobRejected(string pool, string engine) => Rejected.Add(1, Job(pool, engine));
    public static void AttemptRequeued(string pool, string engine) => Requeued.Add(1, Job(pool, engine));
    public static void AttemptStarted(string pool, TimeSpan sinceSubmission) => DispatchLatency.Record(sinceSubmission.TotalSeconds, Pool(pool));
    public static void JobUnconfirmed(string pool) => Unconfirmed.Add(1, Pool(pool));
    public static void StorageRetried(string what) => StorageRetries.Add(1, new KeyValuePair<string, object?>("storage", what));

    /// <summary>A job reached its final state (called once, where the state is set).</summary>
    public static void JobFinished(JobStatus job)
    {
        var tags = Job(job.Pool, job.Spec.Engine);
        (job.State switch { JobState.Completed => Completed, JobState.Failed => Failed, _ => Cancelled }).Add(1, tags);
        if (job.Violated == true) Violations.Add(1, tags);
        if (job.ExcessSeconds is > 0 and var excess) Excess.Add(excess, tags);
    }

    /// <summary>A shard's queue after a round (or an empty one when it deactivates).</summary>
    public static void QueueObserved(string pool, int shard, int length, DateTimeOffset? oldest) => Queues[(pool, shard)] = (length, oldest);

    public static void WorkerIs(string worker, string? pool, bool busy) => Workers[worker] = (pool ?? "", busy);

    /// <summary>A worker's drift flag: its measured factor while flagged, null when not (or no longer) flagged.</summary>
    public static void WorkerDrift(string worker, string pool, double? factor)
    {
        if (factor is { } f) Drifted[worker] = (pool, f);
        else Drifted.TryRemove(worker, out _);
    }

    /// <summary>A worker lets go of <paramref name="running"/> (if any): its busy time is counted and it shows as free.</summary>
    public static void WorkerFreed(string worker, string? pool, Dispatch? running, DateTimeOffset at)
    {
        if (running is not null) BusyTime.Add(Math.Max(0, (at - running.DecidedAt).TotalSeconds), new("worker", worker), Pool(running.Pool));
        if (pool is not null) Workers[worker] = (pool, false);
    }

    /// <summary>How far the estimate was off for an attempt that succeeded (model seconds on both sides).</summary>
    public static void AttemptSucceeded(string worker, Dispatch attempt, DateTimeOffset endedAt)
    {
        var measured = (endedAt - attempt.DecidedAt).TotalSeconds / attempt.TimeScale;
        if (attempt.EstimateSeconds > 0) EstimateRatio.Record(measured / attempt.EstimateSeconds, new("worker", worker), new("engine", attempt.Engine));
    }

    /// <summary>Times one scheduling round: <c>using var _ = SynergAiMetrics.TimeRound(pool);</c></summary>
    public static RoundTimer TimeRound(string pool) => new(pool, Stopwatch.GetTimestamp());

    public readonly struct RoundTimer(string pool, long started) : IDisposable
    {
        public void Dispose() => RoundDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Pool(pool));
    }
}

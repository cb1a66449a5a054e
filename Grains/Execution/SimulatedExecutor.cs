using System.Collections.Concurrent;
using MathNet.Numerics.Distributions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SynergAI.Grains.Execution;

/// <summary>
/// Pretends to run each attempt: waits <c>(T_pre + q/QPS) × noise × drift × TimeScale</c> real seconds, heartbeating
/// meanwhile, then reports success with that run time in model seconds (the time the simulated machine measured, not
/// the host's scheduling delays). <c>T_pre + q/QPS</c> is the profile's own time of the configuration (not the pool's
/// estimate, which may be corrected by what the worker learned). The noise factor is LogNormal(0, Noise), fixed per
/// job id and seed, so reruns repeat; the drift factor is <see cref="SynergAiOptions.Drift"/>'s for runs of that worker
/// started from its time on (model seconds since this executor started, as <c>experiment --drift</c> counts from the
/// trace's start).
/// Runs live in the silo's process: when the silo stops they stop first, so that none succeeds unrecorded while the
/// worker grains are going away (their jobs run again elsewhere). A run also stops itself when its worker answers a
/// heartbeat with "not mine" or acknowledges none for <see cref="SynergAiOptions.RunLease"/> (see there): the worker
/// may have given its job to another run.
/// </summary>
public sealed class SimulatedExecutor : IJobExecutor
{
    readonly ConcurrentDictionary<(string Job, int Attempt), CancellationTokenSource> _running = new();
    readonly Func<string, IRunReports> workers;
    readonly IOptions<SynergAiOptions> options;
    readonly TimeProvider time;
    readonly ILogger<SimulatedExecutor> log;
    /// <summary>The drift settings, read at the first run (options are validated when the silo starts, not when its
    /// services are built).</summary>
    readonly Lazy<Dictionary<string, SynergAI.Scheduling.Simulation.WorkerDrift>> drifts;
    readonly DateTimeOffset started;

    public SimulatedExecutor(GrainReferences grains, IOptions<SynergAiOptions> options, TimeProvider time, ILogger<SimulatedExecutor> log,
        IHostApplicationLifetime? lifetime = null)
        : this(name => new WorkerGrainReports(grains.Of<IWorkerRuntimeGrain>(name)), options, time, log, lifetime) { }

    /// <summary>With workers from elsewhere (tests give stand-ins that answer heartbeats as scripted).</summary>
    internal SimulatedExecutor(Func<string, IRunReports> workers, IOptions<SynergAiOptions> options, TimeProvider time, ILogger<SimulatedExecutor> log,
        IHostApplicationLifetime? lifetime = null)
    {
        (this.workers, this.options, this.time, this.log) = (workers, options, time, log);
        started = time.GetUtcNow();
        drifts = new(() =>
        {
            var byWorker = options.Value.Drifts().ToDictionary(d => d.Worker, StringComparer.Ordinal);
            foreach (var d in byWorker.Values)
                log.LogInformation("simulated executor: runs of worker {Worker} take {Factor}× their profiled time from {From} model s on", d.Worker, d.Factor, d.FromSeconds);
            return byWorker;
        });
        lifetime?.ApplicationStopping.Register(StopAll);
    }

    void StopAll()
    {
        foreach (var (job, attempt) in _running.Keys) _ = CancelAsync(job, attempt);
    }

    public Task StartAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var modelSeconds = (dispatch.ProfileSeconds ?? dispatch.EstimateSeconds) * NoiseFactor(dispatch.Job) * DriftFactor(dispatch);
        var runFor = TimeSpan.FromSeconds(modelSeconds * dispatch.TimeScale);
        var stop = new CancellationTokenSource();
        if (!_running.TryAdd((dispatch.Job, dispatch.Attempt), stop)) return Task.CompletedTask; // already running: a retried start
        log.LogDebug("run started: {Job} attempt {Attempt} on {Worker} for {Seconds:0.###} s", dispatch.Job, dispatch.Attempt, dispatch.Worker, runFor.TotalSeconds);
        _ = Task.Run(() => RunAsync(dispatch, runFor, modelSeconds, stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task CancelAsync(string job, int attempt)
    {
        if (_running.TryRemove((job, attempt), out var stop))
        {
            stop.Cancel();
            log.LogDebug("run ended: {Job} attempt {Attempt} cancelled", job, attempt);
        }
        return Task.CompletedTask;
    }

    /// <summary>A simulated run lives in the silo process that started it: it survives only a grain's reactivation
    /// within the same process, never the process.</summary>
    public Task<bool> ResumeAsync(Dispatch dispatch, CancellationToken cancellationToken) =>
        Task.FromResult(_running.ContainsKey((dispatch.Job, dispatch.Attempt)));

    async Task RunAsync(Dispatch dispatch, TimeSpan runFor, double modelSeconds, CancellationToken stop)
    {
        var worker = workers(dispatch.Worker);
        var lease = new Lease(time.GetUtcNow()); // its start was acknowledged: the worker started it
        var end = time.GetUtcNow() + runFor;
        try
        {
            for (var left = runFor; left > TimeSpan.Zero; left = end - time.GetUtcNow())
            {
                await Task.Delay(left < options.Value.HeartbeatInterval ? left : options.Value.HeartbeatInterval, time, stop);
                var now = time.GetUtcNow();
                if (now - lease.AcknowledgedAt >= options.Value.RunLease)
                {
                    log.LogWarning("simulated attempt {Attempt} of {Job} on {Worker}: no heartbeat acknowledged for {Seconds:0.#} s; stopping it",
                        dispatch.Attempt, dispatch.Job, dispatch.Worker, (now - lease.AcknowledgedAt).TotalSeconds);
                    await CancelAsync(dispatch.Job, dispatch.Attempt); // no report: its worker declares it lost
                    return;
                }
                // Not awaited: a heartbeat stuck behind an unreachable grain must not hold up the lease's check.
                if (end > now) _ = HeartbeatAsync(worker, dispatch, lease, now);
            }
            if (!_running.TryRemove((dispatch.Job, dispatch.Attempt), out _)) return; // cancelled meanwhile
            log.LogDebug("run ended: {Job} attempt {Attempt} succeeded", dispatch.Job, dispatch.Attempt);
            await worker.Report(new ExecutionReport(dispatch.Job, dispatch.Attempt, Succeeded: true, Error: null, MeasuredSeconds: modelSeconds));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Cancelled: the worker asked for it and expects no report.
        }
        catch (Exception e)
        {
            // The worker's heartbeat check requeues the attempt if this report never arrives.
            log.LogWarning(e, "simulated attempt {Attempt} of {Job} on {Worker} could not report", dispatch.Attempt, dispatch.Job, dispatch.Worker);
        }
    }

    async Task HeartbeatAsync(IRunReports worker, Dispatch dispatch, Lease lease, DateTimeOffset sentAt)
    {
        try
        {
            if (await worker.Heartbeat(dispatch.Job, dispatch.Attempt))
            {
                lease.Acknowledge(sentAt);
                return;
            }
            if (!_running.ContainsKey((dispatch.Job, dispatch.Attempt))) return;
            log.LogWarning("worker {Worker} no longer holds attempt {Attempt} of {Job}: stopping its run", dispatch.Worker, dispatch.Attempt, dispatch.Job);
            await CancelAsync(dispatch.Job, dispatch.Attempt);
        }
        catch (Exception e)
        {
            log.LogDebug("heartbeat of {Job} attempt {Attempt} failed: {Error}", dispatch.Job, dispatch.Attempt, e.Message); // the lease decides
        }
    }

    /// <summary>When the latest heartbeat that the worker acknowledged was sent: acknowledgements may come back out of order.</summary>
    sealed class Lease(DateTimeOffset startedAt)
    {
        long _ticks = startedAt.UtcTicks;
        public DateTimeOffset AcknowledgedAt => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Acknowledge(DateTimeOffset sentAt)
        {
            for (var seen = Interlocked.Read(ref _ticks); sentAt.UtcTicks > seen;)
            {
                var was = Interlocked.CompareExchange(ref _ticks, sentAt.UtcTicks, seen);
                if (was == seen) return;
                seen = was;
            }
        }
    }

    /// <summary>The drift factor of a run of the dispatch's worker started now.</summary>
    double DriftFactor(Dispatch dispatch) =>
        drifts.Value.TryGetValue(dispatch.Worker, out var d) && dispatch.TimeScale > 0
            && (time.GetUtcNow() - started).TotalSeconds / dispatch.TimeScale >= d.FromSeconds ? d.Factor : 1;

    double NoiseFactor(string job)
    {
        var noise = options.Value.Noise;
        if (noise == 0) return 1;
        return LogNormal.Sample(new Random((int)StableHash.Of(job) ^ options.Value.NoiseSeed), 0, noise);
    }
}

using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Forecast;

/// <summary>
/// Predicts where and when a pool's waiting jobs will run by running the pool's own policy forward on a copy of its
/// book with the simulator's event loop (<see cref="Simulator.Advance"/>): no arrivals beyond the known jobs, every run
/// as long as its estimate, running jobs ending when expected (now, if overdue). Nothing in the pool changes.
/// </summary>
public static class PoolForecast
{
    /// <summary>Every queued job of <paramref name="pool"/>, in queue order, with its prediction as of
    /// <paramref name="now"/> (model seconds).</summary>
    public static IReadOnlyList<JobForecast> Predict(PoolBook pool, double now, double reevaluationIntervalSeconds = 1) =>
        Run(pool, now, null, reevaluationIntervalSeconds).Jobs;

    /// <summary>The forecast for <paramref name="candidate"/> if it arrived at <paramref name="now"/>, with the waiting
    /// jobs it would displace (no search for the tightest deadline: what admission control needs at every arrival).</summary>
    public static ArrivalForecast Predict(PoolBook pool, double now, QueuedJob candidate, double reevaluationIntervalSeconds = 1) =>
        Arrive(pool, now, candidate, reevaluationIntervalSeconds, Promised(pool, now, reevaluationIntervalSeconds).Promised).Arrival;

    /// <summary>How many deadlines a quote tries, tightest first, before it settles for a bisection's answer.</summary>
    const int MaxSlots = 64;

    /// <summary>What submitting <paramref name="candidate"/> (arriving at <paramref name="now"/>, with its estimates)
    /// would bring, and the tightest deadline at which it would keep every promise (<see cref="ArrivalForecast.KeepsPromises"/>).
    /// That is not monotone in the deadline (a tighter deadline makes the job more urgent under SynergAI, and an
    /// unreachable one sends it behind every feasible job), so the quote tries the deadlines the pool can offer,
    /// tightest first: a start at now or when a worker frees up in the forecast, plus the run time on a class. After
    /// <see cref="MaxSlots"/> of them it bisects between the last one tried and one that is kept (an upper bound, to 0.1 s).</summary>
    public static Quote Quote(PoolBook pool, double now, QueuedJob candidate, double reevaluationIntervalSeconds = 1)
    {
        var (without, promised) = Promised(pool, now, reevaluationIntervalSeconds);
        var (jobs, arrival) = Arrive(pool, now, candidate, reevaluationIntervalSeconds, promised);
        if (candidate.FastestFirst.Count == 0) return new Quote(arrival, null);

        bool Keeps(double qos) => Arrive(pool, now, With(candidate, qos), reevaluationIntervalSeconds, promised).Arrival.KeepsPromises == true;
        var forecast = arrival.Forecast;
        var starts = jobs.Concat(without).Where(j => j.FinishSeconds is not null).Select(j => j.FinishSeconds!.Value)
            .Concat(pool.Workers.Where(w => !w.IsFree).Select(w => Math.Max(now, w.ExpectedFreeAt)))
            .Append(now).Append(forecast.StartSeconds ?? now).Distinct().ToList();
        // A hair above each exact end: a deadline met with no slack at all may fail by rounding in the policy's arithmetic.
        var slots = starts.SelectMany(t => candidate.FastestFirst.Select(e => t - now + e.Seconds)).Select(q => q + 1e-9 * Math.Max(1, q))
            .Distinct().Order().ToList();
        var tried = 0;
        var low = 0.0;
        foreach (var qos in slots)
        {
            if (tried++ == MaxSlots) break;
            if (Keeps(qos)) return new Quote(arrival, qos);
            low = qos;
        }
        var high = arrival.KeepsPromises == true ? candidate.Job.QosSeconds : Math.Max(forecast.EndToEndSeconds ?? low, low) * 2;
        for (var doublings = 0; !Keeps(high); doublings++)
        {
            if (doublings == 20) return new Quote(arrival, null); // would wait behind jobs that never end, or displace some at any deadline: no promise
            high *= 2;
        }
        while (high - low > 0.1)
        {
            var mid = (low + high) / 2;
            if (Keeps(mid)) high = mid; else low = mid;
        }
        return new Quote(arrival, high);
    }

    /// <summary>The forecast without a newcomer, and the queue positions of the waiting jobs it says meet their
    /// deadlines, flagged best-effort ones aside: the promises an arrival must keep.</summary>
    static (IReadOnlyList<JobForecast> Jobs, HashSet<int> Promised) Promised(PoolBook pool, double now, double interval)
    {
        var jobs = Run(pool, now, null, interval).Jobs;
        return (jobs, [.. Enumerable.Range(0, jobs.Count).Where(i => jobs[i].MeetsDeadline == true && !pool.Queue[i].BestEffort)]);
    }

    static (IReadOnlyList<JobForecast> Jobs, ArrivalForecast Arrival) Arrive(PoolBook pool, double now, QueuedJob candidate, double interval, HashSet<int> promised)
    {
        var (jobs, forecast) = Run(pool, now, candidate, interval);
        return (jobs, new ArrivalForecast(forecast!, [.. promised.Order().Where(i => jobs[i].MeetsDeadline != true).Select(i => jobs[i])]));
    }

    static QueuedJob With(QueuedJob candidate, double qos) =>
        new(candidate.Job with { QosSeconds = qos }, [.. candidate.FastestFirst], [.. candidate.Defaults]);

    static (IReadOnlyList<JobForecast> Jobs, JobForecast? Candidate) Run(PoolBook pool, double now, QueuedJob? candidate, double interval)
    {
        var policy = pool.Policy.Copy();
        // The forecast reads placements only (each job's reason is the pool's own, from its latest round): SynergAI's
        // rounds need not evaluate the jobs they do not reach.
        if (policy is SynergAiPolicy synergAi) synergAi.RecordsEveryJob = false;
        var book = pool.Copy(policy);
        var queued = book.Queue.ToList();
        var running = book.Workers.Where(w => !w.IsFree).Select(w => (w.Index, Math.Max(now, w.ExpectedFreeAt))).ToList();
        Job[] arrivals = candidate is null ? [] : [candidate.Job with { ArrivalSeconds = now }];
        var placeable = candidate is not null && candidate.FastestFirst.Count > 0; // a policy never sees a job it cannot place
        var outcomes = Simulator.Advance(book, placeable ? arrivals : [], job => new QueuedJob(job, [.. candidate!.FastestFirst], [.. candidate.Defaults]),
            running, start: now, interval, (placement, _) => placement.EstimateSeconds)
            .ToDictionary(o => o.Job.Id, StringComparer.Ordinal);

        var jobs = new JobForecast[queued.Count];
        for (var i = 0; i < queued.Count; i++) jobs[i] = Of(queued[i], i, outcomes, pool.Queue[i]);
        var quoted = candidate is null ? null
            : outcomes.TryGetValue(candidate.Job.Id, out var o) ? Predicted(o, queued.Count, WaitCode.None, WaitReasons.Words(WaitCode.None))
            : new JobForecast(arrivals[0], queued.Count, null, null, null, null, WaitCode.NoWorkerForEngine, WaitReasons.Words(WaitCode.NoWorkerForEngine));
        return (jobs, quoted);
    }

    /// <summary>A queued job's prediction, with the reason the pool's latest round gave for its waiting.</summary>
    static JobForecast Of(QueuedJob copy, int position, Dictionary<string, JobOutcome> outcomes, QueuedJob original) =>
        outcomes.TryGetValue(copy.Job.Id, out var o)
            ? Predicted(o, position, original.WaitCode, original.WaitReason)
            : new JobForecast(copy.Job, position, null, null, null, null, original.WaitCode, original.WaitReason);

    static JobForecast Predicted(JobOutcome o, int position, WaitCode code, string words) =>
        new(o.Job, position, o.Worker, o.Config, o.StartedSeconds, o.CompletedSeconds, code, words);
}

using SynergAI.Scheduling;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Grains.Coordination;

/// <summary>
/// The pool's forecast from the dispatcher's current view: a scratch copy of the pool (its workers as the view has them,
/// the shards' waiting jobs in arrival order, estimated by the workers as a shard would), run forward by the scheduling
/// core's <see cref="PoolForecast"/> with a copy of the dispatcher's policy (a round-robin pointer, learnt prices).
/// Nothing of the pool is touched. A policy that binds jobs on arrival (SRR, SLO-MAEL) binds the waiting jobs again in
/// the copy, which may differ from their real binding in their shard.
/// </summary>
public static class PoolForecaster
{
    const string QuoteId = "\u0001quote";

    public static async Task<JobQuote> QuoteAsync(string pool, PoolView view, ISchedulingPolicy policy, IReadOnlyList<ShardQueue> queues, JobSpec spec,
        DateTimeOffset now, Func<string, EstimateRequest, Task<WorkerEstimates>> estimate)
    {
        if (spec.Problem() is { } problem) throw new ArgumentException(problem);
        var candidate = new PoolQueue.Entry(QuoteId, spec, now, 0);
        var (book, waiting) = await CopyAsync(view, policy, queues, candidate, estimate);

        if (Candidate(book, candidate, view.Now) is not { } placeable)
            return new JobQuote(pool, spec, null, null, null, null, null, null, now, view.Settings.TimeScale, waiting.Count,
                WaitReasons.Name(WaitCode.NoWorkerForEngine), WaitReasons.Words(WaitCode.NoWorkerForEngine), []);
        var quote = PoolForecast.Quote(book.Book, view.Now, placeable, Interval(view));
        var f = quote.Forecast;
        return new JobQuote(pool, spec, f.Worker, f.Config, f.StartSeconds - view.Now, f.FinishSeconds - view.Now, f.MeetsDeadline,
            quote.TightestQosSeconds, now, view.Settings.TimeScale, waiting.Count, WaitReasons.Name(f.WaitCode), f.WaitReason,
            [.. quote.Arrival.Displaced.Select(d => d.Job.Id)]);
    }

    /// <summary>Admission control of <paramref name="job"/> under <paramref name="mode"/>: whether it is admitted
    /// flagged best-effort; <see cref="AdmissionRefusedException"/> when refused, with the quote's tightest deadline,
    /// which only a refusal searches for (a quote costs about twice the check).</summary>
    public static async Task<bool> AdmitAsync(string job, PoolView view, ISchedulingPolicy policy, IReadOnlyList<ShardQueue> queues, JobSpec spec,
        AdmissionMode mode, DateTimeOffset now, Func<string, EstimateRequest, Task<WorkerEstimates>> estimate)
    {
        if (spec.Problem() is { } problem) throw new ArgumentException(problem);
        var candidate = new PoolQueue.Entry(QuoteId, spec, now, 0);
        var (book, _) = await CopyAsync(view, policy, queues, candidate, estimate);
        var placeable = Candidate(book, candidate, view.Now);
        var keeps = placeable is null ? null : PoolForecast.Predict(book.Book, view.Now, placeable, Interval(view)).KeepsPromises;
        if (Admission.Admits(mode, keeps)) return Admission.FlagsBestEffort(mode, keeps);
        var quote = placeable is null ? null : PoolForecast.Quote(book.Book, view.Now, placeable, Interval(view));
        var refusal = quote is null
            ? Admission.Refusal(null, spec.QosSeconds, WaitReasons.Words(WaitCode.NoWorkerForEngine), [], null)
            : Admission.Refusal(quote.Arrival, quote.TightestQosSeconds);
        throw new AdmissionRefusedException(job, refusal);
    }

    /// <summary>The pool's re-evaluation interval in model seconds.</summary>
    static double Interval(PoolView view) => view.Settings.ReevaluationInterval.TotalSeconds / view.Settings.TimeScale;

    /// <summary>The candidate as the forecast takes it, out of the copy's queue; null when no worker can run it.</summary>
    static QueuedJob? Candidate(PoolQueue book, PoolQueue.Entry candidate, double now)
    {
        if (candidate.Scheduled is not { } scheduled || scheduled.FastestFirst.Count == 0) return null;
        book.Remove(QuoteId);
        return new QueuedJob(scheduled.Job with { Id = QuoteId, ArrivalSeconds = now }, [.. scheduled.FastestFirst], [.. scheduled.Defaults]);
    }

    /// <summary>Every waiting job's forecast, in arrival order, with the reason its shard's latest round gave.</summary>
    public static async Task<QueueForecast> ForecastAsync(string pool, PoolView view, ISchedulingPolicy policy, IReadOnlyList<ShardQueue> queues,
        DateTimeOffset now, Func<string, EstimateRequest, Task<WorkerEstimates>> estimate)
    {
        var (book, waiting) = await CopyAsync(view, policy, queues, null, estimate);
        var predicted = PoolForecast.Predict(book.Book, view.Now, Interval(view))
            .ToDictionary(f => f.Job.Id, StringComparer.Ordinal);
        // Every waiting job, in arrival order; one the copy could not place (no worker runs its engine) has no times.
        return new QueueForecast(pool, now, view.Settings.TimeScale, [.. waiting.Select((w, position) =>
        {
            var f = predicted.GetValueOrDefault(w.Job.Job);
            return new WaitingJobForecast(w.Job.Job, position + 1, f?.Worker, f?.Config, f?.StartSeconds - view.Now, f?.FinishSeconds - view.Now,
                f?.MeetsDeadline, w.Job.WaitCode, w.Job.WaitReason);
        })]);
    }

    static List<(QueuedJobView Job, DateTimeOffset SubmittedAt)> Waiting(IReadOnlyList<ShardQueue> queues) =>
        [.. queues.SelectMany(q => q.Jobs.Zip(q.SubmittedAt)).OrderBy(j => j.Second).ThenBy(j => j.First.Job, StringComparer.Ordinal)];

    /// <summary>A scratch copy of the pool: its workers as the view has them and the shards' waiting jobs in arrival
    /// order (plus <paramref name="candidate"/>), estimated by the workers as a shard would. Returns the copy and the
    /// waiting jobs in arrival order.</summary>
    static async Task<(PoolQueue Book, List<(QueuedJobView Job, DateTimeOffset SubmittedAt)> Waiting)> CopyAsync(PoolView view, ISchedulingPolicy policy,
        IReadOnlyList<ShardQueue> queues, PoolQueue.Entry? candidate, Func<string, EstimateRequest, Task<WorkerEstimates>> estimate)
    {
        var book = new PoolQueue(policy);
        book.Apply([.. view.Workers.Select(w => new WorkerSnapshot(w.Name, w.Engines, w.Strength, w.ProfileKey, w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt))]);
        var waiting = Waiting(queues);
        foreach (var (job, submittedAt) in waiting)
            if (job.Queries > 0 && job.QosSeconds > 0) // views from a shard that predates these fields carry neither
                book.Enqueue(new PoolQueue.Entry(job.Job, new JobSpec(job.Engine, job.Queries, job.QosSeconds), submittedAt, job.Attempts) { BestEffort = job.BestEffort });
        if (candidate is not null) book.Enqueue(candidate);

        double ToModel(DateTimeOffset at) => (at - view.Epoch).TotalSeconds / view.Settings.TimeScale;
        for (var round = 0; round < 3 && book.PendingEstimates() is { } pending; round++)
        {
            var answers = pending.Request is { } request ? await Task.WhenAll(pending.Ask.Select(w => estimate(w, request))) : [];
            book.ApplyEstimates(pending.Jobs, pending.Kinds, answers, view.Now, ToModel);
        }
        return (book, waiting);
    }
}

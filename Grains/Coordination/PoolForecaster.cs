using SynergAI.Scheduling;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Grains.Coordination;

/// <summary>
/// The pool's forecast from the dispatcher's current view: a scratch copy of the pool (its workers as the view has them,
/// the shards' waiting jobs in arrival order, estimated by the workers as a shard would), run forward by the scheduling
/// core's <see cref="PoolForecast"/>. Nothing of the pool is touched. A policy that binds jobs on arrival (SRR,
/// SLO-MAEL) binds the waiting jobs again in the copy, which may differ from their real binding.
/// </summary>
public static class PoolForecaster
{
    const string QuoteId = "\u0001quote";

    public static async Task<JobQuote> QuoteAsync(string pool, PoolView view, IReadOnlyList<ShardQueue> queues, JobSpec spec,
        DateTimeOffset now, Func<string, EstimateRequest, Task<WorkerEstimates>> estimate)
    {
        if (spec.Problem() is { } problem) throw new ArgumentException(problem);
        var book = new PoolQueue(PolicyCatalog.Create(view.Settings.Policy));
        book.Apply([.. view.Workers.Select(w => new WorkerSnapshot(w.Name, w.Engines, w.Strength, w.ProfileKey, w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt))]);
        var waiting = queues.SelectMany(q => q.Jobs.Zip(q.SubmittedAt)).OrderBy(j => j.Second).ThenBy(j => j.First.Job, StringComparer.Ordinal).ToList();
        foreach (var (job, submittedAt) in waiting)
            if (job.Queries > 0 && job.QosSeconds > 0) // views from a shard that predates these fields carry neither
                book.Enqueue(new PoolQueue.Entry(job.Job, new JobSpec(job.Engine, job.Queries, job.QosSeconds), submittedAt, job.Attempts));
        var candidate = new PoolQueue.Entry(QuoteId, spec, now, 0);
        book.Enqueue(candidate);

        double ToModel(DateTimeOffset at) => (at - view.Epoch).TotalSeconds / view.Settings.TimeScale;
        for (var round = 0; round < 3 && book.PendingEstimates() is { } pending; round++)
        {
            var answers = pending.Request is { } request ? await Task.WhenAll(pending.Ask.Select(w => estimate(w, request))) : [];
            book.ApplyEstimates(pending.Jobs, pending.Kinds, answers, view.Now, ToModel);
        }

        if (candidate.Scheduled is not { } scheduled || scheduled.FastestFirst.Count == 0)
            return new JobQuote(pool, spec, null, null, null, null, null, null, now, view.Settings.TimeScale, waiting.Count,
                WaitReasons.Name(WaitCode.NoWorkerForEngine), WaitReasons.Words(WaitCode.NoWorkerForEngine));
        book.Remove(QuoteId);
        var quote = PoolForecast.Quote(book.Book, view.Now,
            new QueuedJob(scheduled.Job with { Id = QuoteId, ArrivalSeconds = view.Now }, [.. scheduled.FastestFirst], [.. scheduled.Defaults]),
            view.Settings.ReevaluationInterval.TotalSeconds / view.Settings.TimeScale);
        var f = quote.Forecast;
        return new JobQuote(pool, spec, f.Worker, f.Config, f.StartSeconds - view.Now, f.FinishSeconds - view.Now, f.MeetsDeadline,
            quote.TightestQosSeconds, now, view.Settings.TimeScale, waiting.Count, WaitReasons.Name(f.WaitCode), f.WaitReason);
    }
}

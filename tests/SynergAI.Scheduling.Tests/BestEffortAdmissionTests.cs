using System.Globalization;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>
/// <c>best-effort</c> admission: a job whose forecast misses its deadline is admitted flagged, and the book gives
/// flagged jobs only the workers a round leaves after every unflagged job (one rule, <see cref="PoolBook.Plan"/>, for the
/// simulator, the forecast and the live pool's shards).
/// The testbed is <see cref="TestTestbeds.FastAndSlow"/>.
/// </summary>
public class BestEffortAdmissionTests
{
    static readonly ConfigurationDictionary Two = FastAndSlow;

    static PoolBook Idle()
    {
        var book = new PoolBook(new SynergAiPolicy());
        for (var w = 0; w < Two.Workers.Count; w++) book.SetWorker(Two.Workers[w], Two.ClassOf(w).ToString(CultureInfo.InvariantCulture), Two.DefaultStrength(w));
        return book;
    }

    static QueuedJob Flagged(Job job)
    {
        var queued = QueuedJob.Create(job, Two);
        queued.BestEffort = true;
        return queued;
    }

    [Fact]
    public void A_flagged_job_gets_only_the_workers_left_after_the_unflagged_ones()
    {
        // At 0 both workers are free. b (QoS 20, flagged): only fast meets it, urgency 20 − 5 = 15. a (QoS 60): fast and
        // slow meet it, urgency 55. Unflagged, b would go first and take fast, a slow (0–51). Flagged, a plans alone
        // first: fast 0–5; then b sees only slow, which misses its deadline: held for the faster worker. At 5 fast frees:
        // b on fast 5–10, still within its 20 s.
        var book = Idle();
        book.Arrive(Flagged(J("b", 0, "e", 100, 20)), 0);
        book.Arrive(QueuedJob.Create(J("a", 0, "e", 100, 60), Two), 0);
        Assert.Equal(1, book.BestEffortCount);

        var first = Assert.Single(book.Plan(0));
        Assert.Equal(("a", 0, "turbo"), (first.Job.Job.Id, first.Worker, first.Config));
        var b = Assert.Single(book.Queue);
        Assert.Equal(WaitCode.HeldForFasterWorker, b.WaitCode);

        book.Finish(0, 5);
        var second = Assert.Single(book.Plan(5));
        Assert.Equal(("b", 0), (second.Job.Job.Id, second.Worker));
        Assert.Equal(0, book.BestEffortCount);

        // Without the flag: b first on fast, a on slow.
        var plain = Idle();
        plain.Arrive(QueuedJob.Create(J("b", 0, "e", 100, 20), Two), 0);
        plain.Arrive(QueuedJob.Create(J("a", 0, "e", 100, 60), Two), 0);
        Assert.Equal([("b", 0), ("a", 1)], plain.Plan(0).Select(p => (p.Job.Job.Id, p.Worker)).OrderBy(p => p.Worker));
    }

    [Fact]
    public void A_flagged_late_job_no_longer_goes_before_an_unflagged_late_one()
    {
        // Both late at 0 (fast takes 5 s): b flagged (QoS 1, urgency −4), a unflagged (QoS 3, urgency −2). Unflagged,
        // b is the more urgent and takes the fastest free worker; flagged, a takes fast (0–5) and b gets slow (0–51).
        var book = Idle();
        book.Arrive(Flagged(J("b", 0, "e", 100, 1)), 0);
        book.Arrive(QueuedJob.Create(J("a", 0, "e", 100, 3), Two), 0);
        Assert.Equal([("a", 0), ("b", 1)], book.Plan(0).Select(p => (p.Job.Job.Id, p.Worker)).OrderBy(p => p.Worker));
    }

    [Fact]
    public void The_book_keeps_count_of_its_flagged_jobs_through_undo_copy_and_removal()
    {
        var book = Idle();
        book.Arrive(Flagged(J("b", 0, "e", 100, 1)), 0);
        var placed = Assert.Single(book.Plan(0)); // alone: the flagged job takes the fastest free worker
        Assert.Equal(("b", 0, 0), (placed.Job.Job.Id, placed.Worker, book.BestEffortCount));
        book.Undo(placed.Worker);
        Assert.Equal(1, book.BestEffortCount);
        Assert.Equal(1, book.Copy(new SynergAiPolicy()).BestEffortCount);
        Assert.True(book.Remove(book.Queue[0]));
        Assert.Equal(0, book.BestEffortCount);
    }

    [Fact]
    public void The_forecast_plans_flagged_jobs_by_the_same_rule()
    {
        var book = Idle();
        book.Arrive(Flagged(J("b", 0, "e", 100, 20)), 0);
        book.Arrive(QueuedJob.Create(J("a", 0, "e", 100, 60), Two), 0);
        var forecast = PoolForecast.Predict(book, 0).ToDictionary(f => f.Job.Id);
        Assert.Equal(("fast", 0.0, 5.0), (forecast["a"].Worker, forecast["a"].StartSeconds!.Value, forecast["a"].FinishSeconds!.Value));
        Assert.Equal(("fast", 5.0, 10.0, true), (forecast["b"].Worker, forecast["b"].StartSeconds!.Value, forecast["b"].FinishSeconds!.Value, forecast["b"].MeetsDeadline!.Value));
        Assert.Equal(1, book.BestEffortCount); // the forecast ran on a copy
        Assert.Equal(2, book.QueuedCount);
    }

    [Fact]
    public void Only_best_effort_flags_and_only_a_forecast_miss()
    {
        var miss = new JobForecast(J("x", 0, "e", 100, 4), 0, "fast", "turbo", 3, 8, WaitCode.None, "");
        var meet = miss with { Job = J("x", 0, "e", 100, 10) };
        Assert.True(Admission.FlagsBestEffort(AdmissionMode.BestEffort, miss.MeetsDeadline));
        Assert.False(Admission.FlagsBestEffort(AdmissionMode.BestEffort, meet.MeetsDeadline));
        Assert.False(Admission.FlagsBestEffort(AdmissionMode.Accept, miss.MeetsDeadline));
        Assert.False(Admission.FlagsBestEffort(AdmissionMode.Reject, miss.MeetsDeadline));
        Assert.True(Admission.Admits(AdmissionMode.BestEffort, miss.MeetsDeadline));
    }

    [Fact]
    public void Offline_best_effort_admits_every_job_and_flags_the_one_forecast_to_miss()
    {
        // The hand-run trace of AdmissionTests: j5 (QoS 4) arrives at 2 with fast busy until 5 and slow until 52: flagged.
        // It is late anyway, so the schedule is accept's: j1 fast 0–5, j2 slow 1–52, j3 fast 5–10, j4 fast 10–20,
        // j5 fast 20–25 (a miss, flagged); no unflagged job misses.
        Job[] trace = [J("j1", 0, "e", 100, 20), J("j2", 1, "e", 100, 60), J("j3", 2, "e", 100, 10), J("j5", 2, "e", 100, 4), J("j4", 3, "e", 200, 100)];
        var run = Simulator.Run(Two, trace, new SynergAiPolicy(), new SimulationOptions(Admission: AdmissionMode.BestEffort)).ToDictionary(o => o.Job.Id);
        Assert.Equal(5, run.Count);
        Assert.Equal(["j5"], run.Values.Where(o => o.BestEffort).Select(o => o.Job.Id));
        Assert.Equal(("fast", 20.0, 25.0, true), (run["j5"].Worker, run["j5"].StartedSeconds, run["j5"].CompletedSeconds, run["j5"].Violated));
        Assert.Equal(("slow", 1.0, 52.0), (run["j2"].Worker, run["j2"].StartedSeconds, run["j2"].CompletedSeconds));
        Assert.Equal((5.0, 10.0), (run["j3"].StartedSeconds, run["j3"].CompletedSeconds));
        Assert.Equal((10.0, 20.0), (run["j4"].StartedSeconds, run["j4"].CompletedSeconds));
        var metrics = RunMetrics.From([.. run.Values]);
        Assert.Equal((1, 1, 0), (metrics.Flagged, metrics.Violations, metrics.ViolationsUnflagged));
    }
}

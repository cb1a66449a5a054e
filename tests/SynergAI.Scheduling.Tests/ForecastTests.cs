using System.Globalization;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

public class ForecastTests
{
    static readonly ConfigurationDictionary Two = FastAndSlow;

    /// <summary>The pool at t = 3 of the simulator's hand-run trace (SimulatorTests.SynergAiHandRunTrace): j1 runs on
    /// fast until 5, j2 on slow until 52, j3 (arrived 2, QoS 10) and j4 (arrived 3, q 200, QoS 100) wait; one round
    /// has run at 3.</summary>
    static PoolBook AtThree(ISchedulingPolicy? policy = null)
    {
        var book = new PoolBook(policy ?? new SynergAiPolicy());
        for (var w = 0; w < Two.Workers.Count; w++) book.SetWorker(Two.Workers[w], Two.ClassOf(w).ToString(CultureInfo.InvariantCulture), Two.DefaultStrength(w));
        book.MarkBusy(0, "j1", 0, 5);
        book.MarkBusy(1, "j2", 1, 51);
        book.Arrive(QueuedJob.Create(J("j3", 2, "e", 100, 10), Two), 2);
        book.Arrive(QueuedJob.Create(J("j4", 3, "e", 200, 100), Two), 3);
        Assert.Empty(book.Plan(3));
        return book;
    }

    [Fact]
    public void Forecast_of_the_hand_run_trace_at_t3_is_what_the_simulator_did()
    {
        // t=5 fast frees: j3 (urgency 10 − 3 − 5 = 2) before j4 (98 − 10 = 88) → j3 fast turbo 5–10, j4 fast 10–20.
        var forecast = PoolForecast.Predict(AtThree(), 3);
        Assert.Equal(["j3", "j4"], forecast.Select(f => f.Job.Id));
        Assert.Equal(("fast", "turbo", 5.0, 10.0, true), (forecast[0].Worker, forecast[0].Config, forecast[0].StartSeconds!.Value, forecast[0].FinishSeconds!.Value, forecast[0].MeetsDeadline!.Value));
        Assert.Equal(("fast", "turbo", 10.0, 20.0, true), (forecast[1].Worker, forecast[1].Config, forecast[1].StartSeconds!.Value, forecast[1].FinishSeconds!.Value, forecast[1].MeetsDeadline!.Value));
        Assert.All(forecast, f => Assert.Equal(WaitCode.AllWorkersBusy, f.WaitCode));

        // The same as the simulator on the whole trace.
        var simulated = Simulator.Run(Two, [J("j1", 0, "e", 100, 20), J("j2", 1, "e", 100, 60), J("j3", 2, "e", 100, 10), J("j4", 3, "e", 200, 100)],
            new SynergAiPolicy()).ToDictionary(o => o.Job.Id);
        foreach (var f in forecast)
            Assert.Equal((simulated[f.Job.Id].Worker, simulated[f.Job.Id].StartedSeconds, simulated[f.Job.Id].CompletedSeconds), (f.Worker, f.StartSeconds!.Value, f.FinishSeconds!.Value));
    }

    [Fact]
    public void A_job_held_for_the_faster_worker_is_forecast_on_it_and_a_lost_one_on_the_free_slow_one()
    {
        // At 3 fast is busy until 5, slow is free. j3 (QoS 10, arrived 2) cannot meet it on slow (51 s): held for fast,
        // fast 5–10. j5 (QoS 2): no worker meets it → the fastest free one, slow, at once: 3–54, a miss.
        var book = new PoolBook(new SynergAiPolicy());
        for (var w = 0; w < 2; w++) book.SetWorker(Two.Workers[w], w.ToString(CultureInfo.InvariantCulture), Two.DefaultStrength(w));
        book.MarkBusy(0, "j1", 0, 5);
        book.Arrive(QueuedJob.Create(J("j3", 2, "e", 100, 10), Two), 2);
        Assert.Empty(book.Plan(2));
        Assert.Equal(WaitCode.HeldForFasterWorker, book.Queue[0].WaitCode);
        book.Enqueue(QueuedJob.Create(J("j5", 3, "e", 100, 2), Two));

        var forecast = PoolForecast.Predict(book, 3).ToDictionary(f => f.Job.Id);
        Assert.Equal(("fast", 5.0, 10.0, true), (forecast["j3"].Worker, forecast["j3"].StartSeconds!.Value, forecast["j3"].FinishSeconds!.Value, forecast["j3"].MeetsDeadline!.Value));
        Assert.Equal(("slow", 3.0, 54.0, false), (forecast["j5"].Worker, forecast["j5"].StartSeconds!.Value, forecast["j5"].FinishSeconds!.Value, forecast["j5"].MeetsDeadline!.Value));
        Assert.Equal(WaitCode.HeldForFasterWorker, forecast["j3"].WaitCode);
    }

    [Theory]
    [InlineData("synergai")]
    [InlineData("rr")]
    [InlineData("lru")]
    [InlineData("be")]
    [InlineData("slo-mael")]
    public void A_burst_forecast_from_an_idle_pool_equals_the_simulation(string policy)
    {
        // Every job of a generated trace arrives at 0: the forecast of the queued burst must be the simulator's run.
        var testbed = ReferenceTestbed.Load();
        var dictionary = new ConfigurationDictionary(testbed);
        var trace = TraceGenerator.Generate(Experiment.DlFh, testbed, 3).Select(j => j with { ArrivalSeconds = 0 }).ToList();
        var simulated = Simulator.Run(dictionary, trace, PolicyCatalog.Create(policy)).ToDictionary(o => o.Job.Id);

        var book = new PoolBook(PolicyCatalog.Create(policy));
        for (var w = 0; w < dictionary.Workers.Count; w++) book.SetWorker(dictionary.Workers[w], dictionary.ClassOf(w).ToString(CultureInfo.InvariantCulture), dictionary.DefaultStrength(w));
        foreach (var job in trace) book.Arrive(QueuedJob.Create(job, dictionary), 0);
        var forecast = PoolForecast.Predict(book, 0);

        Assert.Equal(trace.Count, forecast.Count);
        foreach (var f in forecast)
        {
            var o = simulated[f.Job.Id];
            Assert.Equal((o.Worker, o.Config, o.StartedSeconds, o.CompletedSeconds, !o.Violated), (f.Worker, f.Config, f.StartSeconds!.Value, f.FinishSeconds!.Value, f.MeetsDeadline!.Value));
        }
        Assert.Contains(forecast, f => f.StartSeconds > 0); // not a trivial case: some jobs wait
    }

    [Fact]
    public void A_forecast_changes_nothing_in_the_pool()
    {
        var book = AtThree();
        var before = Describe(book);
        PoolForecast.Predict(book, 3);
        PoolForecast.Quote(book, 3, QueuedJob.Create(J("q", 3, "e", 100, 60), Two));
        Assert.Equal(before, Describe(book));
    }

    static string Describe(PoolBook book) =>
        string.Join(";", book.Workers.Select(w => $"{w.Worker.Name}:{w.RunningJob}:{w.ExpectedFreeAt}:{w.LastFreeAt}"))
        + "|" + string.Join(";", book.Queue.Select(q => $"{q.Job.Id}:{q.WaitCode}:{q.Urgency}:{q.HasWaited}"));

    [Fact]
    public void A_quote_gives_the_forecast_and_the_tightest_deadline_by_hand()
    {
        // Candidate q = 100 at t = 3 with QoS 60: at 5 j3 (urgency 2) takes fast; at 10 the candidate (60 − 7 − 5 = 48)
        // goes before j4 (100 − 7 − 10 = 83): fast 10–15, met. Tightest: with QoS Q its urgency at 5 is Q − 7, ahead of
        // j3's 2 when Q < 9, and it would meet Q ≥ 7 on fast 5–10 — but j3 would then finish at 15, past its deadline
        // of 12. After j3 it runs fast 10–15, 12 s after its arrival: 12 is the tightest deadline that keeps j3's.
        var quote = PoolForecast.Quote(AtThree(), 3, QueuedJob.Create(J("q", 3, "e", 100, 60), Two));
        Assert.Equal(("fast", "turbo", 10.0, 15.0, true), (quote.Forecast.Worker, quote.Forecast.Config, quote.Forecast.StartSeconds!.Value, quote.Forecast.FinishSeconds!.Value, quote.Forecast.MeetsDeadline!.Value));
        Assert.InRange(quote.TightestQosSeconds!.Value, 12, 12.1);
    }

    [Fact]
    public void A_quote_for_an_engine_no_worker_runs_has_no_prediction()
    {
        var quote = PoolForecast.Quote(AtThree(), 3, new QueuedJob(J("q", 3, "other", 100, 60), [], new Estimate?[2]));
        Assert.Null(quote.Forecast.Worker);
        Assert.Null(quote.TightestQosSeconds);
        Assert.Equal(WaitCode.NoWorkerForEngine, quote.Forecast.WaitCode);
    }

    [Fact]
    public void Wait_codes_have_distinct_names_and_words_and_parse_back()
    {
        Assert.Equal(WaitReasons.All.Count, WaitReasons.All.Select(WaitReasons.Words).Distinct().Count());
        foreach (var code in WaitReasons.All) Assert.Equal(code, WaitReasons.Parse(WaitReasons.Name(code).ToLowerInvariant()));
        Assert.Contains("known:", Assert.Throws<ArgumentException>(() => WaitReasons.Parse("3")).Message);
    }
}

public class AdmissionTests
{
    static readonly ConfigurationDictionary Two = new(new Testbed(
        [W("fast", "d"), W("slow", "d")],
        [P("fast", "e", "d", 10), P("fast", "e", "turbo", 20), P("slow", "e", "d", 2, 1)]));

    static readonly Job[] Trace =
    [
        J("j1", 0, "e", 100, 20),
        J("j2", 1, "e", 100, 60),
        J("j3", 2, "e", 100, 10),
        J("j5", 2, "e", 100, 4), // at 2 fast is busy until 5 and slow until 52: it cannot finish within 4 s
        J("j4", 3, "e", 200, 100),
    ];

    [Fact]
    public void Under_reject_a_job_forecast_to_miss_never_enters_and_the_others_run_as_without_it()
    {
        var accepted = Simulator.Run(Two, Trace, new SynergAiPolicy());
        Assert.True(accepted.Single(o => o.Job.Id == "j5").Violated); // accepted, it misses

        var rejecting = Simulator.Run(Two, Trace, new SynergAiPolicy(), new SimulationOptions(Admission: AdmissionMode.Reject)).ToDictionary(o => o.Job.Id);
        Assert.Equal(["j1", "j2", "j3", "j4"], rejecting.Keys.Order());
        var without = Simulator.Run(Two, Trace.Where(j => j.Id != "j5").ToList(), new SynergAiPolicy()).ToDictionary(o => o.Job.Id);
        foreach (var (id, o) in without)
            Assert.Equal((o.Worker, o.StartedSeconds, o.CompletedSeconds), (rejecting[id].Worker, rejecting[id].StartedSeconds, rejecting[id].CompletedSeconds));
        Assert.DoesNotContain(rejecting.Values, o => o.Violated);
    }

    public static TheoryData<string> Policies => [.. PolicyCatalog.Names];

    [Theory]
    [MemberData(nameof(Policies))]
    public void Under_reject_at_noise_0_no_admitted_job_misses_on_generated_fleets(string policy)
    {
        // The promise holds for every policy, stateful ones too (a round-robin pointer, learnt prices: the forecast runs
        // a copy of the pool's policy), on fleets and traces unlike the thesis's, Poisson and bursty.
        var admitted = 0;
        for (var seed = 1; seed <= 6; seed++)
        {
            var (fleet, trace) = GeneratedWorkload.Make(ReferenceTestbed.Load(), FleetShape.Varied, Experiment.DhFh, seed,
                seed % 2 == 0 ? ArrivalProcess.Bursty : ArrivalProcess.Poisson);
            var run = Simulator.Run(new ConfigurationDictionary(fleet), trace, PolicyCatalog.Create(policy), new SimulationOptions(Admission: AdmissionMode.Reject));
            Assert.DoesNotContain(run, o => o.Violated);
            admitted += run.Count;
        }
        Assert.InRange(admitted, 6, 6 * 40 - 1); // some jobs were admitted, and not every one (else nothing was tested)
    }

    [Fact]
    public void Admission_modes_parse_and_a_refusal_gives_the_tightest_deadline()
    {
        Assert.Equal(AdmissionMode.BestEffort, Admission.Parse("Best-Effort"));
        Assert.Contains("accept, reject, best-effort", Assert.Throws<ArgumentException>(() => Admission.Parse("maybe")).Message);
        var arrival = new ArrivalForecast(new JobForecast(J("q", 0, "e", 100, 4), 0, "fast", "turbo", 3, 8, WaitCode.None, ""), []);
        Assert.False(Admission.Admits(AdmissionMode.Reject, arrival.KeepsPromises));
        Assert.True(Admission.Admits(AdmissionMode.Accept, arrival.KeepsPromises));
        Assert.Equal("refused by admission control: the forecast finishes it 8.0 s after submission, past its 4 s deadline; the tightest deadline that would be met now is 8.1 s",
            Admission.Refusal(arrival, 8.01));
    }

    /// <summary>A at 0 (QoS 12) runs on fast 0–5; B at 1 (QoS 10) waits for fast, 5–10, met; the slow worker (51 s)
    /// suits neither. C at 2 with QoS 8.5 would meet its own deadline — at 5 its slack 10.5 − 5 − 5 = 0.5 is below B's
    /// 11 − 5 − 5 = 1, so C takes fast 5–10 — but B would then run 10–15, 4 s late.</summary>
    static readonly Job[] Displacing = [J("A", 0, "e", 100, 12), J("B", 1, "e", 100, 10), J("C", 2, "e", 100, 8.5)];

    [Fact]
    public void An_arrival_that_would_make_an_earlier_job_miss_is_refused_though_it_meets_its_own_deadline()
    {
        var accepted = Simulator.Run(Two, Displacing, new SynergAiPolicy()).ToDictionary(o => o.Job.Id);
        Assert.Equal((false, true), (accepted["C"].Violated, accepted["B"].Violated)); // the promise to B is broken

        var book = new PoolBook(new SynergAiPolicy());
        for (var w = 0; w < Two.Workers.Count; w++) book.SetWorker(Two.Workers[w], Two.ClassOf(w).ToString(CultureInfo.InvariantCulture), Two.DefaultStrength(w));
        book.Arrive(QueuedJob.Create(Displacing[0], Two), 0);
        Assert.Single(book.Plan(0));
        book.Arrive(QueuedJob.Create(Displacing[1], Two), 1);
        Assert.Empty(book.Plan(1));
        var arrival = PoolForecast.Predict(book, 2, QueuedJob.Create(Displacing[2], Two));
        Assert.Equal((true, false), (arrival.Forecast.MeetsDeadline, arrival.KeepsPromises));
        var displaced = Assert.Single(arrival.Displaced);
        Assert.Equal(("B", false), (displaced.Job.Id, displaced.MeetsDeadline!.Value)); // past its deadline, so it goes late to slow
        Assert.Equal("refused by admission control: it would make 1 waiting job(s) admitted earlier miss their deadlines (B); the tightest deadline that would be met now is 13.0 s",
            Admission.Refusal(arrival, 13));
        // With QoS 9 or more C goes after B, fast 10–15: 13 s after its arrival is the tightest deadline that keeps both.
        Assert.InRange(PoolForecast.Quote(book, 2, QueuedJob.Create(Displacing[2], Two)).TightestQosSeconds!.Value, 13, 13.1);

        var rejecting = Simulator.Run(Two, Displacing, new SynergAiPolicy(), new SimulationOptions(Admission: AdmissionMode.Reject)).ToDictionary(o => o.Job.Id);
        Assert.Equal(["A", "B"], rejecting.Keys.Order());
        Assert.DoesNotContain(rejecting.Values, o => o.Violated);
        var flagging = Simulator.Run(Two, Displacing, new SynergAiPolicy(), new SimulationOptions(Admission: AdmissionMode.BestEffort)).ToDictionary(o => o.Job.Id);
        Assert.Equal((true, false, true), (flagging["C"].BestEffort, flagging["B"].Violated, flagging["C"].Violated)); // flagged, C goes after B: 10–15
    }
}

public class ProfileCorrectionsTests
{
    [Fact]
    public void Bad_reports_change_nothing_and_the_median_ignores_an_outlier()
    {
        var c = new ProfileCorrections();
        foreach (var (profile, measured) in new[] { (10.0, double.NaN), (10, -5), (10, 0), (0, 10), (double.PositiveInfinity, 10), (10, double.PositiveInfinity) })
            Assert.False(c.Record("agx", "e", "c", profile, measured));
        Assert.Equal(1, c.Factor("agx", "e", "c"));
        Assert.Equal(0, c.Runs("agx", "e", "c"));

        foreach (var measured in new[] { 15.0, 15.5, 14.5, 100 }) c.Record("agx", "e", "c", 10, measured); // one run slowed by something else
        Assert.Equal(1.525, c.Factor("agx", "e", "c"), 9); // median of 1.45, 1.5, 1.55, 10
        Assert.Equal(1, c.Factor("x86", "e", "c"));
    }

    [Fact]
    public void A_drifted_key_is_flagged_after_three_runs_and_other_engines_borrow_its_factor()
    {
        var c = new ProfileCorrections();
        c.Record("agx", "a", "c", 10, 15);
        c.Record("agx", "b", "c", 20, 30);
        Assert.False(c.IsDrifted("agx")); // two runs: not yet persistent
        c.Record("agx", "a", "c", 10, 15.2);
        Assert.True(c.IsDrifted("agx"));
        Assert.Equal(1.5, c.Factor("agx", "never-run", "c"), 9); // key-wide median until an engine has 3 runs of its own
        Assert.Equal(("agx", 1.5), Assert.Single(c.Drifted()));

        var steady = new ProfileCorrections();
        foreach (var m in new[] { 10.5, 9.6, 10.2, 9.9 }) steady.Record("x86", "a", "c", 10, m);
        Assert.False(steady.IsDrifted("x86"));
    }

    [Fact]
    public void With_one_worker_drifted_learning_cuts_the_extra_violations()
    {
        // Offline, over 10 seeds of DH-FH: the drift adds violations; learning must remove a real share of them.
        var testbed = ReferenceTestbed.Load();
        var dictionary = new ConfigurationDictionary(testbed);
        int Violations(SimulationOptions o) => Enumerable.Range(1, 10).Sum(seed =>
            Simulator.Run(dictionary, TraceGenerator.Generate(Experiment.DhFh, testbed, seed), new SynergAiPolicy(), o).Count(x => x.Violated));
        var drift = new[] { WorkerDrift.Parse("agx=1.5") };
        var clean = Violations(new SimulationOptions());
        var drifted = Violations(new SimulationOptions(Drift: drift));
        var learned = Violations(new SimulationOptions(Drift: drift, Learn: true));
        Assert.True(drifted > clean + 5, $"drift adds too few violations to measure: {clean} → {drifted}");
        Assert.True(learned < drifted, $"learning: {learned}, without: {drifted}");
        Assert.Equal(clean, Violations(new SimulationOptions(Learn: true))); // with nothing to learn, learning changes nothing
    }

    [Fact]
    public void Drift_parses_worker_factor_and_time_and_refuses_nonsense()
    {
        Assert.Equal(new WorkerDrift("agx", 1.5, 600), WorkerDrift.Parse("agx=1.5@600"));
        Assert.Equal(new WorkerDrift("nx", 2, 0), WorkerDrift.Parse("nx=2"));
        foreach (var bad in new[] { "agx", "=1.5", "agx=0", "agx=-1", "agx=x", "agx=1.5@-3", "agx=1.5@soon" })
            Assert.Throws<ArgumentException>(() => WorkerDrift.Parse(bad));
    }
}

using SynergAI.Grains.Coordination;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Grains.Tests;

/// <summary>
/// The pool's rounds as the shards and the dispatcher run them (each shard plans on its own queue with a replica of the
/// workers, the dispatcher plans again over the offers, the rest goes back), replayed on the simulator's virtual clock
/// without Orleans, against the simulator itself: with one shard every policy decides exactly as the simulator does, and
/// SynergAI does with several shards too.
/// </summary>
public class ShardedRoundsTests
{
    static readonly Testbed Reference = ReferenceTestbed.Load();

    public static TheoryData<string, int, int> Cases()
    {
        var cases = new TheoryData<string, int, int>();
        foreach (var policy in PolicyCatalog.Names)
            foreach (var seed in new[] { 1, 7 })
                cases.Add(policy, seed, 1);
        foreach (var seed in new[] { 1, 2, 3, 7, 11 })
            foreach (var shards in new[] { 2, 4, 7 })
                cases.Add("synergai", seed, shards);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sharded_rounds_make_the_simulators_decisions(string policy, int seed, int shards)
    {
        var dictionary = new ConfigurationDictionary(Reference);
        foreach (var experiment in Experiment.All)
        {
            var trace = TraceGenerator.Generate(experiment, Reference, seed);
            var offline = Simulator.Run(dictionary, trace, PolicyCatalog.Create(policy)).ToDictionary(o => o.Job.Id);
            var live = Replay(dictionary, trace, policy, shards);
            Assert.Equal(offline.Count, live.Count);
            foreach (var (job, (worker, config, started, _)) in live)
            {
                var o = offline[job];
                Assert.True((o.Worker, o.Config) == (worker, config) && Math.Abs(o.StartedSeconds - started) < 1e-6,
                    $"{experiment.Name} seed {seed}, {shards} shard(s): {job} offline {o.Worker}/{o.Config} at {o.StartedSeconds}, sharded {worker}/{config} at {started}");
            }
        }
    }

    [Fact]
    public void The_replay_sees_a_difference_when_the_dispatcher_ignores_the_policys_order()
    {
        // The check above could pass by accident if every job had one obvious worker; a pool whose dispatcher took the
        // shards' offers in shard order instead of re-planning must disagree with the simulator somewhere.
        var dictionary = new ConfigurationDictionary(Reference);
        var disagreements = 0;
        foreach (var experiment in Experiment.All)
            foreach (var seed in new[] { 1, 2, 3 })
            {
                var trace = TraceGenerator.Generate(experiment, Reference, seed);
                var offline = Simulator.Run(dictionary, trace, new SynergAiPolicy()).ToDictionary(o => o.Job.Id);
                var naive = Replay(dictionary, trace, "synergai", 4, firstComeFirstServed: true);
                disagreements += naive.Count(j => (offline[j.Key].Worker, offline[j.Key].Config) != (j.Value.Worker, j.Value.Config));
            }
        Assert.True(disagreements > 0);
    }

    public static TheoryData<string, int> SingleShardCases()
    {
        var cases = new TheoryData<string, int>();
        foreach (var policy in PolicyCatalog.Names)
            foreach (var seed in new[] { 1, 7 })
                cases.Add(policy, seed);
        return cases;
    }

    /// <summary>Why each job waited before it started, as the pool's shard reports it (the code its queued entry had
    /// when it was placed), is the simulator's <c>waited_for</c> for the same trace: one list of codes, one meaning.</summary>
    [Theory]
    [MemberData(nameof(SingleShardCases))]
    public void The_pools_wait_codes_are_the_simulators(string policy, int seed)
    {
        var dictionary = new ConfigurationDictionary(Reference);
        var waited = 0;
        foreach (var experiment in Experiment.All)
        {
            var trace = TraceGenerator.Generate(experiment, Reference, seed);
            var offline = Simulator.Run(dictionary, trace, PolicyCatalog.Create(policy)).ToDictionary(o => o.Job.Id);
            foreach (var (job, (_, _, _, code)) in Replay(dictionary, trace, policy, 1))
            {
                Assert.True(offline[job].WaitedFor == code, $"{experiment.Name} seed {seed}: {job} waited for {offline[job].WaitedFor} offline, {code} in the pool");
                if (code != WaitCode.None) waited++;
            }
        }
        Assert.True(waited > 0); // some jobs waited: the codes were compared, not just None everywhere
    }

    /// <summary>Runs the trace through shards and a dispatcher as the grains do, on a virtual clock with the simulator's
    /// event order: completions, arrivals, one round; re-evaluation every second while a job waits and a worker is free.</summary>
    static Dictionary<string, (string Worker, string Config, double Started, WaitCode? WaitedFor)> Replay(ConfigurationDictionary dictionary, IReadOnlyList<Job> trace,
        string policy, int shardCount, bool firstComeFirstServed = false)
    {
        var epoch = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        double Model(DateTimeOffset at) => (at - epoch).TotalSeconds;
        var dispatcher = new PoolQueue(PolicyCatalog.Create(policy));
        for (var w = 0; w < dictionary.Workers.Count; w++)
            dispatcher.SetWorker(dictionary.Workers[w].Name, dictionary.Engines.Where(e => dictionary.Optimal(dictionary.EngineIndex(e), w) is not null),
                dictionary.DefaultStrength(w), dictionary.Workers[w].Name);
        var shards = Enumerable.Range(0, shardCount).Select(_ => new PoolQueue(PolicyCatalog.Create(policy))).ToArray();
        var index = dictionary.Workers.Select((w, i) => (w.Name, i)).ToDictionary(p => p.Name, p => p.i);

        void Estimate(PoolQueue book, double now)
        {
            while (book.PendingEstimates() is { } pending)
            {
                var answers = pending.Request is { } request ? pending.Ask.Select(w => EstimateAnswers.Of(w, dictionary, index[w], request)).ToArray() : [];
                book.ApplyEstimates(pending.Jobs, pending.Kinds, answers, now, Model);
            }
        }

        var arrivals = trace.OrderBy(j => j.ArrivalSeconds).ToArray();
        var completions = new PriorityQueue<(string Job, string Worker, int Attempt), double>();
        var placed = new Dictionary<string, (string, string, double, WaitCode?)>();
        var next = 0;
        var reevaluateAt = double.PositiveInfinity;
        while (placed.Count < arrivals.Length || completions.Count > 0)
        {
            var now = Math.Min(reevaluateAt, Math.Min(next < arrivals.Length ? arrivals[next].ArrivalSeconds : double.PositiveInfinity,
                completions.TryPeek(out _, out var c) ? c : double.PositiveInfinity));
            if (double.IsPositiveInfinity(now)) throw new InvalidOperationException("jobs left waiting with nothing to happen");
            while (completions.TryPeek(out var done, out var at) && at <= now)
            {
                completions.Dequeue();
                dispatcher.Forget(done.Job, done.Attempt);
                dispatcher.MarkFree(done.Worker, done.Job, at);
            }
            while (next < arrivals.Length && arrivals[next].ArrivalSeconds <= now)
            {
                var job = arrivals[next++];
                shards[ShardKey.Index(job.Id, shardCount)].Enqueue(new PoolQueue.Entry(job.Id, new JobSpec(job.Engine, job.Queries, job.QosSeconds),
                    epoch + TimeSpan.FromSeconds(job.ArrivalSeconds), 0));
            }

            // One round.
            var view = dispatcher.Snapshot();
            var offers = new List<(PoolQueue Shard, PoolQueue.RunningAttempt Attempt)>();
            foreach (var shard in shards)
            {
                shard.Apply(view);
                Estimate(shard, now);
                offers.AddRange(shard.Plan(now).Select(p => (shard, p.Attempt)));
            }
            var returned = new HashSet<string>();
            IEnumerable<(Placement Placement, PoolQueue.RunningAttempt Attempt)> starts;
            if (firstComeFirstServed)
            {
                var taken = new HashSet<string>();
                starts = offers.Where(o => taken.Add(o.Attempt.Worker)).Select(o => ((Placement)null!, o.Attempt)).ToList();
                foreach (var o in offers.Where(o => !starts.Any(s => s.Attempt == o.Attempt))) returned.Add(o.Attempt.Entry.Id);
                foreach (var (_, attempt) in starts)
                    dispatcher.RestoreRunning(new PoolQueue.Entry(attempt.Entry.Id, attempt.Entry.Spec, attempt.Entry.SubmittedAt, attempt.Attempt), attempt.Worker, attempt.Attempt, now);
            }
            else
            {
                foreach (var (_, attempt) in offers) dispatcher.Enqueue(QueueEntryRecord.From(attempt.Entry).ToEntry());
                Estimate(dispatcher, now);
                starts = dispatcher.Plan(now);
                foreach (var waiting in dispatcher.Queue.ToList())
                {
                    returned.Add(waiting.Id);
                    dispatcher.Remove(waiting.Id);
                }
            }
            foreach (var (shard, attempt) in offers)
            {
                if (returned.Contains(attempt.Entry.Id)) shard.Undo(attempt);
                else shard.Forget(attempt.Entry.Id, attempt.Attempt);
            }
            foreach (var (placement, attempt) in starts)
            {
                var seconds = placement?.EstimateSeconds ?? offers.Single(o => o.Attempt == attempt).Attempt.Entry.Scheduled!.FastestFirst[0].Seconds;
                var offered = offers.Single(o => o.Attempt.Entry.Id == attempt.Entry.Id).Attempt.Entry; // the shard's entry
                placed[attempt.Entry.Id] = (attempt.Worker, placement?.Config ?? "?", now, offered.Scheduled?.WaitedFor);
                completions.Enqueue((attempt.Entry.Id, attempt.Worker, attempt.Attempt), now + seconds);
            }
            var waitingJobs = shards.Sum(s => s.QueuedCount);
            reevaluateAt = waitingJobs > 0 && dispatcher.HasFreeWorker ? now + SimulationOptions.Default.ReevaluationIntervalSeconds : double.PositiveInfinity;
        }
        return placed;
    }
}

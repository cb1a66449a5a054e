using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>The bookkeeping around a policy (<see cref="PoolBook"/>) on plain data, and workers grouped by class.</summary>
public class PoolBookTests
{
    /// <summary>Workers 0 a, 1 b, 2 c: classes 0, 1, 0 (a and c share key "x"); b is the faster class for every job.</summary>
    static PoolBook Book(ISchedulingPolicy? policy = null)
    {
        var book = new PoolBook(policy ?? new SynergAiPolicy());
        book.SetWorker(W("a"), "x", 1);
        book.SetWorker(W("b"), "y", 2);
        book.SetWorker(W("c"), "x", 1);
        return book;
    }

    /// <summary>Class 0 (a, c): 20 s; class 1 (b): 10 s; deadline 100 s from <paramref name="arrival"/>.</summary>
    static QueuedJob Job(string id, double arrival = 0, double qos = 100) =>
        new(J(id, arrival, "e", 100, qos), [new Estimate(1, "opt", 10), new Estimate(0, "opt", 20)],
            [new Estimate(0, "def", 20), new Estimate(1, "def", 10)]);

    /// <summary>The free-by-class index the book keeps must equal one rebuilt from the workers' states.</summary>
    static void AssertIndexRight(PoolBook book)
    {
        var rebuilt = FreeWorkers.Of(book.Workers);
        Assert.Equal(rebuilt.All, book.Free.All);
        Assert.Equal(rebuilt.ClassCount, book.Free.ClassCount);
        for (var c = 0; c < rebuilt.ClassCount; c++)
        {
            Assert.Equal(rebuilt.InClass(c), book.Free.InClass(c));
            Assert.Equal(rebuilt.Members(c), book.Free.Members(c));
        }
        Assert.Equal(book.Workers.Any(w => w.IsFree), book.HasFreeWorker);
    }

    [Fact]
    public void WorkersWithEqualKeysShareAClassNumberedByItsFirstWorker()
    {
        var book = Book();
        Assert.Equal([0, 1, 0], book.Workers.Select(w => w.Class));
        Assert.Equal(2, book.ClassCount);
        Assert.Equal([0, 1], book.FirstOfClass);
        Assert.Equal([0, 2], book.Free.InClass(0));
        Assert.Equal(2, book.Free.Members(0));

        // a joins b's class: classes are numbered again by first worker — a and b are class 0, c (alone now) class 1.
        book.SetWorker(W("a"), "y", 1);
        Assert.Equal([0, 0, 1], book.Workers.Select(w => w.Class));
        Assert.Equal([0, 2], book.FirstOfClass);
        Assert.Equal([0, 1], book.Free.InClass(0));
        AssertIndexRight(book);
    }

    [Fact]
    public void ArrivalPlanAndCompletionKeepTheBooks()
    {
        var book = Book();
        var j1 = Job("j1");
        var j2 = Job("j2");
        var j3 = Job("j3");
        var j4 = Job("j4");
        foreach (var job in new[] { j1, j2, j3, j4 }) book.Arrive(job, 0);
        Assert.Equal(4, book.QueuedCount);

        // Fastest class (b) first, then the lowest free worker of the slower class: a, then c; j4 waits.
        var placements = book.Plan(5);
        Assert.Equal([("j1", 1), ("j2", 0), ("j3", 2)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
        Assert.Equal([j4], book.Queue);
        Assert.False(book.HasFreeWorker);
        Assert.Equal("j2", book.Workers[0].RunningJob);
        Assert.Equal(25, book.Workers[0].ExpectedFreeAt);
        Assert.Same(placements[1], book.RunningOn(0)!.Placement);
        Assert.Equal(5, book.RunningOn(0)!.Started);
        AssertIndexRight(book);

        var done = book.Finish(2, 30);
        Assert.Same(j3, done!.Placement.Job);
        Assert.True(book.Workers[2].IsFree);
        Assert.Equal(30, book.Workers[2].LastFreeAt);
        Assert.Null(book.RunningOn(2));
        Assert.Null(book.Finish(2, 31)); // already free: nothing happens
        Assert.Equal(30, book.Workers[2].LastFreeAt);
        AssertIndexRight(book);

        Assert.Equal([("j4", 2)], book.Plan(30).Select(p => (p.Job.Job.Id, p.Worker)));
        Assert.Equal(0, book.QueuedCount);
        AssertIndexRight(book);
    }

    [Fact]
    public void UndoPutsJobAndWorkerBackAsTheyWereBeforeThePlan()
    {
        var book = Book();
        var j1 = Job("j1");
        var j2 = Job("j2");
        var j3 = Job("j3");
        foreach (var job in new[] { j1, j2, j3 }) book.Arrive(job, 0);
        book.Plan(0);                      // j1 → b, j2 → a, j3 → c
        book.Finish(0, 20);                // a free at 20
        book.Finish(1, 10);                // b free at 10
        var j4 = Job("j4", 21);
        var j5 = Job("j5", 22);
        book.Arrive(j4, 22);
        book.Arrive(j5, 22);
        var before = book.Workers.Select(w => (w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt)).ToList();

        var placements = book.Plan(23);
        Assert.Equal([("j4", 1), ("j5", 0)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
        Assert.Same(placements[1], book.Undo(0));
        Assert.Same(placements[0], book.Undo(1));

        Assert.Equal([j4, j5], book.Queue); // arrival order, not the order of undoing
        Assert.Equal(before, book.Workers.Select(w => (w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt)));
        AssertIndexRight(book);
        Assert.Throws<InvalidOperationException>(() => book.Undo(0));

        // Planning again gives the same placements.
        Assert.Equal([("j4", 1), ("j5", 0)], book.Plan(23).Select(p => (p.Job.Job.Id, p.Worker)));
    }

    [Fact]
    public void EnqueueKeepsArrivalOrderAndRemoveFindsTheJob()
    {
        var book = Book(new RoundRobinPolicy());
        var (j1, j2, j3) = (Job("j1"), Job("j2"), Job("j3"));
        book.Enqueue(j3, order: 7);
        book.Enqueue(j1, order: 2);
        book.Enqueue(j2, order: 5);
        Assert.Equal([j1, j2, j3], book.Queue);
        Assert.True(book.Remove(j2));
        Assert.False(book.Remove(j2));
        Assert.Equal([j1, j3], book.Queue);
        var j4 = Job("j4");
        book.Enqueue(j4); // after every job so far
        Assert.Equal([j1, j3, j4], book.Queue);
    }

    [Fact]
    public void TheFreeIndexStaysRightThroughRandomStartsFinishesUndoesAndClassChanges()
    {
        var random = new Random(3);
        var book = new PoolBook(new SynergAiPolicy());
        for (var w = 0; w < 12; w++) book.SetWorker(W($"w{w}"), $"k{random.Next(3)}", 1);
        var classes = 3;
        var now = 0.0;
        for (var step = 0; step < 400; step++)
        {
            now += 1;
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    var estimates = Enumerable.Range(0, book.ClassCount).Select(c => new Estimate(c, "opt", random.Next(1, 50))).ToList();
                    var defaults = estimates.Select(e => (Estimate?)e).ToArray();
                    book.Arrive(new QueuedJob(J($"j{step}", now, "e", 1, random.Next(1, 80)), QueuedJob.SortFastestFirst(estimates), defaults), now);
                    break;
                case 2:
                    book.Finish(random.Next(book.Workers.Count), now);
                    break;
                case 3:
                    var running = Enumerable.Range(0, book.Workers.Count).Where(w => book.RunningOn(w) is not null).ToList();
                    if (running.Count > 0) book.Undo(running[random.Next(running.Count)]);
                    break;
                default:
                    if (random.Next(20) == 0)
                    {
                        book.SetWorker(book.Workers[random.Next(book.Workers.Count)].Worker, $"k{random.Next(classes)}", 1);
                        foreach (var job in book.Queue.ToList()) book.Remove(job); // estimates are per class: stale now
                    }
                    break;
            }
            var placements = book.Plan(now);
            Assert.Equal(placements.Count, placements.Select(p => p.Worker).Distinct().Count());
            AssertIndexRight(book);
        }
    }

    [Fact]
    public void AReplicaBuiltFromTheWorkersStatesPlansExactlyLikeTheOriginal()
    {
        var original = Book(new LeastRecentlyUsedPolicy());
        foreach (var id in new[] { "j1", "j2", "j3" }) original.Arrive(Job(id), 0);
        original.Plan(0);
        original.Finish(2, 12);
        original.Finish(0, 15);

        var replica = new PoolBook(new LeastRecentlyUsedPolicy());
        foreach (var w in original.Workers)
        {
            replica.SetWorker(w.Worker, original.ClassKey(w.Index), w.Strength);
            replica.SetState(w.Index, w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt);
        }
        foreach (var id in new[] { "j4", "j5" })
        {
            original.Arrive(Job(id, 16), 16);
            replica.Arrive(Job(id, 16), 16);
        }
        AssertIndexRight(replica);
        var expected = original.Plan(16).Select(p => (p.Job.Job.Id, p.Worker, p.Config)).ToList();
        Assert.Equal([("j4", 2, "def"), ("j5", 0, "def")], expected); // LRU: c free since 12, then a since 15
        Assert.Equal(expected, replica.Plan(16).Select(p => (p.Job.Job.Id, p.Worker, p.Config)));
    }

    [Fact]
    public void OnlySrrAndSloMaelBindOnArrival() =>
        Assert.Equal(["srr", "slo-mael"], PolicyCatalog.Names.Where(n => PolicyCatalog.Create(n).BindsOnArrival));

    // ------------------------------------------------------------------ classes in the dictionary and SynergAI

    [Fact]
    public void TheDictionaryGroupsWorkersWithIdenticalProfilesAndDefaults()
    {
        var testbed = new Testbed(
            [W("a", "d"), W("b", "d"), W("c", "d"), W("d", "other"), W("e", "d")],
            [
                P("a", "e1", "d", 10), P("a", "e1", "t", 20),
                P("b", "e1", "t", 20), P("b", "e1", "d", 10),   // same rows as a, another order
                P("c", "e1", "d", 10), P("c", "e1", "t", 21),   // one figure differs
                P("d", "e1", "d", 10), P("d", "e1", "t", 20),   // same rows, another default
                P("e", "e1", "d", 10), P("e", "e1", "t", 20), P("e", "e2", "d", 5), // one more engine
            ]);
        var dictionary = new ConfigurationDictionary(testbed);
        Assert.Equal([0, 0, 1, 2, 3], Enumerable.Range(0, 5).Select(dictionary.ClassOf));
        Assert.Equal(4, dictionary.ClassCount);
        Assert.Equal([0, 2, 3, 4], Enumerable.Range(0, 4).Select(dictionary.FirstOfClass));

        var job = QueuedJob.Create(J("j", 0, "e1", 100, 50), dictionary);
        Assert.Equal([new Estimate(0, "t", 5), new Estimate(1, "t", 100 / 21.0), new Estimate(2, "t", 5), new Estimate(3, "t", 5)],
            job.FastestFirst.OrderBy(e => e.Class));
        Assert.Equal(1, job.FastestFirst[0].Class); // c is the fastest (21 QPS); then classes 0, 2, 3 by class index
        Assert.Equal([1, 0, 2, 3], job.FastestFirst.Select(e => e.Class));
        Assert.Equal(4, job.Defaults.Count);
    }

    [Fact]
    public void SynergAiTakesTheLowestFreeWorkerOfTheFastestAcceptableClass()
    {
        // Workers 0..5 in classes A B A B A B; A (class 0) takes 10 s, B (class 1) 20 s; worker 0 is busy.
        var workers = Enumerable.Range(0, 6).Select(i => new WorkerState(i, W($"w{i}"), i % 2)).ToArray();
        Busy(workers[0]);
        QueuedJob Make(string id, double qos) =>
            new(J(id, 0, "e", 1, qos), [new Estimate(0, "a", 10), new Estimate(1, "b", 20)], [new Estimate(0, "a", 10), new Estimate(1, "b", 20)]);
        var queue = new[] { Make("j1", 100), Make("j2", 100), Make("j3", 100), Make("tight", 15) };

        var placements = new SynergAiPolicy().Schedule(new SchedulingContext(0, workers, queue));

        // The tight job (only A acceptable, most urgent) takes A's lowest free worker 2; then j1 takes A's worker 4,
        // j2 and j3 fall back to B's lowest free workers 1 and 3.
        Assert.Equal([("tight", 2), ("j1", 4), ("j2", 1), ("j3", 3)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
        Assert.Equal([("a", 10.0), ("a", 10.0), ("b", 20.0), ("b", 20.0)], placements.Select(p => (p.Config, p.EstimateSeconds)));
        Assert.Equal((2, 6), (queue[0].AcceptableClasses, queue[0].AcceptableWorkers)); // A and B, 3 workers each
        Assert.Equal((1, 3), (queue[3].AcceptableClasses, queue[3].AcceptableWorkers));
    }

    [Fact]
    public void AFleetOfManyCopiesOfEachClassViolatesExactlyAsManyTimesAsTheOriginalTimesTheCopies()
    {
        // Each job copied 100 times at the same instant onto 100 copies of each worker: with no noise every copy of
        // the original schedule runs side by side, so every count is 100 times the original's.
        var reference = ReferenceTestbed.Load();
        var fleet = BenchmarkWorkload.Fleet(reference, 300);
        var dictionary = new ConfigurationDictionary(fleet);
        Assert.Equal(3, dictionary.ClassCount);
        foreach (var experiment in Experiment.All)
        {
            var trace = TraceGenerator.Generate(experiment, reference, seed: 5);
            var copies = trace.SelectMany(j => Enumerable.Range(0, 100).Select(k => j with { Id = $"{j.Id}#{k:000}" })).ToList();
            var original = Simulator.Run(new ConfigurationDictionary(reference), trace, new SynergAiPolicy());
            var copied = Simulator.Run(dictionary, copies, new SynergAiPolicy());
            Assert.Equal(copies.Count, copied.Count);
            Assert.True(original.Count(o => o.Violated) > 0 || experiment == Experiment.DlFl, $"{experiment}: the check needs violations");
            Assert.Equal(100 * original.Count(o => o.Violated), copied.Count(o => o.Violated));
            Assert.Equal(100 * original.Sum(o => o.ExcessSeconds), copied.Sum(o => o.ExcessSeconds), 6);
        }
    }
}

using SynergAI.Grains;
using SynergAI.Kubernetes.Tests.Fake;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;
using Xunit.Abstractions;

namespace SynergAI.Kubernetes.Tests;

/// <summary>The control plane with the Kubernetes executor, end to end against the fake API server.</summary>
[Collection(KubernetesClusterCollection.Name)]
public class ClusterTests(KubernetesCluster fixture, ITestOutputHelper output)
{
    FakeKubernetes Fake => fixture.Fake;

    /// <summary>The done criterion: each pod runs as long as the simulated executor would run the attempt (estimate ×
    /// time scale from its annotations), so the QoS violations must agree with the offline simulator as the simulated
    /// executor's do (LiveTraceTests).</summary>
    [Fact]
    public async Task A_DL_FH_trace_runs_as_pods_pinned_and_configured_with_violations_close_to_the_simulator()
    {
        const double timeScale = 0.02;
        const int seed = 7;
        const string pool = "trace";
        Fake.Behaviour = Behaviours.AsSimulated;
        await fixture.ReferencePool(pool, timeScale);
        var testbed = ReferenceTestbed.Load();
        var trace = TraceGenerator.Generate(Experiment.DlFh, testbed, seed);

        var start = DateTime.UtcNow;
        await Task.WhenAll(trace.Select(async job =>
        {
            var due = start + TimeSpan.FromSeconds(job.ArrivalSeconds * timeScale);
            if (due > DateTime.UtcNow) await Task.Delay(due - DateTime.UtcNow);
            await fixture.Client.GetGrain<IJobGrain>($"{pool}-{job.Id}").Submit(new JobSpec(job.Engine, job.Queries, job.QosSeconds), pool);
        }));
        var statuses = await fixture.WaitForAll(trace.Select(j => $"{pool}-{j.Id}"), TimeSpan.FromSeconds(120));

        Assert.All(statuses, s => Assert.Equal(JobState.Completed, s.State));
        Assert.All(statuses, s => Assert.Equal(1, s.Attempts));
        foreach (var status in statuses)
        {
            fixture.AssertPodsMatchAttempts(status);
            fixture.AssertNeverTwiceAtOnce(status.Id);
        }
        // Every kind of configuration was exercised: threads on x86, power modes on both Jetson boards.
        var pods = statuses.SelectMany(s => Fake.PodsOf(s.Id)).ToList();
        Assert.Contains(pods, p => p.Node == "cloud-vm-16" && p.CpuRequest is not null);
        Assert.Contains(pods, p => p.Node == "jetson-agx-xavier-1" && p.PowerMode is not null);
        Assert.Contains(pods, p => p.Node == "trace-nx" && p.PowerMode is not null);
        Assert.All(pods, p => Assert.Equal("executor", p.DeletedBy)); // finished pods are cleaned up

        var outcomes = Simulator.Run(new ConfigurationDictionary(testbed), trace, PolicyCatalog.Create("synergai"));
        var offline = outcomes.Count(o => o.Violated);
        var live = statuses.Count(s => s.Violated == true);
        foreach (var (o, s) in outcomes.OrderBy(o => o.Job.Id).Zip(statuses.OrderBy(s => s.Id)))
            output.WriteLine($"{o.Job.Id} offline {o.Worker}/{o.Config} start {o.StartedSeconds:0} {o.Violated} | pods {s.Worker}/{s.Config} start {o.Job.ArrivalSeconds + s.ModelSecondsSinceSubmission(s.StartedAt):0} {s.Violated}");
        output.WriteLine($"DL-FH seed {seed} at time scale {timeScale}: {live} violations with the Kubernetes executor, {offline} offline; {pods.Count} pods");
        Assert.InRange(live, offline - 2, offline + 2);
    }

    /// <summary>Faults through the whole system: a pod that fails, a pod deleted by someone else, dropped watches,
    /// throttling, an engine with no image and one that always fails. No job is lost, each ends as scripted, and no job
    /// ever has two pods running at once.</summary>
    [Fact]
    public async Task Faults_in_pods_and_the_api_lose_no_job_and_never_run_one_twice_at_once()
    {
        const string pool = "faults";
        var dropped = 0;
        Fake.Behaviour = async (pod, stopped) =>
        {
            var job = pod.Job!;
            var first = pod.Attempt == 1;
            pod.Run();
            if (job.Contains("always-fails") || (job.Contains("fails-once") && first))
            {
                await Task.Delay(200, stopped);
                pod.Fail(exitCode: 3, message: "scripted failure");
                return;
            }
            if (job.Contains("deleted-once") && first)
            {
                await Task.Delay(200, stopped);
                Fake.DeleteAsSomeoneElse(pod.Name);
                return;
            }
            if (job.Contains("watch-drop"))
            {
                await Task.Delay(150, stopped);
                Fake.DropWatches();
                Interlocked.Increment(ref dropped);
                await Task.Delay(300, stopped);
            }
            await Task.Delay(TimeSpan.FromSeconds(pod.SimulatedSeconds), stopped);
            pod.Succeed();
        };
        await fixture.ReferencePool(pool, 0.01, new ProfilePoint(KubernetesCluster.UnmappedEngine, "threads=16", 50, 0.5));

        string[] jobs = ["plain-1", "fails-once-1", "deleted-once-1", "watch-drop-1", "always-fails-1", "unmapped-1", "throttled-1", "throttled-2", "plain-2"];
        foreach (var job in jobs.Select(j => $"{pool}-{j}"))
        {
            if (job.Contains("throttled")) Fake.Throttle(3, retryAfterSeconds: 1);
            var engine = job.Contains("unmapped") ? KubernetesCluster.UnmappedEngine : "tf-mobilenet";
            await fixture.Client.GetGrain<IJobGrain>(job).Submit(new JobSpec(engine, 200, 1e6), pool);
            await Task.Delay(100);
        }
        var statuses = (await fixture.WaitForAll(jobs.Select(j => $"{pool}-{j}"), TimeSpan.FromSeconds(60))).ToDictionary(s => s.Id[(pool.Length + 1)..]);
        foreach (var s in statuses.Values) output.WriteLine($"{s.Id}: {s.State} after {s.Attempts} attempt(s) {s.Reason}");

        foreach (var job in new[] { "plain-1", "plain-2", "watch-drop-1", "throttled-1", "throttled-2" })
            Assert.Equal((JobState.Completed, 1), (statuses[job].State, statuses[job].Attempts));
        foreach (var job in new[] { "fails-once-1", "deleted-once-1" })
            Assert.Equal((JobState.Completed, 2), (statuses[job].State, statuses[job].Attempts));
        Assert.Equal((JobState.Failed, 3), (statuses["always-fails-1"].State, statuses["always-fails-1"].Attempts));
        Assert.Contains("exited with code 3", statuses["always-fails-1"].Reason);
        Assert.Equal((JobState.Failed, 3), (statuses["unmapped-1"].State, statuses["unmapped-1"].Attempts));
        Assert.Contains("the executor could not start it", statuses["unmapped-1"].Reason);
        Assert.Contains($"no image for engine '{KubernetesCluster.UnmappedEngine}'", statuses["unmapped-1"].Reason); // the why reaches the job
        Assert.Empty(Fake.PodsOf($"{pool}-unmapped-1"));

        Assert.Equal("someone else", Fake.PodsOf($"{pool}-deleted-once-1").Single(p => p.Attempt == 1).DeletedBy);
        Assert.True(dropped >= 1);
        Assert.Equal(6, Fake.Throttled); // all answered 429 and then retried, or no job could have completed
        foreach (var status in statuses.Values.Where(s => !s.Id.Contains("unmapped")))
        {
            fixture.AssertPodsMatchAttempts(status);
            fixture.AssertNeverTwiceAtOnce(status.Id);
        }
    }
}

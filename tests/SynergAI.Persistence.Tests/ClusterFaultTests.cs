using SynergAI.Grains;
using Xunit.Abstractions;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// The faults the control plane must survive, with real silo processes on a real PostgreSQL: a silo killed with
/// <c>kill -9</c>, the whole cluster stopped and started again, PostgreSQL restarted. Each runs a trace through the
/// SDK and judges by the jobs' final states, the job history table, and the executor runs the silos logged: every job
/// Completed once, at least one successful run each, and no two runs of one job overlapping in time.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class ClusterFaultTests(SiloProcessFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_killed_mid_run_loses_no_job_and_runs_none_twice()
    {
        await using var run = await TraceRun.StartAsync(fixture.Server, silos: 3, output);
        try
        {
            var trace = TraceRun.Trace(200, seed: 5, "kill");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var submitting = run.SubmitAsync(trace, cancel.Token);
            await Task.Delay(TimeSpan.FromSeconds(7), cancel.Token); // mid-run: jobs queued and running everywhere

            // The coordinator's silo when it also runs attempts (the hardest case); else the one running the most.
            var running = run.Runs().Where(r => r.Ended is null).GroupBy(r => r.Silo).ToDictionary(g => g.Key, g => g.Count());
            var coordinatorHost = run.CoordinatorHost();
            var target = coordinatorHost is not null && running.ContainsKey(coordinatorHost)
                ? coordinatorHost : running.OrderByDescending(p => p.Value).First().Key;
            var queueBefore = (await run.Client.GetPoolAsync(cancellationToken: cancel.Token)).Queue.Select(q => q.Job).ToList();
            target.Kill();
            var killedAt = target.EndedAt!.Value;
            run.Say($"killed silo {target.SiloPort} (pid {target.Pid}, {(target == coordinatorHost ? "the coordinator's host" : "not the coordinator's host")}) " +
                    $"running {running[target]} attempt(s); {queueBefore.Count} jobs queued");

            var declaredDead = await run.WaitUntilDeclaredDeadAsync(target.SiloPort, TimeSpan.FromSeconds(60));
            var detection = declaredDead - killedAt;
            run.Say($"declared dead after {detection.TotalSeconds:0.0} s");
            var queueAfter = (await run.Client.GetPoolAsync(cancellationToken: cancel.Token)).Queue.Select(q => q.Job).ToList();

            await submitting;
            var statuses = await run.WaitForAllAsync(trace, TimeSpan.FromMinutes(3));
            run.Say("every job finished");

            var runs = run.Runs();
            var repeated = await run.AssertEveryJobCompletedOnceAsync(trace, statuses, runs);

            // The restored queue keeps its order: jobs queued before the kill and still queued after it are in the
            // same relative order.
            var common = queueAfter.Where(queueBefore.Contains).ToList();
            Assert.Equal(queueBefore.Where(common.Contains), common);

            // Recovery: from the kill until each attempt lost with the silo was running again elsewhere.
            var lost = runs.Where(r => r.Silo == target && r.Ended is null).ToList();
            Assert.NotEmpty(lost);
            var recoveries = lost.Select(l => runs.Where(r => r.Job == l.Job && r.Attempt > l.Attempt).Min(r => r.Started) - killedAt).ToList();
            var adopted = run.Silos.Sum(s => s.Lines.Count(l => l.Contains("missing from the saved queue taken back")));
            run.Say($"RESULT kill -9: jobs {trace.Count}, silos killed 1 of 3, detection {detection.TotalSeconds:0.0} s, " +
                    $"lost attempts {lost.Count} re-run after {recoveries.Min().TotalSeconds:0.0}-{recoveries.Max().TotalSeconds:0.0} s, " +
                    $"jobs lost 0, duplicate concurrent runs 0, successful runs repeated {repeated}, attempts {statuses.Sum(s => s.Attempts)}, " +
                    $"queue {queueBefore.Count} -> {queueAfter.Count} in order, adoptions from the job history {adopted}");
            Assert.True(detection < TimeSpan.FromSeconds(10), $"declared dead after {detection.TotalSeconds:0.0} s; tuned for about 5 s");
            var members = await run.MembershipAsync(); // the killed one dead, the others active: no false suspicion under this load
            Assert.True(members.All(m => m.Status == (m.Port == target.SiloPort ? 6 : 3)), $"membership: {string.Join(", ", members)}");
        }
        catch
        {
            run.DumpSilos();
            throw;
        }
    }

    [Fact]
    public async Task The_whole_cluster_stopped_mid_run_and_started_again_finishes_every_job()
    {
        await using var run = await TraceRun.StartAsync(fixture.Server, silos: 3, output);
        try
        {
            var trace = TraceRun.Trace(120, seed: 6, "restart");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var submitting = run.SubmitAsync(trace, cancel.Token); // keeps submitting through the outage (the SDK retries)
            await Task.Delay(TimeSpan.FromSeconds(5), cancel.Token);

            var before = run.Silos.ToList();
            var runningAtStop = run.Runs().Count(r => r.Ended is null);
            await Task.WhenAll(before.Select(s => s.StopAsync(TimeSpan.FromSeconds(60))));
            run.Say($"all {before.Count} silos stopped (SIGTERM) with {runningAtStop} attempt(s) running");
            var stoppedAt = DateTimeOffset.UtcNow;

            await run.StartSilosAsync(3);
            var restartedAfter = DateTimeOffset.UtcNow - stoppedAt;
            await submitting;
            var statuses = await run.WaitForAllAsync(trace, TimeSpan.FromMinutes(3));

            var runs = run.Runs();
            var repeated = await run.AssertEveryJobCompletedOnceAsync(trace, statuses, runs);
            var cutShort = runs.Count(r => before.Contains(r.Silo) && r.How != "succeeded");
            run.Say($"RESULT full restart: jobs {trace.Count}, silos stopped 3 of 3 and 3 started ({restartedAfter.TotalSeconds:0.0} s to ready), " +
                    $"runs cut short {cutShort} and re-run, jobs lost 0, duplicate concurrent runs 0, successful runs repeated {repeated}");
        }
        catch
        {
            run.DumpSilos();
            throw;
        }
    }

    [Fact]
    public async Task PostgreSQL_restarted_mid_run_loses_no_job()
    {
        await using var run = await TraceRun.StartAsync(fixture.Server, silos: 3, output);
        try
        {
            var trace = TraceRun.Trace(120, seed: 7, "pgrestart");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var submitting = run.SubmitAsync(trace, cancel.Token);
            await Task.Delay(TimeSpan.FromSeconds(4), cancel.Token);

            await fixture.Server.StopAsync(cancel.Token);
            var down = DateTimeOffset.UtcNow;
            run.Say("PostgreSQL stopped");
            // Readiness says so while the database is away (and liveness does not: the process is fine).
            var unready = await ReadinessWhileAsync(run.Silos[0], ready: false, TimeSpan.FromSeconds(15), cancel.Token);
            Assert.Contains("PostgreSQL cannot be reached", unready);
            await Task.Delay(TimeSpan.FromSeconds(1), cancel.Token);
            await fixture.Server.StartAsync(cancel.Token);
            var outage = DateTimeOffset.UtcNow - down;
            run.Say($"PostgreSQL started again after {outage.TotalSeconds:0.0} s");

            await submitting;
            var statuses = await run.WaitForAllAsync(trace, TimeSpan.FromMinutes(3));

            var repeated = await run.AssertEveryJobCompletedOnceAsync(trace, statuses, run.Runs());
            Assert.All(run.Silos, s => Assert.False(s.HasExited, $"silo {s.SiloPort} exited during the outage"));
            await ReadinessWhileAsync(run.Silos[0], ready: true, TimeSpan.FromSeconds(30), cancel.Token);
            var members = await run.MembershipAsync();
            Assert.True(members.All(m => m.Status == 3), $"membership: {string.Join(", ", members)}");
            var retries = run.Silos.Sum(s => s.Lines.Count(l => l.Contains("grain storage unavailable")));
            run.Say($"RESULT PostgreSQL restart: jobs {trace.Count}, outage {outage.TotalSeconds:0.0} s, storage retries {retries}, " +
                    $"silos lost 0, jobs lost 0, duplicate concurrent runs 0, successful runs repeated {repeated}");
        }
        catch
        {
            run.DumpSilos();
            throw;
        }
    }

    /// <summary>Polls the silo's readiness until it is <paramref name="ready"/>; returns the health detail then.</summary>
    static async Task<string> ReadinessWhileAsync(SiloProcess silo, bool ready, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.HttpPort}/"), Timeout = TimeSpan.FromSeconds(5) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using (var live = await http.GetAsync("health/live", cancellationToken)) Assert.True(live.IsSuccessStatusCode);
            using var response = await http.GetAsync("health/ready", cancellationToken);
            if (response.IsSuccessStatusCode == ready)
                return await (await http.GetAsync("health", cancellationToken)).Content.ReadAsStringAsync(cancellationToken);
            Assert.True(clock.Elapsed < limit, $"silo {silo.SiloPort} not {(ready ? "ready" : "unready")} within {limit.TotalSeconds:0} s");
            await Task.Delay(200, cancellationToken);
        }
    }
}

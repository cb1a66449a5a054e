using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SynergAI.Client;
using SynergAI.Grains;
using Xunit.Abstractions;

namespace SynergAI.Persistence.Tests;

/// <summary>Bad input at the storage boundary, against a silo process on PostgreSQL: each is refused with a clear
/// message and leaves every stored grain state and table row as it was.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class StorageBoundaryTests(SiloProcessFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Bad_input_fails_cleanly_and_writes_nothing()
    {
        await using var run = await TraceRun.StartAsync(fixture.Server, silos: 1, output);
        try
        {
            await OversizedSpecsAreRefusedByTheGrains(run);
            await AMalformedProfileImportChangesNoWorker(run);
            await ADuplicateIdRacingFromTwoClientsKeepsOneSpec(run);
        }
        catch
        {
            run.DumpSilos();
            throw;
        }
    }

    static async Task OversizedSpecsAreRefusedByTheGrains(TraceRun run)
    {
        var stored = await run.StoredStatesAsync();
        // Straight to the grain, past the SDK's own checks: the grain is the boundary that must hold.
        var grains = run.Client.Grains;
        var hugeEngine = await Assert.ThrowsAsync<ArgumentException>(() =>
            grains.GetGrain<IJobGrain>("job-oversized-engine").Submit(new JobSpec(new string('e', 1_000_000), 10, 100), "default"));
        Assert.Contains("at most 200", hugeEngine.Message);
        var hugeId = "job-" + new string('i', 10_000);
        var longId = await Assert.ThrowsAsync<ArgumentException>(() =>
            grains.GetGrain<IJobGrain>(hugeId).Submit(new JobSpec("tf-resnet50", 10, 100), "default"));
        Assert.Contains("job id is 10004 characters long", longId.Message);

        Assert.Equal(stored, await run.StoredStatesAsync());
        Assert.Null(await run.Client.GetAsync("job-oversized-engine"));
        Assert.Empty((await run.Client.GetPoolAsync()).Queue);
        Assert.Empty(await run.HistoryStatesAsync());
        run.Say("oversized engine (1 MB) and job id (10 KB): refused, nothing stored");
    }

    static async Task AMalformedProfileImportChangesNoWorker(TraceRun run)
    {
        var workersBefore = await run.Client.ListWorkersAsync();
        var stored = await run.StoredStatesAsync();
        var folder = Directory.CreateTempSubdirectory("synergai-bad-profile-").FullName;
        try
        {
            // Two workers; the first one's rows are fine, the second's qps on line 4 is not a number.
            File.WriteAllLines(Path.Combine(folder, "workers.csv"),
                ["worker,arch,cpus,memory_gb,default_config", "x86-1,x86_64,16,16,threads=16", "agx-1,arm64,8,32,mode=1"]);
            File.WriteAllLines(Path.Combine(folder, "profile.csv"),
                ["worker,engine,config,qps,preprocess_s", "x86-1,tf-resnet50,threads=16,1.5,20", "agx-1,tf-resnet50,mode=1,2.5,20", "agx-1,tf-resnet50,mode=0,fast,20"]);
            var import = await SiloProcessTests.RunCliAsync("profile", "import", folder, "--connection", run.ConnectionString);
            Assert.NotEqual(0, import.Exit);
            Assert.Contains("profile.csv", import.Stderr);
            Assert.Contains("4", import.Stderr);
            run.Say($"malformed profile import refused: {import.Stderr.Trim()}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        Assert.Equal(stored, await run.StoredStatesAsync());
        var workersAfter = await run.Client.ListWorkersAsync();
        Assert.Equal(workersBefore.Select(w => (w.Name, w.Spec, string.Join(";", w.Dictionary))),
            workersAfter.Select(w => (w.Name, w.Spec, string.Join(";", w.Dictionary))));
    }

    static async Task ADuplicateIdRacingFromTwoClientsKeepsOneSpec(TraceRun run)
    {
        using var other = await run.StartAnotherClientAsync();
        var second = other.Services.GetRequiredService<SynergAiClient>();
        var first = run.Client;
        var ids = Enumerable.Range(1, 20).Select(i => $"job-race-{i:00}").ToList();
        JobSpec SpecA(int i) => new("tf-resnet50", 100 + i, 1e6);
        JobSpec SpecB(int i) => new("tf-mobilenet", 200 + i, 1e6);

        var outcomes = await Task.WhenAll(ids.Select(async (id, i) =>
        {
            var a = Outcome(() => first.SubmitAsync(SpecA(i), id));
            var b = Outcome(() => second.SubmitAsync(SpecB(i), id));
            return (Id: id, Index: i, A: await a, B: await b);
        }));

        await using var data = NpgsqlDataSource.Create(run.ConnectionString);
        foreach (var (id, i, a, b) in outcomes)
        {
            Assert.True(a.Error is null ^ b.Error is null, $"{id}: exactly one submission must win (a: {a.Error?.Message ?? "ok"}, b: {b.Error?.Message ?? "ok"})");
            var loser = a.Error ?? b.Error!;
            Assert.IsType<JobConflictException>(loser);
            Assert.Contains("already exists with another spec", loser.Message);
            var winner = a.Error is null ? SpecA(i) : SpecB(i);
            Assert.Equal(winner, (await first.GetAsync(id))!.Spec);
            Assert.Equal(winner, (await second.GetAsync(id))!.Spec);
            var row = await Grains.Persistence.PostgresJobHistory.GetAsync(data, id);
            Assert.NotNull(row);
            Assert.Equal((winner.Engine, winner.Queries), (row.Engine, row.Queries));
        }
        var listed = await first.ListJobsAsync();
        foreach (var id in ids) Assert.Single(listed, s => s.Id == id);
        run.Say($"duplicate ids raced from two clients: {outcomes.Count(o => o.A.Error is null)} won by the first, " +
                $"{outcomes.Count(o => o.B.Error is null)} by the second; each id holds exactly one spec");
    }

    static async Task<(JobStatus? Status, Exception? Error)> Outcome(Func<Task<JobStatus>> submit)
    {
        try { return (await submit(), null); }
        catch (Exception e) { return (null, e); }
    }
}

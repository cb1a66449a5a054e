using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SynergAI.Grains;
using Xunit.Abstractions;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// What workers learn from their runs is stored with them: on a real PostgreSQL, a silo process whose simulated
/// executor drifts every worker to 1.5× its profile (<c>SynergAI:Drift</c>) runs a trace; the workers flag themselves and
/// correct their estimates; after the silo is stopped and another started, each worker has the same flag and factor
/// and the pool quotes the same corrected times before anything runs again. A worker whose stored state predates
/// learning (its row rewritten without the new fields) still loads, with nothing learned.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class LearningPersistenceTests(SiloProcessFixture fixture, ITestOutputHelper output)
{
    const double Drift = 1.5;

    [Fact]
    public async Task Learned_corrections_and_drift_flags_survive_a_silo_restart()
    {
        const string drifts = "x86-1=1.5,agx-1=1.5,nx-1=1.5";
        await using var run = await TraceRun.StartAsync(fixture.Server, silos: 1, output, copies: 1, $"--SynergAI:Drift={drifts}");
        try
        {
            var trace = TraceRun.Trace(24, seed: 8, "learn");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            await run.SubmitAsync(trace, cancel.Token);
            var statuses = await run.WaitForAllAsync(trace, TimeSpan.FromMinutes(3));
            Assert.All(statuses, s => Assert.Equal(JobState.Completed, s.State));
            var ranOn = statuses.GroupBy(s => s.Worker!).ToDictionary(g => g.Key, g => g.Count());
            run.Say($"runs per worker: {string.Join(", ", ranOn.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");

            var before = await FlagsAsync(run);
            // Every worker with 3 runs or more is flagged at 1.5×; none is flagged without them.
            foreach (var (worker, runs) in ranOn)
                if (runs >= 3) Assert.Equal(Drift, before[worker]!.Value, 6);
            Assert.All(before.Where(w => !ranOn.ContainsKey(w.Key)), w => Assert.Null(w.Value));
            Assert.Contains(before, w => w.Value is not null);

            var specs = TraceRun.Engines().Take(4).Select(e => new JobSpec(e, 500, 1e6)).ToList();
            var quotesBefore = await QuotesAsync(run, specs);
            foreach (var q in quotesBefore)
                if (ranOn.ContainsKey(q.Worker!)) Assert.Equal(Drift * ProfileSeconds(q), q.FinishesInSeconds!.Value - q.StartsInSeconds!.Value, 3);

            // Stop the silo; make one worker's stored row look like one written before learning existed.
            await Task.WhenAll(run.Silos.Select(s => s.StopAsync(TimeSpan.FromSeconds(60))));
            var old = ranOn.Keys.Order(StringComparer.Ordinal).First();
            var removed = await StripLearningAsync(run.ConnectionString, old);
            run.Say($"silo stopped; {old}'s stored state rewritten without {string.Join(", ", removed)}");
            Assert.Equal(["Corrections", "MeasuredRuns"], removed);

            await run.StartSilosAsync(1);
            var after = await FlagsAsync(run);
            foreach (var (worker, flag) in before)
                if (worker == old) Assert.Null(after[worker]);
                else Assert.Equal(flag, after[worker]);
            var quotesAfter = await QuotesAsync(run, specs);
            for (var i = 0; i < specs.Count; i++)
            {
                var (b, a) = (quotesBefore[i], quotesAfter[i]);
                if (b.Worker == old || a.Worker == old) continue; // that worker forgot what it learned
                Assert.Equal((b.Worker, b.Config), (a.Worker, a.Config));
                Assert.Equal(b.FinishesInSeconds!.Value - b.StartsInSeconds!.Value, a.FinishesInSeconds!.Value - a.StartsInSeconds!.Value, 6);
            }
            var oldStatus = (await run.Client.ListWorkersAsync()).Single(w => w.Name == old);
            Assert.Equal(WorkerCondition.Free, oldStatus.Condition);
            run.Say($"RESULT learning restart: workers {before.Count}, flagged before {before.Count(w => w.Value is not null)} " +
                    $"({string.Join(", ", before.Where(w => w.Value is not null).Select(w => $"{w.Key} {w.Value:0.###}x"))}), " +
                    $"flagged after {after.Count(w => w.Value is not null)} (the old-format row: {old}, loaded unflagged), " +
                    $"quotes (worker config: model s before -> after, profile): " +
                    string.Join("; ", quotesBefore.Zip(quotesAfter).Select(p => FormattableString.Invariant(
                        $"{p.First.Spec.Engine} on {p.First.Worker} {p.First.Config}: {p.First.FinishesInSeconds - p.First.StartsInSeconds:0.##} -> {p.Second.FinishesInSeconds - p.Second.StartsInSeconds:0.##} ({p.Second.Worker}), {ProfileSeconds(p.First):0.##}"))));
        }
        catch
        {
            run.DumpSilos();
            throw;
        }
    }

    static async Task<Dictionary<string, double?>> FlagsAsync(TraceRun run) =>
        (await run.Client.ListWorkersAsync()).ToDictionary(w => w.Name, w => w.DriftFactor);

    static async Task<List<JobQuote>> QuotesAsync(TraceRun run, IEnumerable<JobSpec> specs)
    {
        var quotes = new List<JobQuote>();
        foreach (var spec in specs) quotes.Add(await run.Grains.GetGrain<IQueueCoordinatorGrain>("default").Quote(spec));
        return quotes;
    }

    /// <summary>T_pre + q/QPS of the quote's worker and configuration in the reference profile.</summary>
    static double ProfileSeconds(JobQuote quote)
    {
        var reference = quote.Worker![..quote.Worker!.LastIndexOf('-')];
        foreach (var line in File.ReadLines(Path.Combine(TraceRun.Reference, "profile.csv")).Skip(1))
        {
            var f = line.Split(',');
            if (f[0] == reference && f[1] == quote.Spec.Engine && f[2] == quote.Config)
                return double.Parse(f[4], CultureInfo.InvariantCulture) + quote.Spec.Queries / double.Parse(f[3], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"no profile row for {quote.Worker}, {quote.Spec.Engine}, {quote.Config}");
    }

    /// <summary>Removes the learning's fields from a worker's stored JSON (as a row written before they existed).</summary>
    static async Task<List<string>> StripLearningAsync(string connectionString, string worker)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand(
            "SELECT payloadbinary FROM orleansstorage WHERE graintypestring = 'worker-node' AND grainidextensionstring = @w", connection);
        read.Parameters.AddWithValue("w", worker);
        var payload = (byte[])(await read.ExecuteScalarAsync())!;
        var json = JsonNode.Parse(Encoding.UTF8.GetString(payload))!.AsObject();
        var removed = new List<string>();
        foreach (var name in new[] { "MeasuredRuns", "Corrections" })
            if (json.Remove(name)) removed.Add(name);
        await using var write = new NpgsqlCommand(
            "UPDATE orleansstorage SET payloadbinary = @p WHERE graintypestring = 'worker-node' AND grainidextensionstring = @w", connection);
        write.Parameters.AddWithValue("p", Encoding.UTF8.GetBytes(json.ToJsonString()));
        write.Parameters.AddWithValue("w", worker);
        Assert.Equal(1, await write.ExecuteNonQueryAsync());
        removed.Sort(StringComparer.Ordinal);
        return removed;
    }
}

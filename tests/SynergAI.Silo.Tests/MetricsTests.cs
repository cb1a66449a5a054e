using System.Globalization;
using System.Text.RegularExpressions;
using SynergAI.Grains;

namespace SynergAI.Silo.Tests;

[Collection(SharedSiloCollection.Name)]
public sealed class MetricsTests(SharedSilo shared)
{
    SiloHost Silo => shared.Silo;

    [Fact]
    public async Task Counters_move_with_submitted_and_completed_jobs()
    {
        var before = await ScrapeAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add((await Silo.Client.SubmitAsync(new JobSpec("tf-mobilenet", Queries: 100, QosSeconds: 600))).Id);
        foreach (var id in ids) Assert.Equal(JobState.Completed, (await Silo.Client.WaitForCompletionAsync(id)).State);
        // A submission no worker can run is rejected, and counted.
        await Assert.ThrowsAnyAsync<Exception>(() => Silo.Client.SubmitAsync(new JobSpec("no-such-engine", 10, 60)));

        var after = await ScrapeAsync();
        var engine = "engine=\"tf-mobilenet\"";
        Assert.Equal(3, Sum(after, "synergai_jobs_submitted_total", engine) - Sum(before, "synergai_jobs_submitted_total", engine));
        Assert.Equal(3, Sum(after, "synergai_jobs_completed_total", engine) - Sum(before, "synergai_jobs_completed_total", engine));
        Assert.Equal(1, Sum(after, "synergai_jobs_rejected_total", "engine=\"no-such-engine\"") - Sum(before, "synergai_jobs_rejected_total", "engine=\"no-such-engine\""));
        Assert.True(Sum(after, "synergai_dispatch_latency_seconds_count") - Sum(before, "synergai_dispatch_latency_seconds_count") >= 3);
        Assert.True(Sum(after, "synergai_estimate_ratio_count") - Sum(before, "synergai_estimate_ratio_count") >= 3);
        Assert.True(Sum(after, "synergai_worker_busy_time_seconds_total") > Sum(before, "synergai_worker_busy_time_seconds_total"));
        Assert.True(Sum(after, "synergai_round_duration_seconds_count") > 0);
        Assert.Contains("synergai_worker_state", after);
        Assert.Contains("synergai_queue_length", after);
        // Orleans' own meter and the runtime's only when asked for (they cost throughput).
        Assert.DoesNotMatch(new Regex("^orleans_", RegexOptions.Multiline), after);
        Assert.DoesNotMatch(new Regex("^(dotnet|process_runtime)_", RegexOptions.Multiline), after);
    }

    /// <summary>A silo of its own whose simulated executor runs every worker 1.5× slower than its profile
    /// (<c>SynergAI:Drift</c>): a worker with three runs is flagged, and the scrape shows it — with Orleans' and the
    /// runtime's meters, which this silo asks for.</summary>
    [Fact]
    public async Task A_drifted_worker_shows_its_factor_and_a_flagged_state()
    {
        await using var silo = await SiloHost.StartAsync("--SynergAI:Drift=x86=1.5;agx=1.5;nx=1.5",
            "--Operating:OrleansMetrics=true", "--Operating:RuntimeMetrics=true");
        for (var i = 0; i < 7; i++)
        {
            var id = (await silo.Client.SubmitAsync(new JobSpec("tf-mobilenet", Queries: 100, QosSeconds: 600))).Id;
            Assert.Equal(JobState.Completed, (await silo.Client.WaitForCompletionAsync(id)).State);
        }
        var flagged = (await silo.Client.ListWorkersAsync()).Where(w => w.DriftFactor is not null).ToList();
        Assert.NotEmpty(flagged); // 7 runs on 3 workers: one has 3 at least

        using var http = silo.HttpClient();
        var scrape = await http.GetStringAsync("metrics");
        foreach (var worker in flagged)
        {
            Assert.Equal(1.5, Sum(scrape, "synergai_worker_drift", $"worker=\"{worker.Name}\""), 6);
            Assert.Equal(1, Sum(scrape, "synergai_worker_state", $"state=\"flagged\",worker=\"{worker.Name}\""));
        }
        Assert.Equal(flagged.Count, Sum(scrape, "synergai_worker_state", "state=\"flagged\""));
        // Asked for, Orleans' own meter and the runtime's are exported alongside.
        Assert.Matches(new Regex("^orleans_", RegexOptions.Multiline), scrape);
        Assert.Matches(new Regex("^(dotnet|process_runtime)_", RegexOptions.Multiline), scrape);
    }

    internal async Task<string> ScrapeAsync()
    {
        using var http = Silo.HttpClient();
        return await http.GetStringAsync("metrics");
    }

    /// <summary>The sum of a metric's samples whose labels contain <paramref name="label"/> (Prometheus text format).</summary>
    internal static double Sum(string scrape, string metric, string label = "") =>
        scrape.Split('\n')
            .Where(l => (l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal)) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : metric.Length)..]
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture));
}

using SynergAI.Grains;

namespace SynergAI.Silo.Tests;

/// <summary>The web view in a real browser (headless chromium) against a running silo.</summary>
[Collection(SharedSiloCollection.Name)]
public sealed class BrowserTests(SharedSilo shared)
{
    SiloHost Silo => shared.Silo;
    static string Screenshots => Path.Combine(SiloHost.RepositoryRoot(), "docs", "operating");

    [Fact]
    public async Task The_pages_load_and_show_a_submitted_job_move_to_completed_and_a_waiting_jobs_reason()
    {
        var home = await Chromium.DumpDomAsync(Silo.BaseAddress);
        Assert.Contains("<h1>Pools</h1>", home);
        Assert.Contains("synergai", home); // the reference pool's policy
        var workers = await Chromium.DumpDomAsync(new Uri(Silo.BaseAddress, "workers"));
        foreach (var w in new[] { "x86", "agx", "nx" }) Assert.Contains($"<td>{w}</td>", workers);

        // Enough long jobs to keep every worker busy (about 10 s each at time scale 0.01), and one more that waits.
        var jobs = new List<string>();
        for (var i = 0; i < 4; i++)
            jobs.Add((await Silo.Client.SubmitAsync(new JobSpec("tf-mobilenet", Queries: 50_000, QosSeconds: 100_000))).Id);
        try
        {
            // The waiting job's reason passes through transient codes (not yet evaluated, being estimated) before the
            // round settles it; compare the page with a settled one.
            await Until(async () => (await Silo.Client.GetPoolAsync()) is { Running: 3, Queue: [{ WaitCode: not ("NotYetEvaluated" or "BeingEstimated") }] }
                && (await Task.WhenAll(jobs.Select(j => Silo.Client.GetAsync(j)))).Count(j => j!.State == JobState.Running) == 3);
            var first = (await Task.WhenAll(jobs.Select(j => Silo.Client.GetAsync(j)))).First(j => j!.State == JobState.Running)!.Id;
            jobs.Remove(first);
            jobs.Insert(0, first);
            var running = await Chromium.DumpDomAsync(new Uri(Silo.BaseAddress, $"jobs/{jobs[0]}"));
            Assert.Contains("id=\"job-state\">Running<", running);

            var waiting = (await Silo.Client.GetPoolAsync()).Queue.Single();
            Assert.False(string.IsNullOrEmpty(waiting.WaitReason));
            var queue = await Chromium.DumpDomAsync(new Uri(Silo.BaseAddress, "queue"));
            Assert.Contains(waiting.Job, queue);
            Assert.Contains(System.Net.WebUtility.HtmlEncode(waiting.WaitReason), queue);

            await Chromium.ScreenshotAsync(new Uri(Silo.BaseAddress, "queue"), Path.Combine(Screenshots, "queue.png"));
            await Chromium.ScreenshotAsync(new Uri(Silo.BaseAddress, "workers"), Path.Combine(Screenshots, "workers.png"));
            await Chromium.ScreenshotAsync(new Uri(Silo.BaseAddress, $"jobs/{jobs[0]}"), Path.Combine(Screenshots, "job.png"));
            foreach (var id in jobs.Skip(1)) await Silo.Client.CancelAsync(id);

            Assert.Equal(JobState.Completed, (await Silo.Client.WaitForCompletionAsync(jobs[0])).State);
            var completed = await Chromium.DumpDomAsync(new Uri(Silo.BaseAddress, $"jobs/{jobs[0]}"));
            Assert.Contains("id=\"job-state\">Completed<", completed);
            await Chromium.ScreenshotAsync(Silo.BaseAddress, Path.Combine(Screenshots, "pools.png"));
            await Chromium.ScreenshotAsync(new Uri(Silo.BaseAddress, "jobs"), Path.Combine(Screenshots, "jobs.png"));
        }
        finally
        {
            foreach (var id in jobs) await Silo.Client.CancelAsync(id);
        }
    }

    [Fact]
    public async Task The_jobs_page_filters_by_state_and_pages()
    {
        for (var i = 0; i < 3; i++) await Silo.Client.WaitForCompletionAsync((await Silo.Client.SubmitAsync(new JobSpec("tf-mobilenet", 10, 600))).Id);
        var completed = (await Silo.Client.ListJobsAsync()).Count(j => j.State == JobState.Completed);
        var page1 = await Chromium.DumpDomAsync(new Uri(Silo.BaseAddress, "jobs?state=Completed&size=2&page=1"));
        Assert.Contains($"{completed} job(s), page 1 of {(completed + 1) / 2}", page1);
        Assert.Contains(">next<", page1);
        Assert.DoesNotContain("class=\"state-Cancelled\"", page1);
        var page2 = await Chromium.DumpDomAsync(new Uri(Silo.BaseAddress, "jobs?state=Completed&size=2&page=2"));
        Assert.Contains(">previous<", page2);
    }

    static async Task Until(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not met in 30 s");
            await Task.Delay(100);
        }
    }
}

[Collection(KeyedSiloCollection.Name)]
public sealed class KeyedBrowserTests(KeyedSilo keyed)
{
    [Fact]
    public async Task Without_credentials_the_browser_gets_401_and_with_a_key_it_sees_the_pools()
    {
        var denied = await Chromium.DumpDomAsync(keyed.Silo.BaseAddress);
        Assert.DoesNotContain("<h1>Pools</h1>", denied);
        // Headless chromium meets the Basic challenge with no one to ask for the key: the page stays empty.
        Assert.DoesNotContain("<table>", denied);
        var withKey = new UriBuilder(keyed.Silo.BaseAddress) { UserName = "viewer", Password = KeyedSilo.ViewerKey }.Uri;
        Assert.Contains("<h1>Pools</h1>", await Chromium.DumpDomAsync(withKey));
    }
}

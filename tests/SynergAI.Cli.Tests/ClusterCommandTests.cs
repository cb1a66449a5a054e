using System.Text.RegularExpressions;

namespace SynergAI.Cli.Tests;

/// <summary>One in-memory silo process (reference testbed, time scale 0.01) for the cluster commands' tests.</summary>
public sealed class RunningSilo : IAsyncLifetime
{
    public SiloRun Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Accepting in-memory state loss: a developer's own silo on the default ports must not stop this one.
        Silo = SiloRun.Start("--Orleans:AcceptInMemoryStateLoss=true");
        await Silo.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
    }

    public Task DisposeAsync()
    {
        Silo.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The cluster commands against a real silo process, the CLI in-process: exit codes of <c>submit --wait</c>,
/// Ctrl+C while waiting, <c>status</c>'s filters and summary, <c>workers</c>' c*, reads of an unknown pool, and a second
/// silo on the same ports.</summary>
public sealed class ClusterCommandTests(RunningSilo fixture) : IClassFixture<RunningSilo>
{
    /// <summary>A million queries: hours of model time, minutes of real time at scale 0.01.</summary>
    const string Long = "1000000";

    CliRun Cli(params string[] args) => CliRun.Of([.. args, "--gateway", fixture.Silo.Gateway]);

    /// <summary>Until the submission has gone through (the job is known), whatever its state; each check is a CLI run
    /// with a client of its own, slow on a loaded machine, so the bound is in time rather than tries.</summary>
    async Task WaitUntilKnown(string id)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (Cli("status", id, "--format", "csv").ExitCode == 0) return;
            await Task.Delay(200);
        }
        Assert.Fail($"{id} was not submitted within 60 s");
    }

    [Fact]
    public void Submit_wait_exits_0_when_the_job_meets_its_deadline_and_2_when_it_misses_it()
    {
        // 488 TF MobileNet queries take about 12 model seconds on the x86 (README "The control plane").
        var met = Cli("submit", "--engine", "tf-mobilenet", "--queries", "488", "--qos", "600", "--wait");
        Assert.True(met.ExitCode == ExitCodes.Ok, met.Error);
        Assert.Contains("completed", met.Lines[^1]);

        var missed = Cli("submit", "--engine", "tf-mobilenet", "--queries", "488", "--qos", "1", "--wait");
        Assert.True(missed.ExitCode == ExitCodes.Violated, $"exit {missed.ExitCode}: {missed.Error}");
        Assert.Contains("violated true", missed.Lines[^1]);
    }

    [Fact]
    public async Task Submit_wait_exits_4_when_the_job_is_cancelled()
    {
        var id = "cli-cancelled-" + Guid.NewGuid().ToString("N")[..8];
        var waiting = Task.Run(() => Cli("submit", "--engine", "tf-mobilenet", "--queries", Long, "--qos", "1e6", "--id", id, "--wait"));
        await WaitUntilKnown(id);
        Cli("cancel", id).Succeeded();
        var run = await waiting;
        Assert.True(run.ExitCode == ExitCodes.Cancelled, $"exit {run.ExitCode}: {run.Error}");
        Assert.Contains($"{id} cancelled", run.Out);
    }

    [Fact]
    public async Task Ctrl_C_while_waiting_says_the_job_goes_on_and_how_to_follow_or_cancel_it()
    {
        var id = "cli-interrupted-" + Guid.NewGuid().ToString("N")[..8];
        using var ctrlC = new CancellationTokenSource();
        var waiting = Task.Run(() => CliRun.Of(["submit", "--engine", "tf-mobilenet", "--queries", Long, "--qos", "1e6", "--id", id, "--wait",
            "--gateway", fixture.Silo.Gateway], ctrlC.Token));
        try
        {
            await WaitUntilKnown(id);
            await Task.Delay(1000); // the CLI has its answer and waits
            ctrlC.Cancel();
            var run = await waiting;
            Assert.True(run.ExitCode == ExitCodes.Interrupted, $"exit {run.ExitCode}: {run.Error}");
            Assert.Matches(new Regex($@"job {id} is still (queued|dispatched|running) in the cluster"), run.Error);
            Assert.Contains($"'synergai cancel {id}'", run.Error);
        }
        finally
        {
            Cli("cancel", id);
        }
    }

    [Fact]
    public void Status_filters_by_state_pages_and_ends_with_a_summary_line()
    {
        for (var i = 0; i < 3; i++) Cli("submit", "--engine", "tf-mobilenet", "--queries", "10", "--qos", "600", "--wait").Succeeded();

        var all = Cli("status", "--format", "csv").Succeeded();
        var completed = all.Lines.Skip(1).Count(l => l.Split(',')[1] == "completed");
        Assert.True(completed >= 3, all.Out);

        var page = Cli("status", "--state", "completed", "--limit", "2", "--skip", "1", "--format", "csv").Succeeded();
        Assert.Equal(3, page.Lines.Length); // header + 2 rows
        Assert.All(page.Lines.Skip(1), l => Assert.Equal("completed", l.Split(',')[1]));
        Assert.Equal(all.Lines.Skip(1).Where(l => l.Split(',')[1] == "completed").Skip(1).Take(2).Select(l => l.Split(',')[0]),
            page.Lines.Skip(1).Select(l => l.Split(',')[0]));
        // The summary counts the jobs listed (here: those in the state asked for); csv keeps stdout parsable, so it goes to stderr.
        Assert.Matches(new Regex($@"^{completed} jobs in state completed: {completed} completed \(\d+ violated\); showing 2-3 of {completed} \(--skip, --limit\)$", RegexOptions.Multiline), page.Error);
        Assert.Matches(new Regex($@"^\d+ jobs: .*\b{completed} completed \(\d+ violated\)", RegexOptions.Multiline), Cli("status", "--limit", "1").Out);

        var table = Cli("status", "--state", "completed", "--limit", "1").Succeeded();
        Assert.Matches(new Regex($@"showing 1-1 of {completed}"), table.Lines[^1]);
    }

    [Fact]
    public async Task Status_of_a_waiting_job_says_why_it_waits_and_when_it_is_predicted_to_run()
    {
        // Every worker busy for hours of model time, then one more job: it must wait. (Workers are keyed by name, so
        // another pool of the same testbed would take them from this one; the tests of this class run one at a time.)
        string[] busy = ["eta-busy-1", "eta-busy-2", "eta-busy-3"];
        try
        {
            foreach (var id in busy) Cli("submit", "--engine", "tf-mobilenet", "--queries", Long, "--qos", "1e9", "--id", id).Succeeded();
            Cli("submit", "--engine", "tf-mobilenet", "--queries", "10", "--qos", "600", "--id", "eta-waits").Succeeded();

            // Its shard says why it waits after its first round: every worker is busy.
            System.Text.Json.JsonElement job = default;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                job = System.Text.Json.JsonDocument.Parse(Cli("status", "eta-waits", "--format", "json").Succeeded().Out).RootElement;
                if (job.GetProperty("wait").ValueKind == System.Text.Json.JsonValueKind.Object
                    && job.GetProperty("wait").GetProperty("code").GetString() == "AllWorkersBusy") break;
                await Task.Delay(200);
            }
            Assert.Equal("queued", job.GetProperty("state").GetString());
            var wait = job.GetProperty("wait");
            Assert.Equal("AllWorkersBusy", wait.GetProperty("code").GetString());
            Assert.Equal("every worker is busy", job.GetProperty("reason").GetString());
            Assert.Equal(1, wait.GetProperty("position").GetInt32());
            // It is predicted to start when the first busy worker frees up: after its submission, on a named worker.
            var submitted = DateTimeOffset.Parse(job.GetProperty("submitted_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var start = DateTimeOffset.Parse(wait.GetProperty("predicted_start_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var finish = DateTimeOffset.Parse(wait.GetProperty("predicted_finish_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(start > submitted && finish > start, $"{submitted:O} {start:O} {finish:O}");
            Assert.False(string.IsNullOrEmpty(wait.GetProperty("predicted_worker").GetString()));
            Assert.False(wait.GetProperty("predicted_meets_deadline").GetBoolean()); // hours of work ahead of a 600 s deadline

            // The list's table has the position and code; the detail view the words.
            var table = Cli("status", "--state", "queued").Succeeded();
            Assert.Matches(new Regex(@"eta-waits\s+queued.*#1 AllWorkersBusy"), table.Out);
            Assert.Contains("every worker is busy", Cli("status", "eta-waits").Succeeded().Out);
        }
        finally
        {
            foreach (var id in busy.Append("eta-waits")) Cli("cancel", id);
        }
    }

    [Fact]
    public void Workers_shows_c_star_per_engine()
    {
        var run = Cli("workers").Succeeded();
        Assert.Contains("c* per engine (QPS)", run.Out);
        // One line per engine in each worker's cell, e.g. "tf-mobilenet: threads=16 (48.5)".
        Assert.Matches(new Regex(@"tf-mobilenet: (threads|mode)=\S+ \(\d+(\.\d+)?\)"), run.Out);
    }

    [Theory]
    [InlineData("workers")]
    [InlineData("status")]
    [InlineData("submit --engine tf-mobilenet --queries 10 --qos 60")]
    public void Reads_of_an_unknown_pool_say_so_instead_of_creating_it(string command)
    {
        var run = Cli([.. command.Split(' '), "--pool", "nosuchpool"]);
        Assert.Equal(ExitCodes.Error, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: unknown pool 'nosuchpool' (known: default)", line);
    }

    [Fact]
    public void The_silo_started_from_another_folder_has_its_own_folder_as_content_root()
    {
        // So it loads its appsettings.json (Orleans' own logs at Warning) wherever the binary is run from.
        var folder = Path.Combine(SiloRun.RepositoryRoot(), "Silo", "bin");
        Assert.Contains(fixture.Silo.Lines, l => l.Trim().StartsWith("Content root path: " + folder, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Silo.Lines, l => l.StartsWith("info: Orleans.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_silo_on_the_same_ports_is_refused()
    {
        var running = fixture.Silo;
        using var second = SiloRun.Start(running.SiloPort, running.GatewayPort, running.HttpPort, "--Orleans:AcceptInMemoryStateLoss=true");
        var code = await second.ExitCodeAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 1, second.Output);
        Assert.Equal(3, second.Lines.Count(l => l.StartsWith("synergai silo: cannot start: ", StringComparison.Ordinal)));
        Cli("workers").Succeeded(); // the first one is unharmed
    }
}

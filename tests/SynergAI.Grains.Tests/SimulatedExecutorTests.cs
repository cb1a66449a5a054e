using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SynergAI.Grains.Execution;

namespace SynergAI.Grains.Tests;

/// <summary>The simulated executor's run on a fake clock: a run goes on only while its worker acknowledges its
/// heartbeats, so that it has stopped before the worker declares it lost and lets its job run elsewhere.</summary>
public class SimulatedExecutorTests
{
    readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    static readonly SynergAiOptions Options = new() { HeartbeatInterval = TimeSpan.FromSeconds(1), HeartbeatTimeout = TimeSpan.FromSeconds(10) };

    /// <summary>Answers the n-th heartbeat (1, 2, ...) as scripted; records reports.</summary>
    sealed class ScriptedWorker(Func<int, Task<bool>> answer) : IRunReports
    {
        int _beats;
        public ConcurrentQueue<ExecutionReport> Reports { get; } = new();
        public int Beats => Volatile.Read(ref _beats);
        public Task<bool> Heartbeat(string job, int attempt) => answer(Interlocked.Increment(ref _beats));
        public Task Report(ExecutionReport report) { Reports.Enqueue(report); return Task.CompletedTask; }
    }

    static Dispatch Run(double seconds) =>
        new("job-a", 1, "pool", "w1", "tf-resnet50", 100, "threads=4", seconds, TimeScale: 1, DateTimeOffset.UnixEpoch, "test", ProfileSeconds: seconds);

    SimulatedExecutor Executor(ScriptedWorker worker) =>
        new(_ => worker, Microsoft.Extensions.Options.Options.Create(Options), _clock, NullLogger<SimulatedExecutor>.Instance);

    /// <summary>Advances the fake clock a second at a time, letting the run's loop and its heartbeats take their turns.</summary>
    async Task AdvanceAsync(int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            await Task.Delay(30);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        await Task.Delay(30);
    }

    [Fact]
    public async Task A_run_whose_heartbeats_are_acknowledged_runs_to_its_success_report()
    {
        var worker = new ScriptedWorker(_ => Task.FromResult(true));
        var executor = Executor(worker);
        await executor.StartAsync(Run(20), default); // four times the lease

        await AdvanceAsync(21);
        await WaitUntil(() => !worker.Reports.IsEmpty);
        var report = Assert.Single(worker.Reports);
        Assert.True(report.Succeeded);
        Assert.Equal(20, report.MeasuredSeconds);
        Assert.True(worker.Beats >= 15, $"{worker.Beats} heartbeats");
    }

    [Fact]
    public async Task A_run_whose_worker_no_longer_holds_it_stops_at_once_without_a_report()
    {
        var worker = new ScriptedWorker(n => Task.FromResult(n < 3)); // the worker let go after two heartbeats
        var executor = Executor(worker);
        await executor.StartAsync(Run(60), default);

        await AdvanceAsync(3);
        await WaitUntil(async () => !await executor.ResumeAsync(Run(60), default));
        await AdvanceAsync(60);
        Assert.Empty(worker.Reports);
        Assert.Equal(3, worker.Beats);
    }

    [Fact]
    public async Task A_run_whose_heartbeats_go_unanswered_stops_itself_within_the_lease_well_before_the_heartbeat_timeout()
    {
        var unanswered = new TaskCompletionSource<bool>(); // its worker's grain is unreachable: calls hang
        var worker = new ScriptedWorker(n => n <= 2 ? Task.FromResult(true) : unanswered.Task);
        var executor = Executor(worker);
        await executor.StartAsync(Run(60), default);

        await AdvanceAsync(2 + 4); // last acknowledged heartbeat sent at 2 s; 4 s later it still runs
        Assert.True(await executor.ResumeAsync(Run(60), default));
        await AdvanceAsync(1); // 5 s (the lease, half of the 10 s timeout) without an acknowledgement
        await WaitUntil(async () => !await executor.ResumeAsync(Run(60), default));

        unanswered.SetResult(true); // late acknowledgements change nothing: it stopped
        await AdvanceAsync(60);
        Assert.Empty(worker.Reports);
    }

    static Task WaitUntil(Func<bool> condition) => WaitUntil(() => Task.FromResult(condition()));

    static async Task WaitUntil(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200 && !await condition(); i++) await Task.Delay(20);
        Assert.True(await condition());
    }
}

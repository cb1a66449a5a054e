using System.Diagnostics;

namespace SynergAI.Cli.Tests;

/// <summary>Every error the parser or a command's own checks find is one line on stderr, exit code 1, nothing on stdout
/// and no stack trace; a mistyped command or option gets the nearest right one. None of these connect to a cluster
/// (--gateway localhost:1 would make any attempt fail differently).</summary>
public class ParseErrorTests
{
    static string OneErrorLine(params string[] args)
    {
        var run = CliRun.Of(args);
        Assert.True(run.ExitCode == ExitCodes.Error, $"exit code {run.ExitCode}; stderr: {run.Error}");
        Assert.Equal("", run.Out);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("System.", line); // no CLR type names
        return line;
    }

    [Theory]
    [InlineData("--seeds", "NaN", "experiment")]
    [InlineData("--seeds", "abc", "experiment")]
    [InlineData("--seeds", "1.5", "experiment")]
    [InlineData("--jobs", "NaN", "bench simulate")]
    [InlineData("--submissions", "x", "bench control-plane")]
    [InlineData("--queries", "abc", "submit")]
    public void A_value_that_is_not_an_integer_says_an_integer_is_expected(string option, string value, string command)
    {
        var line = OneErrorLine([.. command.Split(' '), option, value]);
        Assert.StartsWith($"error: {option} expects an integer, got '{value}'", line);
        Assert.Contains($"see 'synergai {command} --help'", line);
    }

    [Fact]
    public void A_value_that_is_not_a_number_says_a_number_is_expected() =>
        Assert.StartsWith("error: --qos expects a number, got 'soon'",
            OneErrorLine("submit", "--gateway", "localhost:1", "--engine", "e", "--queries", "1", "--qos", "soon"));

    [Theory]
    [InlineData("workrs", "unknown command 'workrs' for 'synergai'; did you mean 'workers'?")]
    [InlineData("statsu", "unknown command 'statsu' for 'synergai'; did you mean 'status'?")]
    [InlineData("bench simulte", "unknown command 'simulte' for 'synergai bench'; did you mean 'simulate'?")]
    [InlineData("status --fromat csv", "unknown option '--fromat' for 'synergai status'; did you mean '--format'?")]
    [InlineData("status --watch", "unknown option '--watch' for 'synergai status'")]
    [InlineData("experiment --sedes 3", "unknown option '--sedes' for 'synergai experiment'; did you mean '--seeds'?")]
    [InlineData("cancel --pol x job-1", "unknown option '--pol' for 'synergai cancel'; did you mean '--pool'?")]
    [InlineData("bench", "'synergai bench' needs a command: simulate, reevaluate")]
    public void A_mistyped_command_or_option_gets_one_line_with_a_suggestion(string args, string expected)
    {
        var line = OneErrorLine(args.Split(' '));
        Assert.StartsWith($"error: {expected}", line);
    }

    [Theory]
    [InlineData("--queries", "2000000000", "queries must be at most 1000000")]
    [InlineData("--qos", "1e300", "qos must be at most 1000000000 seconds")]
    public void Extreme_values_are_refused_by_the_limits_of_JobSpec(string option, string value, string expected)
    {
        string[] args = ["submit", "--gateway", "localhost:1", "--engine", "tf-mobilenet", "--queries", "10", "--qos", "60"];
        args[Array.IndexOf(args, option) + 1] = value;
        Assert.StartsWith($"error: {expected}", OneErrorLine(args));
    }

    [Fact]
    public void A_plot_path_that_cannot_be_written_fails_before_the_computation()
    {
        var clock = Stopwatch.StartNew();
        var line = OneErrorLine("experiment", "--seeds", "100000", "--plot", "/nonexistent/dir/x.png");
        Assert.Equal("error: --plot /nonexistent/dir/x.png: no folder /nonexistent/dir", line);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}"); // 100,000 seeds would take minutes
    }

    [Theory]
    [InlineData("--state", "queud")]
    [InlineData("--limit", "0")]
    [InlineData("--skip", "-1")]
    public void Bad_status_filters_are_refused_before_connecting(string option, string value) =>
        Assert.Contains(option, OneErrorLine("status", "--gateway", "localhost:1", option, value));

    [Fact]
    public void A_long_experiment_shows_its_progress_on_stderr_when_there_is_no_terminal()
    {
        var run = CliRun.Of("experiment", "--experiment", "DL-FL", "--policies", "rr", "--seeds", "20", "--format", "csv").Succeeded();
        Assert.Contains("  20/20 runs (100%)", run.Error);
        Assert.Contains("  2/20 runs (10%)", run.Error);
    }

    [Theory]
    [InlineData(Grains.JobState.Completed, false, ExitCodes.Ok)]
    [InlineData(Grains.JobState.Completed, true, ExitCodes.Violated)]
    [InlineData(Grains.JobState.Failed, null, ExitCodes.Failed)]
    [InlineData(Grains.JobState.Cancelled, null, ExitCodes.Cancelled)]
    public void Submit_wait_exits_0_only_for_a_job_completed_within_its_deadline(Grains.JobState state, bool? violated, int expected)
    {
        var status = new Grains.JobStatus("job-1", "default", new Grains.JobSpec("e", 1, 1), state, Attempts: 1, Worker: null, Config: null,
            SubmittedAt: DateTimeOffset.UnixEpoch, DispatchedAt: null, StartedAt: null, CompletedAt: null, Violated: violated,
            ExcessSeconds: null, Reason: null, TimeScale: 1);
        Assert.Equal(expected, Commands.SubmitCommand.WaitExitCode(status));
    }
}

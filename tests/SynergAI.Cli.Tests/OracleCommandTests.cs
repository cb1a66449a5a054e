namespace SynergAI.Cli.Tests;

public class OracleCommandTests
{
    [Fact]
    public void Oracle_prints_one_row_and_writes_the_schedule()
    {
        using var folder = new TempFolder();
        var trace = folder.File("trace.csv", CliRun.Of("trace", "--experiment", "DH-FH", "--seed", "3").Succeeded().Out);
        var schedule = folder.File("schedule.csv");

        var run = CliRun.Of("oracle", "--trace", trace, "--seconds", "20", "--schedule-out", schedule).Succeeded();

        Assert.Equal("violations,lower_bound,excess_s,status,solve_s", run.Lines[0]);
        var row = Assert.Single(run.Lines.Skip(1)).Split(',');
        Assert.Equal(5, row.Length);
        var violations = int.Parse(row[0]);
        Assert.InRange(int.Parse(row[1]), 0, violations);
        Assert.Contains(row[3], new[] { "OPTIMAL", "FEASIBLE" });
        var lines = File.ReadAllLines(schedule);
        Assert.Equal("job,worker,config,start_s,end_s,violated", lines[0]);
        Assert.Equal(24, lines.Length - 1);
        Assert.Equal(violations, lines.Skip(1).Count(l => l.EndsWith(",true")));

        // No policy on the same trace does better.
        var policies = CliRun.Of("experiment", "--trace", trace, "--format", "csv").Succeeded();
        Assert.All(policies.Lines.Skip(1), l => Assert.True(int.Parse(l.Split(',')[2]) >= violations, l));
    }

    [Fact]
    public void Experiment_oracle_adds_an_oracle_row_to_a_single_trace_and_to_every_table_of_seeds()
    {
        var one = CliRun.Of("experiment", "--experiment", "DL-FH", "--seed", "2", "--policies", "synergai", "--oracle", "--format", "csv").Succeeded();
        Assert.Equal(["synergai", "oracle"], one.Lines.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Contains("oracle: all 1 solves proven optimal", one.Error);

        var seeds = CliRun.Of("experiment", "--experiment", "all", "--seeds", "2", "--policies", "synergai,slo-mael", "--oracle",
            "--arrivals", "bursty", "--format", "csv").Succeeded();
        var rows = seeds.Lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(12, rows.Count);
        foreach (var experiment in rows.GroupBy(r => r[0]))
        {
            Assert.Equal(["synergai", "slo-mael", "oracle"], experiment.Select(r => r[1]));
            var oracle = double.Parse(experiment.Last()[3]);
            Assert.All(experiment, r => Assert.True(double.Parse(r[3]) >= oracle, $"{experiment.Key}: {r[1]} below the oracle"));
        }
        Assert.Contains("bursty arrivals", seeds.Error);
    }

    [Fact]
    public void Experiment_fleet_varied_prints_each_fleet_with_the_oracle_and_each_policys_distance_to_it()
    {
        var run = CliRun.Of("experiment", "--fleet", "varied", "--experiment", "DL-FH", "--seeds", "2", "--policies", "synergai,slack-aware",
            "--oracle", "--oracle-threads", "1", "--oracle-seconds", "5", "--format", "csv").Succeeded();
        var lines = run.Out.Split('\n', StringSplitOptions.TrimEntries);
        var blank = Array.IndexOf(lines, "");
        Assert.Equal("experiment,arrivals,seed,workers,classes,engines,jobs,floor,synergai,slack-aware,oracle,oracle_lower_bound,oracle_status,oracle_excess_s",
            lines[0]);
        var fleets = lines[1..blank].Select(l => l.Split(',')).ToList();
        Assert.Equal(["1", "2"], fleets.Select(f => f[2]));
        foreach (var f in fleets)
        {
            Assert.Equal(("DL-FH", "poisson", "40"), (f[0], f[1], f[6]));
            var (oracle, bound) = (int.Parse(f[10]), int.Parse(f[11]));
            Assert.InRange(bound, int.Parse(f[7]), oracle); // floor ≤ bound ≤ value
            Assert.True(int.Parse(f[8]) >= bound && int.Parse(f[9]) >= bound);
        }
        Assert.StartsWith("policy,experiment,fleets,violations_mean,oracle_mean,lower_bound_mean,ratio_of_sums", lines[blank + 1]);
        Assert.Equal(["synergai,DL-FH", "synergai,all", "slack-aware,DL-FH", "slack-aware,all"],
            lines[(blank + 2)..].Where(l => l.Length > 0).Select(l => string.Join(',', l.Split(',')[..2])));
    }

    [Fact]
    public void Experiment_replan_adds_a_row_per_lookahead_between_the_policies_and_the_oracle()
    {
        var one = CliRun.Of("experiment", "--experiment", "DL-FH", "--seed", "2", "--policies", "synergai", "--replan", "0,30",
            "--replan-seconds", "0.5", "--oracle", "--format", "csv").Succeeded();
        var rows = one.Lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["synergai", "replan", "replan+30s", "oracle"], rows.Select(r => r[0]));
        var oracle = int.Parse(rows[^1][2]);
        Assert.All(rows, r => Assert.True(int.Parse(r[2]) >= oracle, $"{r[0]} below the oracle"));

        var fleets = CliRun.Of("experiment", "--fleet", "varied", "--experiment", "DL-FH", "--seeds", "2", "--policies", "slack-aware",
            "--replan", "0", "--replan-seconds", "0.5", "--oracle", "--oracle-threads", "1", "--format", "csv").Succeeded();
        var lines = fleets.Out.Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith("experiment,arrivals,seed,workers,classes,engines,jobs,floor,slack-aware,replan,oracle,", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("replan,all,2,"));
        Assert.Contains("1 policies, replan and the oracle", fleets.Error);
    }

    [Fact]
    public void Trace_arrivals_bursty_gives_another_trace_of_the_same_shape()
    {
        var poisson = CliRun.Of("trace", "--experiment", "DL-FL", "--seed", "4").Succeeded();
        var explicitPoisson = CliRun.Of("trace", "--experiment", "DL-FL", "--seed", "4", "--arrivals", "poisson").Succeeded();
        var bursty = CliRun.Of("trace", "--experiment", "DL-FL", "--seed", "4", "--arrivals", "bursty").Succeeded();
        Assert.Equal(poisson.Out, explicitPoisson.Out);
        Assert.NotEqual(poisson.Out, bursty.Out);
        Assert.Equal(25, bursty.Lines.Length);
    }

    [Theory]
    [InlineData("--arrivals shapes generated traces", "experiment", "--trace", "TRACE", "--arrivals", "bursty")]
    [InlineData("--oracle-seconds goes with --oracle", "experiment", "--seed", "1", "--experiment", "DL-FL", "--oracle-seconds", "3")]
    [InlineData("--oracle goes with simulator runs", "experiment", "--live", "--seed", "1", "--experiment", "DL-FL", "--oracle")]
    [InlineData("--seconds must be a positive number of seconds", "oracle", "--trace", "TRACE", "--seconds", "0")]
    [InlineData("'uniform'", "trace", "--experiment", "DL-FL", "--arrivals", "uniform")]
    [InlineData("--seed does not go with --fleet varied", "experiment", "--fleet", "varied", "--seed", "1")]
    [InlineData("--oracle-threads goes with --oracle", "experiment", "--fleet", "scaled", "--oracle-threads", "1")]
    [InlineData("--replan takes lookaheads in seconds ≥ 0", "experiment", "--seed", "1", "--experiment", "DL-FL", "--replan", "0,soon")]
    [InlineData("--replan-seconds goes with --replan", "experiment", "--seed", "1", "--experiment", "DL-FL", "--replan-seconds", "1")]
    [InlineData("--replan goes with simulator runs", "experiment", "--live", "--seed", "1", "--experiment", "DL-FL", "--replan", "0")]
    [InlineData("--replan goes with neither --drift", "experiment", "--seed", "1", "--experiment", "DL-FL", "--replan", "0", "--learn")]
    [InlineData("--trace", "oracle")]
    [InlineData("no-such-file", "oracle", "--trace", "no-such-file.csv")]
    public void Bad_input_is_a_one_line_error(string expected, params string[] args)
    {
        using var folder = new TempFolder();
        var trace = folder.File("trace.csv", CliRun.Of("trace", "--experiment", "DL-FL", "--seed", "1").Succeeded().Out);
        var run = CliRun.Of([.. args.Select(a => a == "TRACE" ? trace : a)]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.StartsWith("error:", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }
}

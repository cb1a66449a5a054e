using SynergAI.Scheduling;
namespace SynergAI.Cli.Tests;

public class ExperimentCommandTests
{
    const string RunHeader = "policy,jobs,violations,wait_mean_s,e2e_mean_s,e2e_p99_s,e2e_max_s,excess_mean_violating_s,excess_mean_all_s";
    const string JobsHeader = "policy,job,worker,config,submitted_s,started_s,completed_s,violated,waited_for";

    /// <summary>A fleet the thesis never had: other architectures, engine and configuration names, five workers.</summary>
    static TempFolder OtherFleet()
    {
        var folder = new TempFolder();
        folder.File("workers.csv", """
            worker,arch,cpus,memory_gb,default_config
            gpu-a100,x86_64,32,256,batch=1
            gpu-t4,x86_64,8,64,batch=1
            riscv-7,riscv64,4,8,freq=low
            pi5-a,arm64,4,8,freq=low
            pi5-b,arm64,4,8,freq=low
            """);
        folder.File("profile.csv", """
            worker,engine,config,qps,preprocess_s
            gpu-a100,bert-large,batch=1,120,4
            gpu-a100,bert-large,batch=8,400,5
            gpu-a100,yolo-v8,batch=1,300,2
            gpu-t4,bert-large,batch=1,40,4
            gpu-t4,bert-large,batch=8,90,4.5
            gpu-t4,yolo-v8,batch=1,100,2
            riscv-7,yolo-v8,freq=low,2,10
            riscv-7,yolo-v8,freq=high,3.5,9
            pi5-a,yolo-v8,freq=low,4,8
            pi5-b,yolo-v8,freq=low,4,8
            pi5-b,bert-large,freq=low,1,20
            """);
        return folder;
    }

    [Fact]
    public void Trace_csv_prints_exactly_the_documented_columns_one_row_per_policy()
    {
        using var folder = new TempFolder();
        var trace = folder.File("trace.csv", CliRun.Of("trace", "--experiment", "DL-FH", "--seed", "7").Succeeded().Out);

        var run = CliRun.Of("experiment", "--trace", trace, "--policies", "all", "--format", "csv").Succeeded();

        Assert.Equal(RunHeader, run.Lines[0]);
        Assert.Equal(["synergai", "rr", "srr", "lru", "mru", "be", "slo-mael", "slack-aware"], run.Lines.Skip(1).Select(l => l.Split(',')[0]));
        foreach (var row in run.Lines.Skip(1).Select(l => l.Split(',')))
        {
            Assert.Equal(9, row.Length);
            Assert.Equal("24", row[1]);
            Assert.InRange(int.Parse(row[2]), 0, 24);
        }
    }

    [Fact]
    public void Jobs_out_writes_one_row_per_job_and_policy()
    {
        using var folder = new TempFolder();
        var trace = folder.File("trace.csv", CliRun.Of("trace", "--experiment", "DH-FH", "--seed", "3").Succeeded().Out);
        var jobs = folder.File("jobs.csv");

        var run = CliRun.Of("experiment", "--trace", trace, "--policies", "synergai,be", "--format", "csv", "--jobs-out", jobs).Succeeded();

        var lines = File.ReadAllLines(jobs);
        Assert.Equal(JobsHeader, lines[0]);
        Assert.Equal(48, lines.Length - 1);
        var synergai = lines.Skip(1).Select(l => l.Split(',')).Where(r => r[0] == "synergai").ToList();
        Assert.Equal(24, synergai.Select(r => r[1]).Distinct().Count());
        // The violated column agrees with the summary's count.
        var summary = run.Lines.Single(l => l.StartsWith("synergai,")).Split(',');
        Assert.Equal(int.Parse(summary[2]), synergai.Count(r => r[7] == "true"));
        // SynergAI runs in optimal configurations, so on the reference testbed it never uses the AGX's default mode 1.
        Assert.DoesNotContain(synergai, r => r[2] == "agx" && r[3] == "mode=1");
        // Every job says why it waited, with a code of the one list; a job that started on arrival did not wait.
        Assert.All(synergai, r => WaitReasons.Parse(r[8]));
        Assert.All(synergai.Where(r => r[4] == r[5]), r => Assert.Equal("None", r[8]));
        Assert.Contains(synergai, r => r[8] != "None");
    }

    [Fact]
    public void Works_on_a_testbed_and_trace_it_has_never_seen()
    {
        using var fleet = OtherFleet();
        var traceText = CliRun.Of("trace", "--testbed", fleet.Path, "--experiment", "DL-FL", "--seed", "5").Succeeded().Out;
        Assert.Contains("bert-large", traceText);
        var trace = fleet.File("trace.csv", traceText);
        var jobs = fleet.File("jobs.csv");

        var run = CliRun.Of("experiment", "--testbed", fleet.Path, "--trace", trace, "--format", "csv", "--jobs-out", jobs).Succeeded();

        Assert.Equal(1 + SynergAI.Scheduling.Policies.PolicyCatalog.Names.Count, run.Lines.Length); // a header, then every policy of the catalog
        Assert.All(run.Lines.Skip(1), l => Assert.Equal("4", l.Split(',')[1])); // 2 engines × 2 jobs each
        var rows = File.ReadAllLines(jobs).Skip(1).Select(l => l.Split(',')).ToList();
        // No policy puts a job on a worker without a profile for its engine (bert-large: gpu-a100, gpu-t4, pi5-b).
        var engineOf = traceText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToDictionary(r => r[0], r => r[2]);
        Assert.All(rows.Where(r => engineOf[r[1]] == "bert-large"), r => Assert.Contains(r[2], new[] { "gpu-a100", "gpu-t4", "pi5-b" }));
        Assert.Contains(rows, r => r[0] == "synergai" && r[3] == "batch=8");
    }

    [Fact]
    public void Seeds_mode_prints_a_table_per_experiment_and_a_chart()
    {
        using var folder = new TempFolder();
        var chart = folder.File("violations.png");

        var run = CliRun.Of("experiment", "--experiment", "all", "--policies", "all", "--seeds", "3", "--plot", chart).Succeeded();

        foreach (var name in new[] { "DL-FL", "DL-FH", "DH-FL", "DH-FH" }) Assert.Contains($"{name}: mean ± 95% CI over 3 seeds", run.Out);
        Assert.Contains("slo-mael", run.Out);
        var png = File.ReadAllBytes(chart);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.DoesNotContain("running", run.Out); // messages go to stderr
        Assert.Contains("running 4 experiment(s)", run.Error);
    }

    [Fact]
    public void Seeds_mode_csv_has_a_mean_and_interval_per_metric()
    {
        var run = CliRun.Of("experiment", "--experiment", "DL-FL", "--policies", "synergai,rr", "--seeds", "4", "--format", "csv").Succeeded();

        Assert.StartsWith("experiment,policy,seeds,violations_mean,violations_ci95,wait_mean_s_mean", run.Lines[0]);
        Assert.Equal(3, run.Lines.Length);
        Assert.StartsWith("DL-FL,synergai,4,", run.Lines[1]);
    }

    [Fact]
    public void Single_seed_matches_the_same_trace_given_as_a_file()
    {
        using var folder = new TempFolder();
        var trace = folder.File("trace.csv", CliRun.Of("trace", "--experiment", "DL-FH", "--seed", "11").Succeeded().Out);

        var fromSeed = CliRun.Of("experiment", "--experiment", "DL-FH", "--seed", "11", "--format", "csv").Succeeded();
        var fromFile = CliRun.Of("experiment", "--trace", trace, "--format", "csv").Succeeded();

        Assert.Equal(fromSeed.Out, fromFile.Out);
    }

    [Theory]
    [InlineData("engine", "not-an-engine", "field 'engine'")]
    [InlineData("queries", "-5", "field 'queries'")]
    [InlineData("qos_s", "NaN", "field 'qos_s'")]
    public void A_bad_trace_fails_with_file_line_and_field_and_writes_nothing(string field, string value, string expected)
    {
        using var folder = new TempFolder();
        var good = CliRun.Of("trace", "--experiment", "DL-FL", "--seed", "2").Succeeded().Lines;
        var columns = good[0].Split(',');
        var third = good[3].Split(',');
        third[Array.IndexOf(columns, field)] = value;
        good[3] = string.Join(',', third);
        var trace = folder.File("trace.csv", string.Join('\n', good));
        var jobs = folder.File("jobs.csv");

        var run = CliRun.Of("experiment", "--trace", trace, "--format", "csv", "--jobs-out", jobs);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"trace.csv:4: {expected}", run.Error);
        Assert.Equal("", run.Out);
        Assert.False(File.Exists(jobs));
    }

    [Fact]
    public void A_duplicate_job_id_is_rejected()
    {
        using var folder = new TempFolder();
        var trace = folder.File("trace.csv", "job,arrival_s,engine,queries,qos_s\njob-a,0,tf-resnet50,488,100\njob-a,5,tf-mobilenet,488,100\n");

        var run = CliRun.Of("experiment", "--trace", trace);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("trace.csv:3: field 'job': duplicate job id 'job-a'", run.Error);
    }

    [Theory]
    [InlineData("experiment", "--policies", "fifo")]
    [InlineData("experiment", "--experiment", "DX-FL")]
    [InlineData("experiment", "--seeds", "0")]
    [InlineData("experiment", "--noise", "-1")]
    [InlineData("experiment", "--testbed", "/no/such/folder")]
    [InlineData("experiment", "--trace", "/no/such/trace.csv")]
    [InlineData("experiment", "--jobs-out", "x.csv")]
    [InlineData("trace", "--experiment", "all")]
    [InlineData("bench", "simulate", "--workers", "0")]
    public void Bad_arguments_fail_with_a_message_and_a_non_zero_exit_code(params string[] args)
    {
        var run = CliRun.Of(args);

        Assert.NotEqual(0, run.ExitCode);
        Assert.NotEqual("", run.Error.Trim());
        Assert.Equal("", run.Out.Trim());
    }

    [Fact]
    public void A_testbed_with_a_bad_profile_names_the_file_line_and_field()
    {
        using var fleet = OtherFleet();
        File.AppendAllText(Path.Combine(fleet.Path, "profile.csv"), "\njetson-orin,yolo-v8,mode=0,10,1\n");

        var run = CliRun.Of("trace", "--testbed", fleet.Path, "--experiment", "DL-FL");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("profile.csv:13: field 'worker': unknown worker 'jetson-orin'", run.Error);
    }

    [Fact]
    public void Bench_simulate_prints_the_documented_columns()
    {
        var run = CliRun.Of("bench", "simulate", "--jobs", "300", "--workers", "9", "--format", "csv").Succeeded();

        Assert.Equal("policy,jobs,workers,seconds,jobs_per_s,cpu_s", run.Lines[0]);
        Assert.Equal(1 + SynergAI.Scheduling.Policies.PolicyCatalog.Names.Count, run.Lines.Length); // a header, then every policy of the catalog
        Assert.All(run.Lines.Skip(1), l => Assert.Equal(["300", "9"], l.Split(',')[1..3]));
    }
}

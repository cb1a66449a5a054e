using System.Text.RegularExpressions;
using k8s.Models;
using SynergAI.Grains;
using SynergAI.Grains.Execution.Kubernetes;

namespace SynergAI.Kubernetes.Tests;

public class JobPodTests
{
    static readonly Regex Dns1123Label = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    static readonly Regex LabelValue = new("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");

    static KubernetesExecutorOptions Options() => new()
    {
        Namespace = "jobs",
        Nodes = new() { ["x86"] = "cloud-vm-1" },
        PowerModeImage = "example/nvpmodel:1",
        Engines =
        [
            new EngineImage
            {
                Engine = "onnx-mobilenet-opset11", Image = "example/onnx:1", Command = ["python", "run.py"],
                Args = ["--queries={queries}", "--threads={threads}", "--job={job}", "--mode={mode}"],
                Env = new() { ["MODEL"] = "mobilenet" },
            },
        ],
    };

    static Dispatch Dispatch(string job = "job-1", int attempt = 1, string worker = "x86", string config = "threads=8") =>
        new(job, attempt, "default", worker, "onnx-mobilenet-opset11", 975, config, 12.5, 0.02, DateTimeOffset.UnixEpoch, "fastest");

    [Fact]
    public void The_pod_name_is_deterministic_valid_and_apart_for_other_attempts_and_jobs()
    {
        Assert.Equal(JobPod.Name("job-1", 1), JobPod.Name("job-1", 1));
        Assert.NotEqual(JobPod.Name("job-1", 1), JobPod.Name("job-1", 2));
        Assert.NotEqual(JobPod.Name("Job_1", 1), JobPod.Name("job-1", 1)); // sanitised alike, told apart by the hash
        Assert.StartsWith("synergai-job-1-1-", JobPod.Name("job-1", 1));

        string[] awkward = ["A/very:Long job id with spaces and ÜNICODE " + new string('x', 200), "---", "", "123", "ends-with-dash-", "..a..b.."];
        foreach (var job in awkward)
            foreach (var attempt in new[] { 1, 12, 99999 })
            {
                var name = JobPod.Name(job, attempt);
                Assert.True(name.Length <= 63, $"{name} is {name.Length} long");
                Assert.Matches(Dns1123Label, name);
            }
    }

    [Fact]
    public void Labels_are_valid_and_the_exact_values_are_in_the_annotations()
    {
        var job = "Tenant/Job #42 " + new string('y', 80);
        var pod = JobPod.Build(Dispatch(job: job, config: "threads=16"), Options());

        var labels = pod.Metadata.Labels;
        Assert.Equal("synergai-job", labels["app"]);
        foreach (var (key, value) in labels) Assert.True(value.Length <= 63 && LabelValue.IsMatch(value), $"label {key}={value}");
        Assert.Equal("threads-16", labels[JobPod.ConfigurationKey]);
        Assert.Equal("1", labels[JobPod.AttemptKey]);
        Assert.Equal("x86", labels[JobPod.WorkerKey]);
        Assert.Equal("onnx-mobilenet-opset11", labels[JobPod.EngineKey]);

        var notes = pod.Metadata.Annotations;
        Assert.Equal(job, notes[JobPod.JobKey]);
        Assert.Equal("threads=16", notes[JobPod.ConfigurationKey]);
        Assert.Equal("975", notes[JobPod.QueriesKey]);
        Assert.Equal("12.5", notes[JobPod.EstimateSecondsKey]);
        Assert.Equal("0.02", notes[JobPod.TimeScaleKey]);
        Assert.Equal("cloud-vm-1", notes[JobPod.NodeKey]);
        Assert.Equal("jobs", pod.Metadata.NamespaceProperty);
        Assert.Equal(JobPod.Name(job, 1), pod.Metadata.Name);
    }

    [Theory]
    [InlineData("x86", "cloud-vm-1")] // mapped
    [InlineData("agx", "agx")]        // not mapped: the worker's own name
    public void The_pod_is_pinned_to_the_workers_node_by_required_affinity(string worker, string node)
    {
        var pod = JobPod.Build(Dispatch(worker: worker, config: "threads=2"), Options());

        var terms = pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms;
        var term = Assert.Single(terms);
        var field = Assert.Single(term.MatchFields);
        Assert.Equal(("metadata.name", "In"), (field.Key, field.OperatorProperty));
        Assert.Equal([node], field.Values);
        Assert.Null(pod.Spec.NodeName);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
    }

    [Fact]
    public void Threads_set_the_thread_variables_and_as_many_cpus_requested_and_limited()
    {
        var options = Options();
        options.ThreadVariables = ["ORT_INTRA_OP_THREADS"];
        var pod = JobPod.Build(Dispatch(config: "threads=8"), options);

        var engine = Assert.Single(pod.Spec.Containers);
        var env = engine.Env.ToDictionary(e => e.Name, e => e.Value);
        foreach (var variable in new[] { "OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "SYNERGAI_THREADS", "ORT_INTRA_OP_THREADS" })
            Assert.Equal("8", env[variable]);
        Assert.Equal("mobilenet", env["MODEL"]);
        Assert.Equal("975", env["SYNERGAI_QUERIES"]);
        Assert.Equal(new ResourceQuantity("8"), engine.Resources.Requests["cpu"]);
        Assert.Equal(new ResourceQuantity("8"), engine.Resources.Limits["cpu"]);
        Assert.Equal(["python", "run.py"], engine.Command);
        Assert.Equal(["--queries=975", "--threads=8", "--job=job-1", "--mode="], engine.Args);
        Assert.Null(pod.Spec.InitContainers);
    }

    [Fact]
    public void A_jetson_mode_adds_a_privileged_init_container_that_sets_the_mode_only_when_it_differs()
    {
        var pod = JobPod.Build(Dispatch(worker: "agx", config: "mode=6"), Options());

        var init = Assert.Single(pod.Spec.InitContainers);
        Assert.Equal(JobPod.PowerModeContainer, init.Name);
        Assert.Equal("example/nvpmodel:1", init.Image);
        Assert.True(init.SecurityContext.Privileged);
        Assert.Equal("6", Assert.Single(init.Env).Value);
        Assert.Equal(["sh", "-c", JobPod.PowerModeScript], init.Command);
        Assert.Contains("nvpmodel -q", JobPod.PowerModeScript);
        Assert.Contains("exit 0", JobPod.PowerModeScript); // the skip, before …
        Assert.Contains("nvpmodel -m \"$SYNERGAI_POWER_MODE\"", JobPod.PowerModeScript); // … the switch
        var engine = Assert.Single(pod.Spec.Containers);
        Assert.Null(engine.Resources); // the whole board: no CPU request
        Assert.DoesNotContain(engine.Env, e => e.Name == "OMP_NUM_THREADS");
        Assert.Contains("--mode=6", engine.Args);
    }

    [Fact]
    public void The_power_mode_script_switches_only_when_nvpmodel_reports_another_mode()
    {
        // Run the script with a stand-in nvpmodel that reports mode 2 and logs every switch.
        if (OperatingSystem.IsWindows()) return; // needs sh
        var bin = Directory.CreateTempSubdirectory("nvpmodel");
        var log = Path.Combine(bin.FullName, "switches");
        File.WriteAllText(Path.Combine(bin.FullName, "nvpmodel"),
            $"#!/bin/sh\nif [ \"$1\" = \"-q\" ]; then printf 'NV Power Mode: MODE_15W\\n2\\n'; else echo \"$@\" >> {log}; fi\n");
        File.SetUnixFileMode(Path.Combine(bin.FullName, "nvpmodel"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        string Run(string mode)
        {
            var start = new System.Diagnostics.ProcessStartInfo("sh", ["-c", JobPod.PowerModeScript]) { RedirectStandardOutput = true };
            start.Environment["PATH"] = $"{bin.FullName}:{Environment.GetEnvironmentVariable("PATH")}";
            start.Environment["SYNERGAI_POWER_MODE"] = mode;
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
            return output;
        }

        Assert.Contains("already set", Run("2"));
        Assert.False(File.Exists(log));
        Assert.Contains("2 -> 6", Run("6"));
        Assert.Equal("-m 6", File.ReadAllText(log).Trim());
    }

    [Fact]
    public void An_engine_without_an_image_fails_with_a_message_naming_it()
    {
        var dispatch = Dispatch() with { Engine = "tf-resnet50" };
        var e = Assert.Throws<InvalidOperationException>(() => JobPod.Build(dispatch, Options()));
        Assert.Equal("no image for engine 'tf-resnet50' in SynergAI:Kubernetes:Engines", e.Message);
    }

    [Fact]
    public void A_mode_without_a_power_mode_image_fails_with_a_message()
    {
        var options = Options();
        options.PowerModeImage = "";
        var e = Assert.Throws<InvalidOperationException>(() => JobPod.Build(Dispatch(worker: "nx", config: "mode=4"), options));
        Assert.Contains("PowerModeImage", e.Message);
    }

    [Fact]
    public void The_validator_names_each_bad_setting()
    {
        var options = Options();
        options.Namespace = "Bad_NS";
        options.ApiServer = "ftp://x";
        options.Engines.Add(new EngineImage { Engine = "onnx-mobilenet-opset11", Image = "", Args = ["{nope}"] });
        var result = new KubernetesExecutorOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var problems = result.Failures!.ToArray();
        Assert.Contains(problems, p => p.Contains("Namespace 'Bad_NS'"));
        Assert.Contains(problems, p => p.Contains("ApiServer 'ftp://x'"));
        Assert.Contains(problems, p => p.Contains("listed twice"));
        Assert.Contains(problems, p => p.Contains("Image must not be empty"));
        Assert.Contains(problems, p => p.Contains("unknown placeholder '{nope}'"));
        Assert.True(new KubernetesExecutorOptionsValidator().Validate(null, Options()).Succeeded);
    }

    [Fact]
    public void Unknown_executor_names_are_rejected_with_the_choices()
    {
        var result = new SynergAiOptionsValidator().Validate(null, new SynergAiOptions { Executor = "docker" });
        Assert.Contains(result.Failures!, p => p == "SynergAI:Executor 'docker' is not an executor; use simulated or kubernetes");
        Assert.True(new SynergAiOptionsValidator().Validate(null, new SynergAiOptions { Executor = "kubernetes" }).Succeeded);
    }
}

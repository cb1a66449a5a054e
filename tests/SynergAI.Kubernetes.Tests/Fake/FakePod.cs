using System.Diagnostics;
using System.Globalization;
using k8s.Models;
using SynergAI.Grains.Execution.Kubernetes;

namespace SynergAI.Kubernetes.Tests.Fake;

/// <summary>
/// A pod in the fake: what was created (<see cref="Object"/>, whose status the behaviour moves through
/// <see cref="Run"/>, <see cref="Succeed"/>, <see cref="Fail"/>) and what happened to it: when it ran, how it ended, who
/// deleted it. <see cref="Stopped"/> is cancelled when the pod is deleted.
/// </summary>
public sealed class FakePod
{
    readonly FakeKubernetes _server;
    readonly CancellationTokenSource _stopped = new();

    internal FakePod(FakeKubernetes server, V1Pod pod)
    {
        _server = server;
        Object = pod;
        Name = pod.Metadata.Name;
        Namespace = pod.Metadata.NamespaceProperty;
    }

    public V1Pod Object { get; }
    public string Name { get; }
    public string Namespace { get; }
    public CancellationToken Stopped => _stopped.Token;

    public string? Annotation(string key) => Object.Metadata.Annotations?.TryGetValue(key, out var v) == true ? v : null;
    public string? Job => Annotation(JobPod.JobKey);
    public int Attempt => int.Parse(Annotation(JobPod.AttemptKey) ?? "0", CultureInfo.InvariantCulture);
    /// <summary>Real seconds the simulated executor would run this attempt: estimate × time scale (noise 0).</summary>
    public double SimulatedSeconds =>
        double.Parse(Annotation(JobPod.EstimateSecondsKey)!, CultureInfo.InvariantCulture) * double.Parse(Annotation(JobPod.TimeScaleKey)!, CultureInfo.InvariantCulture);

    /// <summary>The node the pod is pinned to (its required node affinity on metadata.name).</summary>
    public string? Node => Object.Spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms?
        .SelectMany(t => t.MatchFields ?? []).FirstOrDefault(f => f.Key == "metadata.name" && f.OperatorProperty == "In")?.Values?.SingleOrDefault();
    public V1Container Engine => Object.Spec.Containers.Single(c => c.Name == JobPod.EngineContainer);
    public string? EnvOf(string variable) => Engine.Env?.FirstOrDefault(e => e.Name == variable)?.Value;
    public string? CpuRequest => Engine.Resources?.Requests?.TryGetValue("cpu", out var q) == true ? q.ToString() : null;
    public string? CpuLimit => Engine.Resources?.Limits?.TryGetValue("cpu", out var q) == true ? q.ToString() : null;
    /// <summary>The power mode its init container sets, if it has one.</summary>
    public string? PowerMode => Object.Spec.InitContainers?.SingleOrDefault(c => c.Name == JobPod.PowerModeContainer)?.Env?
        .SingleOrDefault(e => e.Name == "SYNERGAI_POWER_MODE")?.Value;

    /// <summary>Stopwatch timestamps of the time it spent Running (null: never ran / still running).</summary>
    public long? RunningFrom { get; private set; }
    public long? RunningUntil { get; private set; }
    public string Phase { get { lock (_server.Gate) return Object.Status.Phase; } }
    public bool Deleted { get; private set; }
    public string? DeletedBy { get; private set; }

    public void Run() => Move(status =>
    {
        status.Phase = "Running";
        status.StartTime = DateTime.UtcNow;
        status.ContainerStatuses = [new V1ContainerStatus { Name = JobPod.EngineContainer, Ready = true, State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Seconds(DateTime.UtcNow) } } }];
        RunningFrom ??= Stopwatch.GetTimestamp();
    });

    /// <summary>Succeeded; its engine container's terminated state says it ran <paramref name="ranFor"/> (default: since
    /// <see cref="Run"/>).</summary>
    public void Succeed(TimeSpan? ranFor = null) => End("Succeeded", 0, "Completed", null, ranFor);

    public void Fail(int exitCode = 1, string reason = "Error", string? message = null) => End("Failed", exitCode, reason, message, null);

    /// <summary>Stays Pending with a container waiting for a reason (e.g. ImagePullBackOff).</summary>
    public void Wait(string reason) => Move(status =>
        status.ContainerStatuses = [new V1ContainerStatus { Name = JobPod.EngineContainer, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason } } }]);

    /// <summary>Container times to the whole second, as a real API server keeps them.</summary>
    static DateTime Seconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    void End(string phase, int exitCode, string reason, string? message, TimeSpan? ranFor) => Move(status =>
    {
        status.Phase = phase;
        var now = DateTime.UtcNow;
        var started = ranFor is { } ran ? now - ran : status.ContainerStatuses?.FirstOrDefault()?.State?.Running?.StartedAt;
        status.ContainerStatuses = [new V1ContainerStatus
        {
            Name = JobPod.EngineContainer,
            State = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = exitCode, Reason = reason, Message = message,
                    StartedAt = started is { } s ? Seconds(s) : null, FinishedAt = Seconds(now),
                },
            },
        }];
        if (RunningFrom is not null) RunningUntil ??= Stopwatch.GetTimestamp();
    });

    void Move(Action<V1PodStatus> change)
    {
        lock (_server.Gate)
        {
            if (Deleted) return;
            change(Object.Status);
            _server.Changed(this);
        }
    }

    internal void MarkDeleted(string by)
    {
        if (Deleted) return;
        Deleted = true;
        DeletedBy = by;
        if (RunningFrom is not null) RunningUntil ??= Stopwatch.GetTimestamp();
        _stopped.Cancel();
    }

    public override string ToString() => $"{Name} ({Job}#{Attempt}) {Object.Status.Phase}{(Deleted ? $", deleted by {DeletedBy}" : "")}";
}

/// <summary>Ready-made pod behaviours.</summary>
public static class Behaviours
{
    /// <summary>Runs as long as the simulated executor would (estimate × time scale from the annotations), then succeeds.</summary>
    public static async Task AsSimulated(FakePod pod, CancellationToken stopped)
    {
        pod.Run();
        await Task.Delay(TimeSpan.FromSeconds(pod.SimulatedSeconds), stopped);
        pod.Succeed();
    }

    public static Func<FakePod, CancellationToken, Task> RunFor(TimeSpan time, bool succeed = true, int exitCode = 3) => async (pod, stopped) =>
    {
        pod.Run();
        await Task.Delay(time, stopped);
        if (succeed) pod.Succeed();
        else pod.Fail(exitCode, "Error", "scripted failure");
    };

    public static Task StayPending(FakePod pod, CancellationToken stopped) => Task.CompletedTask;
}

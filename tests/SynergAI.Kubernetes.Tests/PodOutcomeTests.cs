using k8s.Models;
using SynergAI.Grains.Execution.Kubernetes;

namespace SynergAI.Kubernetes.Tests;

public class PodOutcomeTests
{
    static V1Pod Pod(string phase, DateTime? deleting = null, V1ContainerStatus[]? init = null, V1ContainerStatus[]? containers = null,
        string? reason = null, string? message = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", DeletionTimestamp = deleting },
        Status = new V1PodStatus { Phase = phase, InitContainerStatuses = init, ContainerStatuses = containers, Reason = reason, Message = message },
    };

    static V1ContainerStatus Exited(string name, int code, string? reason = null) =>
        new() { Name = name, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code, Reason = reason } } };

    [Fact]
    public void Pending_and_running_pods_have_no_outcome_even_while_being_deleted()
    {
        Assert.Null(PodOutcome.Of(Pod("Pending")));
        Assert.Null(PodOutcome.Of(Pod("Running")));
        Assert.Null(PodOutcome.Of(Pod("Running", deleting: DateTime.UtcNow))); // its containers still run: wait until gone
    }

    [Fact]
    public void Succeeded_is_a_success_and_failures_name_the_container_or_the_pods_reason()
    {
        Assert.Equal(new PodOutcome(true, null), PodOutcome.Of(Pod("Succeeded")));
        Assert.Equal("pod p failed: init container 'power-mode' exited with code 255",
            PodOutcome.Of(Pod("Failed", init: [Exited("power-mode", 255)], containers: [new V1ContainerStatus { Name = "engine" }]))!.Error);
        Assert.Equal("pod p failed: container 'engine' exited with code 137 (OOMKilled)",
            PodOutcome.Of(Pod("Failed", init: [Exited("power-mode", 0)], containers: [Exited("engine", 137, "OOMKilled")]))!.Error);
        Assert.Equal("pod p failed: Evicted: The node was low on resource: memory.",
            PodOutcome.Of(Pod("Failed", reason: "Evicted", message: "The node was low on resource: memory."))!.Error);
        Assert.Equal("pod deleted: p (pod p failed: container 'engine' exited with code 143 (Error))",
            PodOutcome.Of(Pod("Failed", deleting: DateTime.UtcNow, containers: [Exited("engine", 143, "Error")]))!.Error);
    }

    static V1ContainerStatus Ran(string name, string from, string to) => new()
    {
        Name = name,
        State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, StartedAt = DateTime.Parse(from).ToUniversalTime(), FinishedAt = DateTime.Parse(to).ToUniversalTime() } },
    };

    [Fact]
    public void A_success_carries_the_engine_containers_run_time_when_it_is_long_enough_to_measure()
    {
        // 42 s of inference; the power-mode switch before it and the time the pod waited are not part of the run.
        var ran = Pod("Succeeded", init: [Ran("power-mode", "2026-12-01T10:00:00Z", "2026-12-01T10:00:07Z")],
            containers: [Ran("engine", "2026-12-01T10:00:08Z", "2026-12-01T10:00:50Z")]);
        Assert.Equal(new PodOutcome(true, null, 42), PodOutcome.Of(ran));
        // Kubernetes keeps whole seconds: a 9 s run could be 8-10 s, too coarse to learn from.
        Assert.Null(PodOutcome.Of(Pod("Succeeded", containers: [Ran("engine", "2026-12-01T10:00:00Z", "2026-12-01T10:00:09Z")]))!.RunSeconds);
        Assert.Equal(10, PodOutcome.Of(Pod("Succeeded", containers: [Ran("engine", "2026-12-01T10:00:00Z", "2026-12-01T10:00:10Z")]))!.RunSeconds);
        // No start recorded, another container's times, or a failure: nothing measured.
        Assert.Null(PodOutcome.Of(Pod("Succeeded", containers: [Exited("engine", 0)]))!.RunSeconds);
        Assert.Null(PodOutcome.Of(Pod("Succeeded", containers: [Ran("sidecar", "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z")]))!.RunSeconds);
        Assert.Null(PodOutcome.Of(Pod("Failed", containers: [Ran("engine", "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z")]))!.RunSeconds);
    }

    [Fact]
    public void A_pending_pod_says_why_it_waits()
    {
        var pulling = Pod("Pending", containers: [new V1ContainerStatus { Name = "engine", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "pull access denied" } } }]);
        Assert.Equal("ImagePullBackOff: pull access denied", PodOutcome.WaitingReason(pulling));
        var unschedulable = Pod("Pending");
        unschedulable.Status.Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/3 nodes are available" }];
        Assert.Equal("Unschedulable: 0/3 nodes are available", PodOutcome.WaitingReason(unschedulable));
    }
}

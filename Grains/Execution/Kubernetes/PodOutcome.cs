using System.Globalization;
using k8s.Models;

namespace SynergAI.Grains.Execution.Kubernetes;

/// <summary>How an attempt's pod ended, read from its status: null while it is Pending or Running (also while it is
/// being deleted: its containers may still run until the grace period ends, so a deletion counts once the pod is gone
/// or its containers have stopped — the job must not run again meanwhile). <see cref="RunSeconds"/>: how long the
/// engine container of a pod that succeeded ran, in real seconds, when it can be measured (see <see cref="RunSecondsOf"/>).</summary>
public sealed record PodOutcome(bool Succeeded, string? Error, double? RunSeconds = null)
{
    public const string Deleted = "pod deleted";

    /// <summary>Kubernetes keeps a container's start and finish to the whole second, so a run is measured only when it
    /// took at least this long: the rounding is then at most 10% of it.</summary>
    public const double MinMeasuredSeconds = 10;

    public static PodOutcome? Of(V1Pod pod)
    {
        var phase = pod.Status?.Phase;
        if (phase == "Succeeded") return new PodOutcome(true, null, RunSecondsOf(pod));
        if (phase != "Failed") return null;
        return new PodOutcome(false, pod.Metadata?.DeletionTimestamp is null ? FailureOf(pod) : $"{Gone(pod).Error} ({FailureOf(pod)})");
    }

    /// <summary>How long the engine container ran — its terminated state's finish minus start: the inference run
    /// itself, without scheduling, the image pull or the power-mode switch, as the profile measured it. Null when the
    /// status does not say, or the run was shorter than <see cref="MinMeasuredSeconds"/>.</summary>
    public static double? RunSecondsOf(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == JobPod.EngineContainer)?.State?.Terminated is { StartedAt: { } from, FinishedAt: { } to }
        && (to - from).TotalSeconds is var seconds && seconds >= MinMeasuredSeconds
            ? seconds
            : null;

    /// <summary>The pod disappeared before it succeeded.</summary>
    public static PodOutcome Gone(V1Pod pod) => new(false, $"{Deleted}: {pod.Metadata?.Name}");

    /// <summary>Which container failed and how (reason, exit code, message), else the pod's own reason (Evicted, OutOfcpu…).</summary>
    static string FailureOf(V1Pod pod)
    {
        var name = pod.Metadata?.Name;
        var failed = (pod.Status?.InitContainerStatuses ?? []).Select(c => (Kind: "init container", c))
            .Concat((pod.Status?.ContainerStatuses ?? []).Select(c => (Kind: "container", c)))
            .FirstOrDefault(x => x.c.State?.Terminated is { ExitCode: not 0 });
        if (failed.c?.State?.Terminated is { } t)
        {
            var text = $"pod {name} failed: {failed.Kind} '{failed.c.Name}' exited with code {t.ExitCode.ToString(CultureInfo.InvariantCulture)}";
            if (!string.IsNullOrWhiteSpace(t.Reason)) text += $" ({t.Reason})";
            if (!string.IsNullOrWhiteSpace(t.Message)) text += $": {t.Message.Trim()}";
            return text;
        }
        var reason = pod.Status?.Reason;
        var message = pod.Status?.Message;
        return $"pod {name} failed" + (string.IsNullOrWhiteSpace(reason) ? "" : $": {reason}") + (string.IsNullOrWhiteSpace(message) ? "" : $": {message}");
    }

    /// <summary>Why a pod is still Pending, for the message when it waited too long (e.g. ImagePullBackOff).</summary>
    public static string? WaitingReason(V1Pod pod) =>
        (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? [])
            .Select(c => c.State?.Waiting).FirstOrDefault(w => w is not null) is { } w
            ? string.IsNullOrWhiteSpace(w.Message) ? w.Reason : $"{w.Reason}: {w.Message}"
            : pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False") is { } unscheduled
                ? $"{unscheduled.Reason}: {unscheduled.Message}"
                : null;
}

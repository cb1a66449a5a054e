namespace SynergAI.Scheduling;

/// <summary>
/// Why a job is waiting, as a stable code (in the spirit of Kubernetes' named reasons). Every policy, the simulator's
/// per-job output and the live pool's status use these codes and only these; the words that go with them are in
/// <see cref="WaitReasons"/>. Codes are never renumbered or renamed: clients match on them.
/// </summary>
public enum WaitCode
{
    /// <summary>The job did not wait: it was placed in the first round that saw it.</summary>
    None = 0,
    NotYetEvaluated = 1,
    BeingEstimated = 2,
    AllWorkersBusy = 3,
    AllAcceptableWorkersBusy = 4,
    HeldForFasterWorker = 5,
    DeadlineUnreachable = 6,
    NoWorkerForEngine = 7,
    NoFreeWorkerForEngine = 8,
    WaitsForBoundWorker = 9,
}

/// <summary>The one place where the wait codes get their words.</summary>
public static class WaitReasons
{
    public static readonly IReadOnlyList<WaitCode> All = Enum.GetValues<WaitCode>();

    /// <summary>What the code means, in one sentence (the README's table is this list).</summary>
    public static string Words(WaitCode code) => code switch
    {
        WaitCode.None => "did not wait: placed in the first round that saw it",
        WaitCode.NotYetEvaluated => "not yet evaluated by a scheduling round",
        WaitCode.BeingEstimated => "its run time is being estimated by the workers",
        WaitCode.AllWorkersBusy => "every worker is busy",
        WaitCode.AllAcceptableWorkersBusy => "every worker that can meet its deadline is busy, and no other worker is free",
        WaitCode.HeldForFasterWorker => "held for a faster worker: the free workers would miss its deadline, those that meet it are busy",
        WaitCode.DeadlineUnreachable => "its deadline can no longer be met, and no worker that can run its engine is free",
        WaitCode.NoWorkerForEngine => "no worker of the pool can run its engine",
        WaitCode.NoFreeWorkerForEngine => "no free worker can run its engine",
        WaitCode.WaitsForBoundWorker => "bound to one worker on arrival, which is busy",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "unknown wait code"),
    };

    /// <summary>The code's name, as it appears in CSV, JSON and status output.</summary>
    public static string Name(WaitCode code) => code.ToString();

    /// <summary>A code from its name (case-insensitive); a clear error for anything else.</summary>
    public static WaitCode Parse(string name) =>
        Enum.TryParse<WaitCode>(name, ignoreCase: true, out var code) && Enum.IsDefined(code) && !int.TryParse(name, out _)
            ? code
            : throw new ArgumentException($"unknown wait reason '{name}'; known: {string.Join(", ", All)}");
}

namespace SynergAI.Scheduling.Experiments;

/// <summary>How a generated trace's jobs arrive. Both processes have the experiment's mean inter-arrival time.</summary>
public enum ArrivalProcess
{
    /// <summary>A Poisson process: exponential gaps with the experiment's mean (the thesis's traces).</summary>
    Poisson,

    /// <summary>
    /// Bursts separated by long gaps. A burst holds <c>k</c> jobs, <c>k</c> uniform on
    /// <see cref="TraceGenerator.BurstSizes"/> (mean 4); its jobs arrive at the burst's start plus offsets drawn
    /// uniformly from [0, <see cref="TraceGenerator.BurstSpreadSeconds"/>) (sorted; the first job of a trace at 0).
    /// The next burst starts an exponential time with mean <c>k × mean gap</c> after this one's start, so every job
    /// brings one mean gap of time on average: the same mean rate as the Poisson process.
    /// </summary>
    Bursty,
}

public static class ArrivalProcesses
{
    public static readonly IReadOnlyList<string> Names = ["poisson", "bursty"];

    /// <summary>Parses <c>poisson</c> or <c>bursty</c> (any case).</summary>
    public static ArrivalProcess Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "poisson" => ArrivalProcess.Poisson,
        "bursty" => ArrivalProcess.Bursty,
        _ => throw new ArgumentException($"unknown arrival process '{name}'; known: {string.Join(", ", Names)}"),
    };

    public static string Name(this ArrivalProcess process) => Names[(int)process];
}

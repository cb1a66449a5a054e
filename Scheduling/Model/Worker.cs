namespace SynergAI.Scheduling;

/// <summary>A machine that runs one inference job at a time (a row of <c>workers.csv</c>).</summary>
/// <param name="DefaultConfig">The configuration the baselines run with (e.g. <c>threads=16</c>).</param>
public sealed record Worker(string Name, string Arch, int Cpus, double MemoryGb, string DefaultConfig);

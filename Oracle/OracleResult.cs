using SynergAI.Scheduling.Simulation;

namespace SynergAI.Oracle;

/// <summary>Whether the schedule is proven best (<see cref="Optimal"/>) or only the best found in the time given.</summary>
public enum OracleStatus { Optimal, Feasible }

/// <summary>The best schedule the solver found for a trace.</summary>
/// <param name="Violations">QoS violations of <paramref name="Schedule"/>.</param>
/// <param name="ViolationsLowerBound">No schedule has fewer violations than this (proven); equal to
/// <paramref name="Violations"/> when the first stage is optimal.</param>
/// <param name="ExcessSeconds">Total seconds past the deadlines over all jobs of <paramref name="Schedule"/>.</param>
/// <param name="Schedule">Every job with its worker, configuration, start and end (as the simulator reports them).</param>
public sealed record OracleResult(OracleStatus Status, int Violations, int ViolationsLowerBound, double ExcessSeconds,
    double SolveSeconds, IReadOnlyList<JobOutcome> Schedule);

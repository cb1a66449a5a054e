namespace SynergAI.Scheduling.Simulation;

/// <param name="Noise">Spread of the run-time noise: each job runs <c>T_pre + q/QPS</c> times a LogNormal(0, Noise)
/// factor (median 1; 0.05 ≈ ±5%), drawn per job from <paramref name="Seed"/> so every policy sees the same factors.</param>
/// <param name="ReevaluationIntervalSeconds">How often, in trace seconds, the queue is re-evaluated while jobs wait
/// and a worker is free, besides every arrival and completion.</param>
/// <param name="Drift">Workers whose real run times leave their profile (see <see cref="WorkerDrift"/>).</param>
/// <param name="Admission">What happens to an arriving job the forecast says will miss its deadline: under
/// <c>Reject</c> it never enters the pool (and has no outcome).</param>
/// <param name="Learn">Estimates are corrected from measured runs (<see cref="Forecast.ProfileCorrections"/>, per class
/// of identical workers, engine and configuration), as the worker grains do live.</param>
public sealed record SimulationOptions(double Noise = 0, int Seed = 1, double ReevaluationIntervalSeconds = 1,
    IReadOnlyList<WorkerDrift>? Drift = null, Forecast.AdmissionMode Admission = Forecast.AdmissionMode.Accept,
    bool Learn = false)
{
    public IReadOnlyList<WorkerDrift> Drift { get; init; } = Drift ?? [];

    public static readonly SimulationOptions Default = new();
}

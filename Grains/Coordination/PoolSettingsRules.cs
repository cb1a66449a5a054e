using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains.Coordination;

/// <summary>The one place that says what valid pool settings are (the silo's <c>SynergAI</c> section and a pool's
/// run-time <c>Configure</c> both ask here) and how a pool's shard count is resolved.</summary>
public static class PoolSettingsRules
{
    /// <summary>Each problem as "{what} {why}"; <paramref name="name"/> turns a setting's name into the caller's
    /// wording (e.g. <c>SynergAI:TimeScale</c>, or <c>time scale</c>).</summary>
    public static IEnumerable<string> Problems(PoolSettings s, Func<string, string> name)
    {
        if (!PolicyCatalog.Names.Contains(s.Policy))
            yield return $"{name(nameof(s.Policy))} '{s.Policy}' is not a policy; use one of {string.Join(", ", PolicyCatalog.Names)}";
        if (!double.IsFinite(s.TimeScale) || s.TimeScale <= 0) yield return $"{name(nameof(s.TimeScale))} must be a positive number, got {s.TimeScale}";
        if (s.ReevaluationInterval <= TimeSpan.Zero) yield return $"{name(nameof(s.ReevaluationInterval))} must be positive, got {s.ReevaluationInterval}";
        if (s.Admission is { } admission && !Admission.Names.Contains(admission))
            yield return $"{name(nameof(s.Admission))} '{admission}' is not an admission mode; use one of {string.Join(", ", Admission.Names)}";
        if (s.Shards is < 0 or > MaxShards) yield return $"{name(nameof(s.Shards))} must be between 1 and {MaxShards} (0: the silo's default), got {s.Shards}";
    }

    /// <summary>More shards than this only adds calls per round.</summary>
    public const int MaxShards = 256;

    /// <summary>The shard count a pool really uses: one for a policy that binds jobs to workers on arrival (it needs
    /// the whole queue then), else the pool's own, else the silo's default.</summary>
    public static PoolSettings Resolve(PoolSettings s, int defaultShards) =>
        s with { Shards = PolicyCatalog.Create(s.Policy).BindsOnArrival ? 1 : s.Shards > 0 ? s.Shards : defaultShards };
}

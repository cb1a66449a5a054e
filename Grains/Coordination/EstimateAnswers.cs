using SynergAI.Scheduling;

namespace SynergAI.Grains.Coordination;

/// <summary>A worker's answer to an <see cref="EstimateRequest"/>, from its part of the configuration dictionary.</summary>
public static class EstimateAnswers
{
    /// <param name="dictionary">A dictionary holding the worker at <paramref name="worker"/>; null for a worker that is
    /// not registered (it can run nothing).</param>
    /// <param name="correction">What the worker learned from its measured runs: the factor by which its estimate of an
    /// (engine, configuration) multiplies the profile's <c>T_est</c>; null = none (the profile as it is). The
    /// configurations stay the profile's c* and default.</param>
    public static WorkerEstimates Of(string name, ConfigurationDictionary? dictionary, int worker, EstimateRequest request,
        Func<string, string, double>? correction = null)
    {
        var entries = request.Queries.Length;
        var result = new WorkerEstimates(name, [], new int[entries], new double[entries], new int[entries], new double[entries]);
        if (dictionary is null)
        {
            Array.Fill(result.OptimalConfig, -1);
            Array.Fill(result.DefaultConfig, -1);
            return result;
        }

        var configs = new List<string>();
        int ConfigIndex(string config)
        {
            var i = configs.IndexOf(config);
            if (i < 0) { configs.Add(config); i = configs.Count - 1; }
            return i;
        }
        // Look each engine up once; then every entry is two multiply-adds.
        var optimal = request.Engines.Select(e => dictionary.HasEngine(e) ? dictionary.Optimal(dictionary.EngineIndex(e), worker) : null).ToArray();
        var standard = request.Engines.Select(e => dictionary.HasEngine(e) ? dictionary.Default(dictionary.EngineIndex(e), worker) : null).ToArray();
        var optimalIndex = optimal.Select(p => p is null ? -1 : ConfigIndex(p.Config)).ToArray();
        var defaultIndex = standard.Select(p => p is null ? -1 : ConfigIndex(p.Config)).ToArray();
        var optimalFactor = optimal.Select(p => p is null || correction is null ? 1 : correction(p.Engine, p.Config)).ToArray();
        var defaultFactor = standard.Select(p => p is null || correction is null ? 1 : correction(p.Engine, p.Config)).ToArray();
        for (var j = 0; j < entries; j++)
        {
            var engine = request.EngineOfEntry[j];
            var q = request.Queries[j];
            result.OptimalConfig[j] = optimalIndex[engine];
            result.OptimalSeconds[j] = optimal[engine]?.EstimateSeconds(q) * optimalFactor[engine] ?? double.NaN;
            result.DefaultConfig[j] = defaultIndex[engine];
            result.DefaultSeconds[j] = standard[engine]?.EstimateSeconds(q) * defaultFactor[engine] ?? double.NaN;
        }
        return result with { Configs = [.. configs] };
    }
}

namespace SynergAI.Scheduling;

/// <summary>One measured operating point: an engine on a worker in one configuration (a row of <c>profile.csv</c>).</summary>
public sealed record ProfileEntry(string Worker, string Engine, string Config, double Qps, double PreprocessSeconds)
{
    /// <summary>Thesis eq. 6.2: <c>T_est = T_pre + q / QPS</c>.</summary>
    public double EstimateSeconds(int queries) => PreprocessSeconds + queries / Qps;
}

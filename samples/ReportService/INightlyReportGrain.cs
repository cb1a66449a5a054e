using SynergAI.Grains;

namespace SynergAI.Samples.ReportService;

/// <summary>This service's own grain (key: the day, <c>yyyy-MM-dd</c>): runs the day's report job on SynergAI.</summary>
[Alias("reportservice.INightlyReportGrain")]
public interface INightlyReportGrain : IGrainWithStringKey
{
    /// <summary>Submits the day's job (idempotent: one job per day) and returns every state it went through.</summary>
    [Alias("Run")] Task<IReadOnlyList<JobStatus>> Run(string pool);
}

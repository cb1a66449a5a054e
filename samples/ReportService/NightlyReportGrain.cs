using SynergAI.Client;
using SynergAI.Grains;

namespace SynergAI.Samples.ReportService;

/// <summary>Submits through the SDK over this silo's own grain factory (<c>AddSynergAiClientInSilo</c>) and watches the
/// job's changes, pushed to it by the job's grain on a SynergAI silo.</summary>
public sealed class NightlyReportGrain(ISynergAiClient synergai) : Grain, INightlyReportGrain
{
    public async Task<IReadOnlyList<JobStatus>> Run(string pool)
    {
        var day = this.GetPrimaryKeyString();
        var job = await synergai.SubmitAsync(new JobSpec("onnx-resnet50-opset11", Queries: 390, QosSeconds: 900), $"nightly-{day}", pool);
        var seen = new List<JobStatus>();
        await foreach (var status in synergai.WatchAsync(job.Id)) seen.Add(status);
        return seen;
    }
}

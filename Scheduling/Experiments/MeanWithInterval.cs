using MathNet.Numerics.Distributions;

namespace SynergAI.Scheduling.Experiments;

/// <summary>A sample mean and the half-width of its 95% confidence interval (Student's t; 0 for one sample).</summary>
public readonly record struct MeanWithInterval(double Mean, double HalfWidth, int Samples)
{
    public static MeanWithInterval Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples", nameof(samples));
        var mean = samples.Average();
        if (samples.Count == 1) return new(mean, 0, 1);
        var sd = Math.Sqrt(samples.Sum(x => (x - mean) * (x - mean)) / (samples.Count - 1));
        var t = StudentT.InvCDF(0, 1, samples.Count - 1, 0.975);
        return new(mean, t * sd / Math.Sqrt(samples.Count), samples.Count);
    }
}

using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Tests;

public class QuoteAccuracyTests
{
    static JobOutcome Ran(string id, double arrival, double started, double completed) =>
        new(new Job(id, arrival, "e", 10, 100), "w", "c", started, completed, "");

    [Fact]
    public void Errors_are_shares_of_the_actual_end_to_end_time_split_by_whether_a_later_arrival_went_first()
    {
        var outcomes = new[]
        {
            Ran("a", 0, 0, 10),  // quoted 10, took 10: no error
            Ran("b", 1, 20, 30), // quoted 19, took 29: c, submitted after it, started before it
            Ran("c", 2, 10, 20), // quoted 8, took 18
            Ran("d", 3, 30, 31), // no quote: not counted
        };
        var quoted = new Dictionary<string, double?> { ["a"] = 10, ["b"] = 19, ["c"] = 8, ["d"] = null };

        var accuracy = QuoteAccuracy.Of(outcomes, quoted);

        Assert.Equal((4, 3, 1), (accuracy.Jobs, accuracy.Quoted, accuracy.Overtaken));
        Assert.Equal(10.0 / 29, accuracy.MedianError, 12);
        Assert.Equal(10.0 / 29 + 0.8 * (10.0 / 18 - 10.0 / 29), accuracy.P90Error, 12); // R7: between the 2nd and 3rd of 3
        Assert.Equal(10.0 / 29, accuracy.MedianErrorOvertaken, 12);
        Assert.Equal((0 + 10.0 / 18) / 2, accuracy.MedianErrorInOrder, 12);
        Assert.Contains("median 34.5%", accuracy.ToString());
    }

    [Fact]
    public void Without_any_quote_the_figures_are_not_numbers()
    {
        var accuracy = QuoteAccuracy.Of([Ran("a", 0, 0, 10)], new Dictionary<string, double?>());
        Assert.Equal(0, accuracy.Quoted);
        Assert.True(double.IsNaN(accuracy.MedianError) && double.IsNaN(accuracy.P90Error));
    }
}

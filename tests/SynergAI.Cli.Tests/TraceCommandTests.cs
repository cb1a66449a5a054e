namespace SynergAI.Cli.Tests;

public class TraceCommandTests
{
    [Fact]
    public void Writes_a_seeded_trace_in_the_trace_format()
    {
        var first = CliRun.Of("trace", "--experiment", "DL-FH", "--seed", "7").Succeeded();
        var again = CliRun.Of("trace", "--experiment", "dl-fh", "--seed", "7").Succeeded();
        var other = CliRun.Of("trace", "--experiment", "DL-FH", "--seed", "8").Succeeded();

        Assert.Equal("job,arrival_s,engine,queries,qos_s", first.Lines[0]);
        Assert.Equal(25, first.Lines.Length);
        Assert.Equal(first.Out, again.Out);
        Assert.NotEqual(first.Out, other.Out);
        Assert.Equal("", first.Error);
    }
}

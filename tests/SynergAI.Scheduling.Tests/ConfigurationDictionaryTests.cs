using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

public class ConfigurationDictionaryTests
{
    /// <summary>x86 (default t16) and nx (default m4) run "resnet"; only x86 runs "mobilenet".</summary>
    static Testbed Bed() => new(
        [W("x86", "t16"), W("nx", "m4")],
        [
            P("x86", "resnet", "t1", 4, 2.0),
            P("x86", "resnet", "t8", 16, 1.5),     // highest QPS on x86 → c*
            P("x86", "resnet", "t16", 12, 1.2),    // the default, slower than t8
            P("nx", "resnet", "m4", 5, 3.0),       // default
            P("nx", "resnet", "m9", 8, 4.0),       // ties m8 on QPS with more T_pre
            P("nx", "resnet", "m8", 8, 3.5),       // ties m9 on QPS, lower T_pre → c*
            P("x86", "mobilenet", "t16", 100, 20),
            P("x86", "mobilenet", "t4", 100, 20),  // full tie with t16 → ordinal config name: "t16" < "t4"
        ]);

    [Fact]
    public void OptimalIsTheHighestQps()
    {
        var d = new ConfigurationDictionary(Bed());
        Assert.Equal(P("x86", "resnet", "t8", 16, 1.5), d.Optimal("resnet", "x86"));
    }

    [Fact]
    public void QpsTiesGoToTheLowerPreprocessing()
    {
        var d = new ConfigurationDictionary(Bed());
        Assert.Equal("m8", d.Optimal("resnet", "nx")!.Config);
    }

    [Fact]
    public void FullTiesAreBrokenByConfigNameSoTheResultDoesNotDependOnRowOrder()
    {
        var forward = new ConfigurationDictionary(Bed());
        var reversed = new ConfigurationDictionary(Bed() with { Profile = [.. Bed().Profile.Reverse()] });
        Assert.Equal("t16", forward.Optimal("mobilenet", "x86")!.Config);
        Assert.Equal("t16", reversed.Optimal("mobilenet", "x86")!.Config);
        Assert.Equal("m8", reversed.Optimal("resnet", "nx")!.Config);
    }

    [Fact]
    public void EstimateIsPreprocessingPlusQueriesOverQps()
    {
        var d = new ConfigurationDictionary(Bed());
        // x86 c* t8: 1.5 + 400/16 = 1.5 + 25 = 26.5 s
        Assert.Equal(26.5, d.Optimal("resnet", "x86")!.EstimateSeconds(400));
        // nx c* m8: 3.5 + 400/8 = 3.5 + 50 = 53.5 s
        Assert.Equal(53.5, d.Optimal("resnet", "nx")!.EstimateSeconds(400));
        // nx default m4: 3.0 + 400/5 = 83 s
        Assert.Equal(83, d.Default(d.EngineIndex("resnet"), d.WorkerIndex("nx"))!.EstimateSeconds(400));
    }

    [Fact]
    public void DefaultReturnsTheDefaultConfigRowNotTheBest()
    {
        var d = new ConfigurationDictionary(Bed());
        var resnet = d.EngineIndex("resnet");
        Assert.Equal(P("x86", "resnet", "t16", 12, 1.2), d.Default(resnet, d.WorkerIndex("x86")));
        Assert.Equal(P("nx", "resnet", "m4", 5, 3.0), d.Default(resnet, d.WorkerIndex("nx")));
    }

    [Fact]
    public void WorkerWithoutAProfileForTheEngineGivesNull()
    {
        var d = new ConfigurationDictionary(Bed());
        Assert.Null(d.Optimal("mobilenet", "nx"));
        Assert.Null(d.Default(d.EngineIndex("mobilenet"), d.WorkerIndex("nx")));
        Assert.True(d.HasEngine("mobilenet"));
        Assert.False(d.HasEngine("yolo"));
        Assert.Throws<KeyNotFoundException>(() => d.EngineIndex("yolo"));
        Assert.Throws<KeyNotFoundException>(() => d.WorkerIndex("agx"));
    }

    [Fact]
    public void OptimalConfigurationsIsTheWorkersOwnPartOfTheDictionary()
    {
        var d = new ConfigurationDictionary(Bed());
        var x86 = d.OptimalConfigurations("x86");
        Assert.Equal(2, x86.Count);
        Assert.Equal("t8", x86["resnet"].Config);
        Assert.Equal("t16", x86["mobilenet"].Config);

        var nx = d.OptimalConfigurations("nx");
        Assert.Equal("m8", Assert.Single(nx).Value.Config);
        Assert.False(nx.ContainsKey("mobilenet"));
    }

    [Fact]
    public void DefaultStrengthIsTheMeanDefaultQpsOverTheEnginesTheWorkerRuns()
    {
        var d = new ConfigurationDictionary(Bed());
        // x86 defaults: resnet t16 12, mobilenet t16 100 → (12 + 100)/2 = 56 (not c*: (16 + 100)/2 = 58)
        Assert.Equal(56, d.DefaultStrength(d.WorkerIndex("x86")), 9);
        // nx runs resnet only: m4 5 → 5 (mobilenet is not counted as 0)
        Assert.Equal(5, d.DefaultStrength(d.WorkerIndex("nx")), 9);
    }

    [Fact]
    public void IndicesFollowTestbedOrder()
    {
        var d = new ConfigurationDictionary(Bed());
        Assert.Equal(["x86", "nx"], d.Workers.Select(w => w.Name));
        Assert.Equal(["resnet", "mobilenet"], d.Engines);   // order of first appearance in the profile
        Assert.Equal(1, d.WorkerIndex("nx"));
        Assert.Equal(1, d.EngineIndex("mobilenet"));
    }
}

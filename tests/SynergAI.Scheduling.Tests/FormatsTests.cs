using SynergAI.Scheduling.Formats;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>Loading testbeds (workers.csv + profile.csv) and traces. Line 1 of every file is its header, so the
/// first data row is line 2.</summary>
public class FormatsTests
{
    static readonly string GoodWorkers = Lines(
        WorkersHeader,
        "a,x86_64,16,16,threads=16",   // line 2
        "b,arm64,8,32,mode=1");        // line 3

    static readonly string GoodProfile = Lines(
        ProfileHeader,
        "a,e1,threads=16,100,1",       // line 2
        "a,e1,threads=8,120,1.5",      // line 3
        "b,e1,mode=1,20,2",            // line 4
        "b,e2,mode=1,10,0");           // line 5

    static Testbed Good() => Read(GoodWorkers, GoodProfile);

    static InputFileException WorkersError(string workers) =>
        Assert.Throws<InputFileException>(() => Read(workers, GoodProfile));

    static InputFileException ProfileError(string profile) =>
        Assert.Throws<InputFileException>(() => Read(GoodWorkers, profile));

    static InputFileException TraceError(string trace) =>
        Assert.Throws<InputFileException>(() => TraceFile.Read(new StringReader(trace), Good()));

    /// <summary>The exception names the file, line and field, and so does its message ("file:line: field 'f': …").</summary>
    static void AssertNames(InputFileException e, string file, int line, string? field)
    {
        Assert.Equal(file, e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains($"{file}:{line}", e.Message);
        if (field is not null) Assert.Contains($"'{field}'", e.Message);
    }

    // ---------------------------------------------------------------- good input

    [Fact]
    public void GoodTestbedLoads()
    {
        var testbed = Good();
        Assert.Equal(["a", "b"], testbed.Workers.Select(w => w.Name));
        Assert.Equal(new Worker("a", "x86_64", 16, 16, "threads=16"), testbed.Workers[0]);
        Assert.Equal(new Worker("b", "arm64", 8, 32, "mode=1"), testbed.Workers[1]);
        Assert.Equal(4, testbed.Profile.Count);
        Assert.Equal(new ProfileEntry("a", "e1", "threads=8", 120, 1.5), testbed.Profile[1]);
        Assert.Equal(["e1", "e2"], testbed.Engines);
    }

    [Fact]
    public void ColumnOrderDoesNotMatter()
    {
        var workers = Lines(
            "default_config,memory_gb,cpus,arch,worker",
            "threads=16,16,16,x86_64,a",
            "mode=1,32,8,arm64,b");
        var profile = Lines(
            "qps,preprocess_s,worker,engine,config",
            "100,1,a,e1,threads=16",
            "20,2,b,e1,mode=1");
        var testbed = Read(workers, profile);
        Assert.Equal(new Worker("a", "x86_64", 16, 16, "threads=16"), testbed.Workers[0]);
        Assert.Equal(new ProfileEntry("b", "e1", "mode=1", 20, 2), testbed.Profile[1]);
    }

    [Fact]
    public void AnExtraColumnIsRefusedOnTheHeaderLine()
    {
        var e = WorkersError(Lines(WorkersHeader + ",rack", "a,x86_64,16,16,threads=16,r1"));
        AssertNames(e, "workers.csv", 1, "rack");
        AssertNames(ProfileError(Lines(ProfileHeader + ",measured_on", "a,e1,threads=16,100,1,2024-01-01")), "profile.csv", 1, "measured_on");
        AssertNames(TraceError(Lines("job,arrival_s,engine,queries,qos_s,note", "j1,0,e1,10,5,x")), "trace.csv", 1, "note");
    }

    [Fact]
    public void ARepeatedColumnIsRefused() =>
        AssertNames(WorkersError(Lines(WorkersHeader + ",cpus", "a,x86_64,16,16,threads=16,16")), "workers.csv", 1, null);

    [Fact]
    public void ARowWithAnExtraOrMissingValueIsRefusedWithItsLine()
    {
        // Line 3 has one value more than the header (a shifted field would otherwise go unnoticed); line 2 is fine.
        var e = ProfileError(Lines(ProfileHeader, "a,e1,threads=16,100,1", "b,e1,mode=1,20,2,7"));
        AssertNames(e, "profile.csv", 3, null);
        Assert.Contains("has 6 values; the header has 5", e.Message);
        AssertNames(TraceError(Lines("job,arrival_s,engine,queries,qos_s", "j1,0,e1,10,5", "j2,1,e1,10")), "trace.csv", 3, null);
    }

    [Fact]
    public void WindowsLineEndingsAndSurroundingSpacesAreAccepted()
    {
        var workers = GoodWorkers.Replace("\n", "\r\n");
        var profile = "worker,engine,config,qps,preprocess_s\r\n a , e1 , threads=16 , 100 , 1 \r\nb,e1,mode=1,20,2\r\n";
        var testbed = Read(workers, profile);
        Assert.Equal(new ProfileEntry("a", "e1", "threads=16", 100, 1), testbed.Profile[0]);
    }

    [Fact]
    public void AnyWorkerEngineAndConfigNamesWork()
    {
        var workers = Lines(WorkersHeader,
            "gpu-a100,x86_64,64,512,batch=8",
            "riscv-7,riscv64,4,2,freq=1.2GHz");
        var profile = Lines(ProfileHeader,
            "gpu-a100,llama-3.1-8b/int4,batch=8,900,12",
            "gpu-a100,llama-3.1-8b/int4,batch=32,2500,12",
            "riscv-7,llama-3.1-8b/int4,freq=1.2GHz,0.5,40",
            "riscv-7,tiny_yolo v2,freq=1.2GHz,3,1");
        var testbed = Read(workers, profile);
        var dictionary = new ConfigurationDictionary(testbed);
        // c* on the GPU: batch=32 (2500 QPS > 900); default stays batch=8.
        Assert.Equal("batch=32", dictionary.Optimal("llama-3.1-8b/int4", "gpu-a100")!.Config);
        Assert.Equal("batch=8", dictionary.Default(dictionary.EngineIndex("llama-3.1-8b/int4"), dictionary.WorkerIndex("gpu-a100"))!.Config);
        Assert.Null(dictionary.Optimal("tiny_yolo v2", "gpu-a100"));

        var trace = TraceFile.Read(new StringReader(Lines(TraceHeader, "42-a,0,tiny_yolo v2,10,5")), testbed);
        Assert.Equal(new Job("42-a", 0, "tiny_yolo v2", 10, 5), Assert.Single(trace));
    }

    [Fact]
    public void TraceLoadsInArrivalOrderKeepingFileOrderOnTies()
    {
        var trace = TraceFile.Read(new StringReader(Lines(TraceHeader,
            "late,10,e1,100,50",
            "first,0,e1,100,50",
            "tie-1,5,e2,10,50",
            "tie-2,5,e1,10,50")), Good());
        Assert.Equal(["first", "tie-1", "tie-2", "late"], trace.Select(j => j.Id));
    }

    [Fact]
    public void TraceWriteThenReadRoundTrips()
    {
        var jobs = new List<Job>
        {
            J("job-1", 0, "e1", 3900, 179.231),
            J("job-2", 12.5, "e2", 488, 22.43),
            J("with,comma \"quoted\"", 99.125, "e1", 1, 0.001),
        };
        var text = new StringWriter();
        TraceFile.Write(text, jobs);
        var back = TraceFile.Read(new StringReader(text.ToString()), Good());
        Assert.Equal(jobs, back);
    }

    /// <summary>The trace file holds times in whole milliseconds ("0.###"); the generator rounds to the millisecond
    /// so that a generated trace, written and read back, is the very same trace.</summary>
    [Fact]
    public void TraceWriteThenReadRoundTripsAGeneratedTraceExactly()
    {
        var testbed = Good();
        var jobs = Experiments.TraceGenerator.Generate(Experiments.Experiment.DlFh, testbed, seed: 3);
        var text = new StringWriter();
        TraceFile.Write(text, jobs);
        var back = TraceFile.Read(new StringReader(text.ToString()), testbed);
        Assert.Equal(jobs.Select(j => (j.Id, j.ArrivalSeconds, j.QosSeconds)), back.Select(j => (j.Id, j.ArrivalSeconds, j.QosSeconds)));
    }

    [Fact]
    public void TestbedFolderLoadsAndAMissingProfileIsAClearError()
    {
        var folder = Directory.CreateTempSubdirectory("synergai-formats-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "workers.csv"), GoodWorkers);
            var e = Assert.Throws<FileNotFoundException>(() => TestbedFiles.Load(folder.FullName));
            Assert.Contains("profile.csv", e.Message);
            Assert.Contains(folder.FullName, e.Message);

            File.WriteAllText(Path.Combine(folder.FullName, "profile.csv"), GoodProfile);
            Assert.Equal(4, TestbedFiles.Load(folder.FullName).Profile.Count);

            // Errors from a folder name the full path of the file.
            File.WriteAllText(Path.Combine(folder.FullName, "profile.csv"), Lines(ProfileHeader, "a,e1,threads=16,fast,1"));
            var bad = Assert.Throws<InputFileException>(() => TestbedFiles.Load(folder.FullName));
            AssertNames(bad, Path.Combine(folder.FullName, "profile.csv"), 2, "qps");
        }
        finally { folder.Delete(recursive: true); }
    }

    [Fact]
    public void MissingFolderAndMissingTraceFileAreClearErrors()
    {
        var nowhere = Path.Combine(Path.GetTempPath(), "synergai-no-such-folder-" + Guid.NewGuid());
        var e = Assert.Throws<DirectoryNotFoundException>(() => TestbedFiles.Load(nowhere));
        Assert.Contains(nowhere, e.Message);
        var f = Assert.Throws<FileNotFoundException>(() => TraceFile.Load(Path.Combine(nowhere, "trace.csv"), Good()));
        Assert.Contains("trace.csv", f.Message);
    }

    // ---------------------------------------------------------------- bad input: every error names file, line, field

    [Fact]
    public void MissingColumnInProfile()
    {
        var e = ProfileError(Lines("worker,engine,config,qps", "a,e1,threads=16,100"));
        AssertNames(e, "profile.csv", 1, "preprocess_s");
    }

    [Fact]
    public void MissingColumnInWorkers()
    {
        var e = WorkersError(Lines("worker,arch,cpus,memory_gb", "a,x86_64,16,16"));
        AssertNames(e, "workers.csv", 1, "default_config");
    }

    [Fact]
    public void MissingColumnInTrace()
    {
        var e = TraceError(Lines("job,arrival_s,engine,qos_s", "j1,0,e1,10"));
        AssertNames(e, "trace.csv", 1, "queries");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("fast")]
    [InlineData("")]
    public void BadQps(string qps)
    {
        var e = ProfileError(Lines(ProfileHeader,
            "a,e1,threads=16,100,1",
            $"b,e1,mode=1,{qps},2"));   // line 3
        AssertNames(e, "profile.csv", 3, "qps");
    }

    [Theory]
    [InlineData("-0.5")]
    [InlineData("NaN")]
    [InlineData("x")]
    public void BadPreprocess(string pre)
    {
        var e = ProfileError(Lines(ProfileHeader, $"a,e1,threads=16,100,{pre}"));
        AssertNames(e, "profile.csv", 2, "preprocess_s");
    }

    [Fact]
    public void ZeroPreprocessIsAllowed() =>
        Assert.Equal(0, Read(GoodWorkers, Lines(ProfileHeader, "a,e1,threads=16,100,0")).Profile[0].PreprocessSeconds);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("12.5")]
    [InlineData("1e3")]
    [InlineData("many")]
    public void BadQueries(string queries)
    {
        var e = TraceError(Lines(TraceHeader,
            "j1,0,e1,100,50",
            "j2,1,e1,100,50",
            $"j3,2,e1,{queries},50"));  // line 4
        AssertNames(e, "trace.csv", 4, "queries");
    }

    [Theory]
    [InlineData("arrival_s", "j1,-1,e1,100,50")]
    [InlineData("arrival_s", "j1,NaN,e1,100,50")]
    [InlineData("qos_s", "j1,0,e1,100,0")]
    [InlineData("qos_s", "j1,0,e1,100,Infinity")]
    [InlineData("job", " ,0,e1,100,10")]
    public void BadTraceNumbers(string field, string row)
    {
        var e = TraceError(Lines(TraceHeader, row));
        AssertNames(e, "trace.csv", 2, field);
    }

    [Theory]
    [InlineData("cpus", "a,x86_64,0,16,threads=16")]
    [InlineData("cpus", "a,x86_64,2.5,16,threads=16")]
    [InlineData("memory_gb", "a,x86_64,16,-1,threads=16")]
    [InlineData("default_config", "a,x86_64,16,16,")]
    public void BadWorkerFields(string field, string row)
    {
        var e = WorkersError(Lines(WorkersHeader, row));
        AssertNames(e, "workers.csv", 2, field);
    }

    [Fact]
    public void ProfileRowForUnknownWorker()
    {
        var e = ProfileError(Lines(ProfileHeader,
            "a,e1,threads=16,100,1",
            "b,e1,mode=1,20,2",
            "c,e1,mode=1,20,2"));       // line 4: no worker 'c'
        AssertNames(e, "profile.csv", 4, "worker");
        Assert.Contains("'c'", e.Message);
    }

    [Fact]
    public void WorkerEnginePairWithoutItsDefaultConfig()
    {
        // b's default is mode=1; b has rows for e2 only in mode=2 and mode=3 (lines 3 and 4). The error points at the
        // pair's first row, line 3.
        var e = ProfileError(Lines(ProfileHeader,
            "a,e1,threads=16,100,1",
            "b,e2,mode=2,20,2",
            "b,e2,mode=3,25,2",
            "b,e1,mode=1,20,2"));
        AssertNames(e, "profile.csv", 3, "config");
        Assert.Contains("mode=1", e.Message);
        Assert.Contains("e2", e.Message);
    }

    [Fact]
    public void DuplicateWorker()
    {
        var e = WorkersError(Lines(WorkersHeader,
            "a,x86_64,16,16,threads=16",
            "b,arm64,8,32,mode=1",
            "a,arm64,8,32,mode=1"));    // line 4
        AssertNames(e, "workers.csv", 4, "worker");
    }

    [Fact]
    public void DuplicateProfileRow()
    {
        var e = ProfileError(Lines(ProfileHeader,
            "a,e1,threads=16,100,1",
            "b,e1,mode=1,20,2",
            "a,e1,threads=16,110,1"));  // line 4 repeats (a, e1, threads=16)
        AssertNames(e, "profile.csv", 4, "config");
    }

    [Fact]
    public void TraceEngineNoWorkerHasAProfileFor()
    {
        var e = TraceError(Lines(TraceHeader,
            "j1,0,e1,100,50",
            "j2,0,e9,100,50"));         // line 3
        AssertNames(e, "trace.csv", 3, "engine");
        Assert.Contains("e9", e.Message);
    }

    [Fact]
    public void DuplicateJobId()
    {
        var e = TraceError(Lines(TraceHeader,
            "j1,0,e1,100,50",
            "j2,1,e1,100,50",
            "j1,2,e2,100,50"));         // line 4
        AssertNames(e, "trace.csv", 4, "job");
    }

    [Fact]
    public void EmptyFiles()
    {
        AssertNames(WorkersError(""), "workers.csv", 1, null);
        AssertNames(ProfileError(""), "profile.csv", 1, null);
        AssertNames(TraceError(""), "trace.csv", 1, null);
    }

    [Fact]
    public void HeaderOnlyTestbedFilesAreErrors()
    {
        AssertNames(WorkersError(Lines(WorkersHeader)), "workers.csv", 1, null);
        AssertNames(ProfileError(Lines(ProfileHeader)), "profile.csv", 1, null);
    }

    [Fact]
    public void HeaderOnlyTraceIsAnEmptyTrace() =>
        Assert.Empty(TraceFile.Read(new StringReader(Lines(TraceHeader)), Good()));

    [Fact]
    public void CustomFileNamesAppearInErrors()
    {
        var e = Assert.Throws<InputFileException>(() => TestbedFiles.Read(
            new StringReader(GoodWorkers), new StringReader(Lines(ProfileHeader, "a,e1,threads=16,0,1")),
            "fleet/workers.csv", "fleet/profile.csv"));
        AssertNames(e, "fleet/profile.csv", 2, "qps");
    }

    [Fact]
    public void LineNumbersCountBlankLines()
    {
        // Line 1 header, line 2 a row, line 3 blank, line 4 the bad row.
        var e = ProfileError("worker,engine,config,qps,preprocess_s\na,e1,threads=16,100,1\n\nb,e1,mode=1,-2,2\n");
        AssertNames(e, "profile.csv", 4, "qps");
    }

    [Fact]
    public void LineNumbersArePhysicalLinesEvenAfterAQuotedMultiLineField()
    {
        // Line 1 header; lines 2–3 one record whose quoted engine name holds a line break; line 4 the bad row.
        var e = Assert.Throws<InputFileException>(() => Read(Lines(WorkersHeader, "a,x86_64,16,16,threads=16"),
            "worker,engine,config,qps,preprocess_s\na,\"e\n1\",threads=16,100,1\na,e2,threads=16,-1,1\n"));
        AssertNames(e, "profile.csv", 4, "qps");
    }
}

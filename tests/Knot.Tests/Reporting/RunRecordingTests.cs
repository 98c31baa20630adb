using Knot.Compression.Growl;
using Knot.Nn;
using Knot.Reporting;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Tests.Reporting;

/// <summary>What runs record for reports: GrOWL's per-epoch distinct group norms, and the epoch-history JSON round trip.</summary>
public sealed class RunRecordingTests
{
    [Fact]
    public void ProximalHookCountsDistinctNonZeroGroupNorms()
    {
        // (out 2, in 5): columns with norms 1, 1, 2, 0 and 1·(1 + 1e-6) (equal up to rounding: one block).
        var w = new Tensor(new Shape(2, 5), [0.6f, 0.8f, 2, 0, 0.6f, 0.8f, 0.6f, 0, 0, 0.8f * (1 + 1e-6f)]);
        var p = new Parameter(w);
        var hook = new ProximalHook(new RegularizerSpec { Kind = "growl", Lambda1 = 0.1, Lambda2 = 0.01 }, [("fc.weight", p)], stepsPerEpoch: 1);
        var record = new EpochRecord { Epoch = 1 };
        hook.AfterEpoch(record);
        Assert.Equal(2, record.Extra["fc.weight.norm_clusters"]);
        Assert.True(record.Extra.ContainsKey("fc.weight.zero_groups"));
    }

    [Fact]
    public void HistoryJsonRoundTripsWithExtras()
    {
        var r = new EpochRecord { Epoch = 3, TrainLoss = 0.5, TrainAccuracy = 0.9, TestAccuracy = 0.88, LearningRate = 0.01, Seconds = 1.5 };
        r.Extra["sparsity"] = 0.25;
        var back = HistoryJson.FromJson(HistoryJson.ToJson([r]), "test").Single();
        Assert.Equal(3, back.Epoch);
        Assert.Equal(0.88, back.TestAccuracy);
        Assert.Null(back.TestLoss);
        Assert.Equal(0.25, back.Extra["sparsity"]);
        Assert.Throws<InvalidDataException>(() => HistoryJson.FromJson(System.Text.Json.Nodes.JsonNode.Parse("[1]"), "bad.json"));
    }

    [Fact]
    public void RecordFileReplacesNonFiniteNumbersAndReportsCorruptJson()
    {
        string dir = Directory.CreateTempSubdirectory("knot-record-").FullName;
        try
        {
            string artifact = Path.Combine(dir, "m.knot");
            RunRecordFile.Write(RunRecordFile.PathFor(artifact), new System.Text.Json.Nodes.JsonObject { ["ratio"] = double.PositiveInfinity, ["n"] = 2 });
            var back = RunRecordFile.TryRead(artifact)!;
            Assert.Null(back["ratio"]);
            Assert.Equal(2, (int)back["n"]!);
            File.WriteAllText(RunRecordFile.PathFor(artifact), "{");
            var e = Assert.Throws<InvalidDataException>(() => RunRecordFile.TryRead(artifact));
            Assert.Contains("m.knot.run.json", e.Message, StringComparison.Ordinal);
            Assert.Null(RunRecordFile.TryRead(Path.Combine(dir, "other.knot")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

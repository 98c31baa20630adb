using Knot.Autograd;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Tensors;

namespace Knot.Tests.Inference;

public sealed class KnotModelFileTests
{
    private static void AssertSameWeights(Sequential expected, Sequential actual)
    {
        var pe = expected.NamedParameters();
        var pa = actual.NamedParameters();
        Assert.Equal(pe.Select(p => p.Name), pa.Select(p => p.Name));
        for (int i = 0; i < pe.Count; i++) Assert.Equal(pe[i].Parameter.Data.ToArray(), pa[i].Parameter.Data.ToArray());
        var be = expected.NamedBuffers();
        var ba = actual.NamedBuffers();
        Assert.Equal(be.Select(b => b.Name), ba.Select(b => b.Name));
        for (int i = 0; i < be.Count; i++) Assert.Equal(be[i].Buffer.Data, ba[i].Buffer.Data);
        Assert.NotEmpty(pe);
    }

    [Theory]
    [InlineData("lenet-300-100")]
    [InlineData("growl-mnist")]
    [InlineData("lenet-5-caffe")]
    public void DenseRoundTripRebuildsTheSameModel(string name)
    {
        var spec = name == "lenet-5-caffe" ? new ModelSpec(name, 0.2f, 1, 28, 28, 10) : InferenceTestModels.Spec(name);
        var model = (Sequential)ModelZoo.Create(spec, new KnotRandom(2));
        foreach (var (_, b) in model.NamedBuffers()) for (int i = 0; i < b.Length; i++) b.Data[i] = 0.5f + 0.01f * i;
        var bytes = KnotModelFile.ToBytes(model, spec, new Dictionary<string, string> { ["note"] = "x" });
        var read = KnotModelFile.FromFile(KnotFile.Parse(bytes, "t.knot"), "t.knot");
        AssertSameWeights(model, read.Model);
        Assert.Equal(spec, read.Spec);
        Assert.Equal(model.ParameterCount(), read.DenseParameters);
        Assert.Equal("x", read.File.Metadata["note"]);
        Assert.Equal(4.0 * model.ParameterCount() / bytes.Length, read.Ratio, 12);
    }

    [Fact]
    public void SparseCodebookRoundTripKeepsWeightsExactlyAndPicksSparseCodes()
    {
        var model = InferenceTestModels.Zoo();
        var plans = InferenceTestModels.PruneAndQuantize(model, 0.9, 4);
        var bytes = KnotModelFile.ToBytes(model, InferenceTestModels.Spec(), plans: plans, denseParameters: 123_456);
        var read = KnotModelFile.FromFile(KnotFile.Parse(bytes, "t.knot"), "t.knot");
        AssertSameWeights(model, read.Model);
        Assert.IsType<SparseCodebookKnotTensor>(read.File["fc1.weight"]);
        Assert.Equal(123_456, read.DenseParameters);
        Assert.True(bytes.Length < 4 * model.ParameterCount() / 4, $"file {bytes.Length} bytes is not much smaller than dense {4 * model.ParameterCount()}");
    }

    [Fact]
    public void FinalizedGrowlModelWithGroupSumsRoundTrips()
    {
        var model = InferenceTestModels.Finalized();
        Assert.Contains(model.Children, c => c.Module is GroupSum);
        var read = KnotModelFile.FromFile(KnotFile.Parse(KnotModelFile.ToBytes(model, null, denseParameters: 9999), "g.knot"), "g.knot");
        AssertSameWeights(model, read.Model);
        var x = InferenceTestModels.Input(5);
        using var _ = GradMode.NoGrad();
        Assert.Equal(model.Forward(x).Data, read.Model.Forward(x).Data);
    }

    [Fact]
    public void FileWithoutArchitectureIsRejectedWithItsName()
    {
        var writer = new KnotFileWriter();
        writer.Metadata["knot.kind"] = "model";
        writer.Metadata["dense_parameters"] = "10";
        var e = Assert.Throws<InvalidDataException>(() => KnotModelFile.FromFile(KnotFile.Parse(writer.ToArray(), "bad.knot"), "bad.knot"));
        Assert.Contains("bad.knot", e.Message, StringComparison.Ordinal);
        Assert.Contains("knot.architecture", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanForUnknownTensorIsAnArgumentError()
    {
        var model = InferenceTestModels.Zoo();
        var plans = new Dictionary<string, TensorStoragePlan> { ["nope.weight"] = new(null, EncodingRequest.Dense) };
        Assert.Throws<ArgumentException>(() => KnotModelFile.ToBytes(model, null, plans: plans));
    }
}

using Knot.Storage.Interop;

namespace Knot.Tests.Storage.Interop;

public sealed class TorchStateDictReaderTests
{
    [Fact]
    public void StateDictLoadsWithExactlyTheValuesTorchSaved()
    {
        // Covers strided (transposed, column slice), offset views, a storage shared by two views, stride-0 expansion,
        // float16/bfloat16/float64 conversion, -0, denormals, infinities, a 0-d tensor and int64/int32 tensors.
        var w = TorchStateDictReader.Read(InteropFixtures.PathOf("state_dict.pt"));
        InteropFixtures.AssertAllMatch(w, "state_dict.pt");
        Assert.Equal([1f], w.Tensors["bn.num_batches_tracked"].Data);
        Assert.Equal("int64", w.SourceDtypes["bn.num_batches_tracked"]);
        Assert.Equal([0f, 4f, 8f, 1f, 5f, 9f, 2f, 6f, 10f, 3f, 7f, 11f], w.Tensors["extra.transposed"].Data.Select(v => v * 2));
        Assert.Equal([4, 3], w.Tensors["extra.transposed"].Shape);
        Assert.Equal([1.5f, -2.5f, 1.5f, -2.5f, 1.5f, -2.5f], w.Tensors["extra.expanded"].Data);
        Assert.Empty(w.Tensors["extra.scalar"].Shape);
        Assert.Empty(w.SkippedIntegerTensors);
    }

    [Fact]
    public void IntegerTensorsCanBeSkipped()
    {
        var w = TorchStateDictReader.Read(InteropFixtures.PathOf("state_dict.pt"), IntegerTensorHandling.Skip);
        Assert.Equal(["bn.num_batches_tracked", "extra.int32"], w.SkippedIntegerTensors);
        Assert.False(w.Tensors.ContainsKey("bn.num_batches_tracked"));
        Assert.True(w.Tensors.ContainsKey("bn.running_var"));
    }

    [Fact]
    public void NestedCheckpointFlattensToDottedNamesAndKeepsScalarsAsMetadata()
    {
        var w = TorchStateDictReader.Read(InteropFixtures.PathOf("nested.pt"));
        InteropFixtures.AssertAllMatch(w, "nested.pt");
        Assert.Equal("7", w.Metadata["epoch"]);
        Assert.Equal("0", w.Metadata["optimizer.param_groups.0.params.0"]);
        Assert.False(w.Metadata.ContainsKey("optimizer.param_groups.0.foreach")); // None is left out

        var model = new TensorNameMap().Select("model").StripPrefix("module.").Apply(w.Tensors, w.Source);
        Assert.Equal(["conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "fc1.weight", "fc1.bias"], model.Keys);
        Assert.Same(w.Tensors["model.module.fc1.weight"], model["fc1.weight"]);
    }

    [Theory]
    [InlineData("malicious_os.pt", "os.system")]
    [InlineData("malicious_reduce.pt", "posix.system")]
    public void MaliciousPickleIsRefusedAndNothingRuns(string fixture, string global)
    {
        const string marker = "/tmp/knot-pwned-marker";
        File.Delete(marker);
        var e = Assert.Throws<InvalidDataException>(() => TorchStateDictReader.Read(InteropFixtures.PathOf(fixture)));
        Assert.Equal($"refusing to load '{fixture}': pickle calls {global}, which is not an allowed tensor constructor.", e.Message);
        Assert.Equal(global, e.Data[RestrictedUnpickler.RefusedGlobalKey]);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void LegacyFormatAndOtherFilesGetClearMessages()
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchStateDictReader.Read(InteropFixtures.PathOf("legacy.pt")));
        Assert.Contains("legacy.pt: not a PyTorch zip archive", e.Message);
        Assert.Contains("legacy torch.save format", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TorchStateDictReader.Read(InteropFixtures.PathOf("tiny.safetensors")));
        Assert.Contains("safetensors", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TorchStateDictReader.Read(new MemoryStream(), "empty.pt"));
        Assert.Equal("empty.pt: the file is empty, not a PyTorch torch.save file.", e.Message);
    }

    [Fact]
    public void EveryTruncationOfAZipIsACleanError()
    {
        byte[] bytes = File.ReadAllBytes(InteropFixtures.PathOf("state_dict.pt"));
        for (int n = 0; n < bytes.Length; n += 3)
        {
            var e = Assert.Throws<InvalidDataException>(() => TorchStateDictReader.Read(new MemoryStream(bytes, 0, n), "cut.pt"));
            Assert.StartsWith("cut.pt: ", e.Message);
        }
    }

    [Fact]
    public void RandomCorruptionNeverEscapesAsAnotherException()
    {
        byte[] original = File.ReadAllBytes(InteropFixtures.PathOf("state_dict.pt"));
        var rng = new Random(7);
        int failed = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int f = 0; f < 1 + (trial % 4); f++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            try
            {
                TorchStateDictReader.Read(new MemoryStream(bytes), "flip.pt");
            }
            catch (InvalidDataException e)
            {
                Assert.True(e.Message.StartsWith("flip.pt: ", StringComparison.Ordinal) || e.Message.StartsWith("refusing to load 'flip.pt'", StringComparison.Ordinal), e.Message);
                failed++;
            }
        }
        Assert.True(failed > 0);
    }
}

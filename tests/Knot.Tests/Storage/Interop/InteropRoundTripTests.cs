using Knot.Storage.Checkpoints;
using Knot.Storage.Interop;

namespace Knot.Tests.Storage.Interop;

public sealed class InteropRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("knot-interop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("state_dict.pt", WeightFileFormat.Zip)]
    [InlineData("legacy.pt", WeightFileFormat.Pickle)]
    [InlineData("tiny.safetensors", WeightFileFormat.Safetensors)]
    [InlineData("expected.json", WeightFileFormat.Unknown)]
    public void FormatsAreRecognizedFromTheirFirstBytes(string fixture, WeightFileFormat format) =>
        Assert.Equal(format, WeightFileFormats.Detect(InteropFixtures.PathOf(fixture)));

    [Fact]
    public void TorchWeightsSurviveCheckpointAndSafetensorsExport()
    {
        var imported = TorchStateDictReader.Read(InteropFixtures.PathOf("state_dict.pt"));
        string ckptPath = Path.Combine(_dir, "imported.ckpt");
        CheckpointFile.Write(ckptPath, imported.ToCheckpoint());
        Assert.Equal(WeightFileFormat.KnotCheckpoint, WeightFileFormats.Detect(ckptPath));
        var ckpt = CheckpointFile.Read(ckptPath);
        Assert.Equal("state_dict.pt", ckpt.GetMetadata("import/source"));

        string stPath = Path.Combine(_dir, "exported.safetensors");
        SafetensorsFile.Write(stPath, ckpt.Tensors, ckpt.Metadata);
        var back = SafetensorsFile.Read(stPath);
        Assert.Equal("state_dict.pt", back.Metadata["import/source"]);
        // Same names, shapes and bits as torch produced (source dtypes are now all float32).
        var (tensors, _) = InteropFixtures.Expected("state_dict.pt");
        Assert.Equal(tensors.Select(t => t.Name), back.Tensors.Keys);
        foreach (var (name, t) in tensors) InteropFixtures.AssertMatches(t, back.Tensors[name], name);
    }

    [Fact]
    public void ImporterPicksTheReaderFromTheFileContents()
    {
        var torch = WeightImporter.Read(InteropFixtures.PathOf("state_dict.pt"));
        InteropFixtures.AssertAllMatch(torch, "state_dict.pt");
        InteropFixtures.AssertAllMatch(WeightImporter.Read(InteropFixtures.PathOf("tiny.safetensors")), "tiny.safetensors");

        string ckptPath = Path.Combine(_dir, "renamed.bin"); // the extension does not matter
        CheckpointFile.Write(ckptPath, torch.ToCheckpoint());
        var fromCkpt = WeightImporter.Read(ckptPath);
        Assert.Equal(torch.Tensors.Keys, fromCkpt.Tensors.Keys);
        Assert.Equal("state_dict.pt", fromCkpt.Metadata["import/source"]);

        var e = Assert.Throws<InvalidDataException>(() => WeightImporter.Read(InteropFixtures.PathOf("legacy.pt")));
        Assert.Contains("legacy.pt: cannot import weights from a bare pickle stream, probably PyTorch's legacy torch.save format", e.Message);
        Assert.Throws<InvalidDataException>(() => WeightImporter.Read(InteropFixtures.PathOf("expected.json")));
    }
}

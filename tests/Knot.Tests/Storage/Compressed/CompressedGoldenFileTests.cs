using System.Runtime.CompilerServices;
using Knot.Storage.Compressed;

namespace Knot.Tests.Storage.Compressed;

/// <summary>
/// The committed tests/Knot.Tests/Fixtures/golden-v1.knot pins the byte layout of format version 1. If this test fails,
/// the writer's output changed: that is a format change. Either revert it, or bump <see cref="KnotFormat.Version"/>,
/// add a new golden-vN.knot and keep reading the old one. To (re)generate the fixture after such a deliberate change:
/// <c>KNOT_REGENERATE_GOLDEN=1 dotnet test tests/Knot.Tests --filter "FullyQualifiedName~CompressedGoldenFileTests"</c>
/// (the test then writes the file into the source tree and fails once, so a regeneration is never silent).
/// </summary>
public sealed class CompressedGoldenFileTests
{
    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden-v1.knot");

    private static string SourceFixturePath([CallerFilePath] string thisFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "Fixtures", "golden-v1.knot"));

    [Fact]
    public void WriterReproducesTheCommittedGoldenFileByteForByte()
    {
        var bytes = CompressedTestData.BuildGolden();
        if (Environment.GetEnvironmentVariable("KNOT_REGENERATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(SourceFixturePath(), bytes);
            Assert.Fail($"Regenerated {SourceFixturePath()} ({bytes.Length} bytes); unset KNOT_REGENERATE_GOLDEN and rebuild.");
        }
        Assert.True(File.Exists(FixturePath), $"Missing {FixturePath}; see this test's summary for how to generate it.");
        var committed = File.ReadAllBytes(FixturePath);
        Assert.Equal(committed.Length, bytes.Length);
        Assert.Equal(committed, bytes);
    }

    [Fact]
    public void GoldenFileReadsBackToTheKnownTensors()
    {
        var file = KnotFile.Read(FixturePath);
        Assert.Equal(1, file.Version);
        Assert.Equal("golden-test", file.Metadata["architecture"]);
        Assert.Equal("{\"layers\":[3,4]}", file.Metadata["config"]);
        Assert.Equal(2, file.Codebooks.Count);
        Assert.Equal([1f, -2f, 0.5f, 0f, 3.25f, -0f], file.GetDense("dense"));
        Assert.Equal([0f, 0f, 7f, 0f, 0f, 0f, 0f, 0f, 0f, -1f, 0f, 2f], file.GetDense("sparse"));
        Assert.Equal([-0.75f, 0f, 0f, 1.5f, 0.25f, 0f, 0f, 0f], file.GetDense("codebook"));
        Assert.Equal([0f, 0.25f, 0f, 0.25f, 0f, 0f, 1.5f, 0f, 0.25f, 0f], file.GetDense("sparse.codebook.huffman"));
        Assert.Equal([42f], file.GetDense("scalar"));
        Assert.Empty(file.GetDense("empty"));
        Assert.Equal([0, 1, 1, 3, 0, -2], file.GetIndexTable("tied.map"));
        var expected = new Dictionary<string, (PositionCoding, ValueCoding)>
        {
            ["dense"] = (PositionCoding.Dense, ValueCoding.Float32),
            ["sparse"] = (PositionCoding.Gaps, ValueCoding.Float32),
            ["sparse.huffman"] = (PositionCoding.HuffmanGaps, ValueCoding.Float32),
            ["codebook"] = (PositionCoding.Dense, ValueCoding.Codes),
            ["codebook.huffman"] = (PositionCoding.Dense, ValueCoding.HuffmanCodes),
            ["sparse.codebook"] = (PositionCoding.Gaps, ValueCoding.Codes),
            ["sparse.codebook.huffman"] = (PositionCoding.HuffmanGaps, ValueCoding.HuffmanCodes),
            ["tied.map"] = (PositionCoding.Dense, ValueCoding.PackedInt32),
        };
        foreach (var (name, (p, v)) in expected) Assert.Equal((p, v), (file[name].Encoding.Positions, file[name].Encoding.Values));
    }
}

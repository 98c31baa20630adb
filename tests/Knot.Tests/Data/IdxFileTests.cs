using System.Buffers.Binary;
using Knot.Data;

namespace Knot.Tests.Data;

public sealed class IdxFileTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsDimsAndBytes(bool gzip)
    {
        using var dir = new TempDir();
        var payload = DataTestFiles.Pattern(3 * 5 * 4);
        var bytes = DataTestFiles.IdxBytes([3, 5, 4], payload);
        string path = dir.File("x-idx3-ubyte");
        File.WriteAllBytes(path, gzip ? DataTestFiles.Gzip(bytes) : bytes);

        var idx = IdxFile.Read(path);

        Assert.Equal([3, 5, 4], idx.Dims);
        Assert.Equal(payload, idx.Data);
        Assert.Equal("3x5x4", idx.DimsText);
    }

    [Fact]
    public void DetectsGzipByMagicNotByName()
    {
        using var dir = new TempDir();
        var bytes = DataTestFiles.IdxBytes([7], DataTestFiles.Pattern(7));
        File.WriteAllBytes(dir.File("labels.raw"), DataTestFiles.Gzip(bytes));   // gzip without .gz
        File.WriteAllBytes(dir.File("labels.gz"), bytes);                         // raw with .gz
        Assert.Equal(DataTestFiles.Pattern(7), IdxFile.Read(dir.File("labels.raw")).Data);
        Assert.Equal(DataTestFiles.Pattern(7), IdxFile.Read(dir.File("labels.gz")).Data);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        using var dir = new TempDir();
        string path = dir.File("nope-idx1-ubyte");
        var e = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        var e2 = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(Path.Combine(dir.Path, "missing-dir", "f")));
        Assert.Contains("missing-dir", e2.Message);
    }

    [Fact]
    public void WrongMagicIsRefused()
    {
        using var dir = new TempDir();
        var bytes = DataTestFiles.IdxBytes([2], [1, 2]);
        bytes[0] = 0x12;
        File.WriteAllBytes(dir.File("bad"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("bad")));
        Assert.Contains("not an IDX file", e.Message);
        Assert.Contains("0x12 0x00 0x08 0x01", e.Message);
        Assert.Contains(dir.File("bad"), e.Message);
    }

    [Theory]
    [InlineData(0x0D, "float32")]
    [InlineData(0x0C, "int32")]
    [InlineData(0x09, "signed byte")]
    [InlineData(0x42, "unknown")]
    public void OtherElementTypesGetAClearError(byte type, string name)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("t"), DataTestFiles.IdxBytes([1], [0, 0, 0, 0], type));
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("t")));
        Assert.Contains($"0x{type:X2}", e.Message);
        Assert.Contains(name, e.Message);
        Assert.Contains("unsigned byte", e.Message);
    }

    [Fact]
    public void RankZeroIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("r0"), [0, 0, 8, 0]);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("r0")));
        Assert.Contains("rank 0", e.Message);
    }

    [Fact]
    public void WrongSizeReportsExpectedAndActualLikeMnist()
    {
        using var dir = new TempDir();
        // An MNIST training header followed by far too little data: refused from the file size, before allocating.
        var header = DataTestFiles.IdxBytes([60000, 28, 28], new byte[1000 - 16]);
        string path = dir.File("train-images-idx3-ubyte");
        File.WriteAllBytes(path, header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal($"{path}: expected 47040016 bytes for 60000x28x28, found 1000.", e.Message);
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void TruncatedRawFileFailsCleanlyAtEveryCut()
    {
        using var dir = new TempDir();
        var full = DataTestFiles.IdxBytes([3, 2, 2], DataTestFiles.Pattern(12));
        string path = dir.File("cut");
        for (int cut = 0; cut < full.Length; cut++)
        {
            File.WriteAllBytes(path, full[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
            Assert.Contains(path, e.Message);
            if (cut >= 16) Assert.Contains($"expected 28 bytes for 3x2x2, found {cut}", e.Message);
        }
    }

    [Fact]
    public void TruncatedGzipFailsCleanlyAtEveryCut()
    {
        using var dir = new TempDir();
        var gz = DataTestFiles.Gzip(DataTestFiles.IdxBytes([5, 3, 3], DataTestFiles.Pattern(45)));
        string path = dir.File("cut.gz");
        for (int cut = 0; cut < gz.Length; cut++)
        {
            File.WriteAllBytes(path, gz[..cut]);
            var e = Record.Exception(() => IdxFile.Read(path));
            Assert.True(e is InvalidDataException, $"cut {cut}: {e?.GetType().Name ?? "no exception"}: {e?.Message}");
            Assert.Contains(path, e!.Message);
        }
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        using var dir = new TempDir();
        var bytes = DataTestFiles.IdxBytes([2], [1, 2]);
        File.WriteAllBytes(dir.File("raw"), [.. bytes, 0]);
        Assert.Contains("expected 10 bytes for 2, found 11", Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("raw"))).Message);
        File.WriteAllBytes(dir.File("gz"), DataTestFiles.Gzip([.. bytes, 0, 0]));
        Assert.Contains("trailing", Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("gz"))).Message);
    }

    [Fact]
    public void HugeDimsAreRefusedBeforeAllocation()
    {
        using var dir = new TempDir();
        var header = DataTestFiles.IdxBytes([int.MaxValue, int.MaxValue, int.MaxValue], []);
        File.WriteAllBytes(dir.File("huge"), header);
        File.WriteAllBytes(dir.File("huge.gz"), DataTestFiles.Gzip(header));
        foreach (string name in new[] { "huge", "huge.gz" })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File(name)));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
            Assert.Contains("limit", e.Message);
        }
        // Dimensions above int.MaxValue are refused as such.
        var big = DataTestFiles.IdxBytes([1], []);
        BinaryPrimitives.WriteUInt32BigEndian(big.AsSpan(4), 0x80000000);
        File.WriteAllBytes(dir.File("u32"), big);
        Assert.Contains("2147483648", Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("u32"))).Message);
    }

    [Fact]
    public void GzipClaimingMoreThanDeflateCanHoldIsRefusedBeforeAllocation()
    {
        using var dir = new TempDir();
        // 400 MB declared (under the 1 GiB limit) in a gzip of a few dozen bytes: impossible for deflate.
        File.WriteAllBytes(dir.File("bomb.gz"), DataTestFiles.Gzip(DataTestFiles.IdxBytes([20000, 20000], [])));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("bomb.gz")));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Contains("cannot expand", e.Message);
    }

    [Fact]
    public void GzipBombBehindASmallHeaderStopsAtTheDeclaredSize()
    {
        using var dir = new TempDir();
        // Header says 4 bytes; the stream then inflates to 16 MB of zeros. We must stop after one byte too many.
        var bomb = new byte[8 + 4 + (16 << 20)];
        DataTestFiles.IdxBytes([4], [1, 2, 3, 4]).CopyTo(bomb, 0);
        File.WriteAllBytes(dir.File("bomb.gz"), DataTestFiles.Gzip(bomb));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("bomb.gz")));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4_000_000);
        Assert.Contains("trailing", e.Message);
    }

    [Fact]
    public void GzipShorterThanDeclaredReportsDecompressedSize()
    {
        using var dir = new TempDir();
        var bytes = DataTestFiles.IdxBytes([10, 10], DataTestFiles.Pattern(100));
        File.WriteAllBytes(dir.File("short.gz"), DataTestFiles.Gzip(bytes[..60]));
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(dir.File("short.gz")));
        Assert.Contains("expected 112 bytes (decompressed) for 10x10, found 60", e.Message);
    }

    [Fact]
    public void CorruptGzipIsReportedWithThePath()
    {
        using var dir = new TempDir();
        var gz = DataTestFiles.Gzip(DataTestFiles.IdxBytes([10, 20], DataTestFiles.Pattern(200)));
        string path = dir.File("corrupt.gz");
        int failures = 0;
        // Flip each byte of the deflate body and the CRC/size trailer in turn: every variant must fail cleanly.
        for (int i = 10; i < gz.Length; i++)
        {
            var bad = (byte[])gz.Clone();
            bad[i] ^= 0x5A;
            File.WriteAllBytes(path, bad);
            var e = Record.Exception(() => IdxFile.Read(path));
            Assert.True(e is InvalidDataException, $"byte {i}: {e?.GetType().Name ?? "no exception"}: {e?.Message}");
            Assert.Contains(path, e!.Message);
            failures++;
        }
        Assert.Equal(gz.Length - 10, failures);
    }
}

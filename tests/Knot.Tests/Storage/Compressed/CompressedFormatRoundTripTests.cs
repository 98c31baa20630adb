using Knot.Storage.Compressed;
using Knot.Tensors;

namespace Knot.Tests.Storage.Compressed;

public sealed class CompressedFormatRoundTripTests
{
    private static readonly EncodingRequest[] FloatRequests =
    [
        EncodingRequest.Dense, EncodingRequest.Sparse, EncodingRequest.HuffmanSparse,
        EncodingRequest.Codebook, EncodingRequest.HuffmanCodebook,
        EncodingRequest.SparseCodebook, EncodingRequest.HuffmanSparseCodebook,
        new(PositionCoding.Gaps, ValueCoding.HuffmanCodes), new(PositionCoding.HuffmanGaps, ValueCoding.Codes),
        // The test codebook's values are all exact float16s, so every case can also be stored in half precision.
        new(PositionCoding.Dense, ValueCoding.Float16), new(PositionCoding.Gaps, ValueCoding.Float16),
        new(PositionCoding.HuffmanGaps, ValueCoding.Float16),
    ];

    public static TheoryData<int> RequestIndices() => [.. Enumerable.Range(0, FloatRequests.Length)];

    private static KnotFloatTensor RoundTrip(float[] values, int[] shape, EncodingRequest request, float[]? codebook, out TensorEncoding written)
    {
        var w = new KnotFileWriter();
        int? id = codebook is null ? null : w.AddCodebook(codebook);
        written = w.AddTensor("t", values, shape, request, id);
        var file = KnotFile.Parse(w.ToArray(), "roundtrip");
        var t = Assert.IsAssignableFrom<KnotFloatTensor>(file["t"]);
        Assert.Equal(written, t.Encoding);
        Assert.Equal(new Shape(shape), t.Shape);
        return t;
    }

    [Theory]
    [MemberData(nameof(RequestIndices))]
    public void EveryEncodingRoundTripsEdgeCases(int requestIndex)
    {
        var request = FloatRequests[requestIndex];
        var cb = CompressedTestData.Codebook;
        var cases = new (float[] Values, int[] Shape)[]
        {
            ([], [0]),
            ([], [3, 0, 2]),
            (new float[17], [17]),                 // all zero
            ([0.25f], []),                          // single element, rank 0
            ([0f], [1]),
            (CompressedTestData.SparseOnCodebook(1, 3000, 0.05, cb), [30, 100]),
            (CompressedTestData.SparseOnCodebook(2, 500, 0.9, cb), [5, 10, 10]),
            (LongGaps(cb), [2, 1000]),
        };
        foreach (var (values, shape) in cases)
        {
            foreach (int? gapBits in new int?[] { null, 1, 2, 5, 16 })
            {
                if (gapBits is not null && request.Positions == PositionCoding.Dense) continue;
                var r = request with { GapBits = request.Positions == PositionCoding.Dense ? null : gapBits };
                var t = RoundTrip(values, shape, r, cb, out var enc);
                Assert.Equal(values, t.ToDense());
                if (r.Positions is PositionCoding p) Assert.Equal(p, enc.Positions);
                if (r.Values is ValueCoding v) Assert.Equal(v, enc.Values);
                if (gapBits is int g) Assert.Equal(g, enc.GapBits);
            }
        }
    }

    /// <summary>Non-zeros separated by gaps far larger than small gap widths can hold (many filler symbols).</summary>
    private static float[] LongGaps(float[] cb)
    {
        var v = new float[2000];
        v[0] = cb[0]; v[1] = cb[1]; v[700] = cb[3]; v[1999] = cb[5];
        return v;
    }

    [Fact]
    public void GapOverflowUsesFillersAndStillRoundTrips()
    {
        var values = new float[100];
        values[99] = 2f; // one gap of 100 with 2-bit gaps (escape 3): 33 fillers + 1 entry
        var w = new KnotFileWriter();
        var enc = w.AddTensor("t", values, [100], EncodingRequest.Sparse with { GapBits = 2 });
        Assert.Equal(PositionCoding.Gaps, enc.Positions);
        Assert.Equal((34 * 2 + 7) / 8 + 4, w.Entries[0].PayloadBytes);
        Assert.Equal(values, KnotFile.Parse(w.ToArray()).GetDense("t"));
    }

    [Fact]
    public void AutomaticChoiceIsTheSmallestOfAllForcedEncodings()
    {
        var cb = CompressedTestData.Codebook;
        var inputs = new[]
        {
            CompressedTestData.Gaussian(3, 600),                                 // dense floats
            CompressedTestData.SparseOnCodebook(4, 4000, 0.03, cb),               // very sparse
            CompressedTestData.SparseOnCodebook(5, 4000, 0.5, cb),
            CompressedTestData.SparseOnCodebook(6, 4000, 0.97, cb),               // nearly dense, on the book
            new float[64],
        };
        foreach (var values in inputs)
        {
            bool onBook = values.All(v => cb.Contains(v));
            var auto = new KnotFileWriter();
            auto.AddTensor("t", values, [values.Length], EncodingRequest.Auto, onBook ? auto.AddCodebook(cb) : null);
            long autoBytes = auto.Entries[0].PayloadBytes;
            long best = long.MaxValue;
            foreach (var positions in new[] { PositionCoding.Dense, PositionCoding.Gaps, PositionCoding.HuffmanGaps })
            {
                foreach (var vc in new[] { ValueCoding.Float32, ValueCoding.Codes, ValueCoding.HuffmanCodes })
                {
                    if (vc != ValueCoding.Float32 && !onBook) continue;
                    for (int g = 1; g <= (positions == PositionCoding.Dense ? 1 : 16); g++)
                    {
                        var forced = new KnotFileWriter();
                        int? id = onBook ? forced.AddCodebook(cb) : null;
                        forced.AddTensor("t", values, [values.Length], new EncodingRequest(positions, vc, positions == PositionCoding.Dense ? null : g), id);
                        long bytes = forced.Entries[0].PayloadBytes;
                        best = Math.Min(best, bytes);
                    }
                }
            }
            Assert.Equal(best, autoBytes);
            Assert.Equal(values, KnotFile.Parse(auto.ToArray()).GetDense("t"));
        }
    }

    [Fact]
    public void AutomaticChoiceBeatsDenseOnTypicalCompressedLayers()
    {
        // A pruned + 4-bit quantized 300x784 layer at 8% density.
        var rng = new KnotRandom(12);
        var cb = Enumerable.Range(0, 16).Select(i => (i - 7.5f) / 40f).ToArray();
        var values = new float[300 * 784];
        for (int i = 0; i < values.Length; i++) if (rng.NextDouble() < 0.08) values[i] = cb[Math.Clamp(8 + (int)(rng.NextNormal() * 3), 0, 15)];
        var w = new KnotFileWriter();
        var enc = w.AddTensor("fc1.weight", values, [300, 784], codebookId: w.AddCodebook(cb));
        Assert.True(enc.IsSparse && enc.UsesCodebook);
        var bytes = w.ToArray();
        double ratio = 4.0 * values.Length / bytes.Length;
        Assert.True(ratio > 25, $"ratio {ratio:F1} with {enc}");
        Assert.Equal(values, KnotFile.Parse(bytes).GetDense("fc1.weight"));
    }

    [Fact]
    public void SparseCodebookTensorExposesCsrStructure()
    {
        float[] cb = [-1f, 0.5f, 2f];
        float[] values =
        [
            0f, 2f, 0f, 0f,
            0f, 0f, 0f, 0f,
            -1f, 0f, 0.5f, 2f,
        ];
        var w = new KnotFileWriter();
        w.AddTensor("m", values, [3, 4], EncodingRequest.HuffmanSparseCodebook, w.AddCodebook(cb));
        var t = Assert.IsType<SparseCodebookKnotTensor>(KnotFile.Parse(w.ToArray())["m"]);
        Assert.Equal(3, t.Structure.Rows);
        Assert.Equal(4, t.Structure.Columns);
        Assert.Equal([0, 1, 1, 4], t.Structure.RowPointers);
        Assert.Equal([1, 0, 2, 3], t.Structure.ColumnIndices);
        Assert.Equal([1, 8, 10, 11], t.Structure.Positions);
        Assert.Equal(cb, t.Codebook);
        Assert.Equal(new ushort[] { 2, 0, 1, 2 }, t.Codes);

        // A convolution weight (C_out, C_in, kh, kw) is viewed as C_out rows of C_in·kh·kw columns (im2col layout).
        var conv = new float[2 * 3 * 2 * 2];
        conv[13] = 0.5f;
        var w2 = new KnotFileWriter();
        w2.AddTensor("conv", conv, [2, 3, 2, 2], EncodingRequest.Sparse);
        var s = Assert.IsType<SparseKnotTensor>(KnotFile.Parse(w2.ToArray())["conv"]);
        Assert.Equal((2, 12), (s.Structure.Rows, s.Structure.Columns));
        Assert.Equal([0, 0, 1], s.Structure.RowPointers);
        Assert.Equal([1], s.Structure.ColumnIndices);
    }

    [Fact]
    public void SharedAndPerLayerCodebooksAndMetadataRoundTrip()
    {
        var w = new KnotFileWriter();
        w.Metadata["architecture"] = "lenet-300-100";
        w.Metadata["config"] = "{\"hidden\":[300,100],\"unicode\":\"λ→✓\"}";
        w.Metadata["empty"] = "";
        int shared = w.AddCodebook([0f, 1f, 2f]);
        int perLayer = w.AddCodebook([-3f, 3f]);
        w.AddTensor("a", [0f, 1f, 2f, 1f], [4], EncodingRequest.Codebook, shared);
        w.AddTensor("b", [2f, 0f, 0f, 1f], [2, 2], EncodingRequest.SparseCodebook, shared);
        w.AddTensor("c", [-3f, 0f, 3f], [3], EncodingRequest.SparseCodebook, perLayer);
        var file = KnotFile.Parse(w.ToArray());
        Assert.Equal(w.Metadata, file.Metadata);
        Assert.Equal(2, file.Codebooks.Count);
        var a = Assert.IsType<CodebookKnotTensor>(file["a"]);
        var b = Assert.IsType<SparseCodebookKnotTensor>(file["b"]);
        var c = Assert.IsType<SparseCodebookKnotTensor>(file["c"]);
        Assert.Equal(0, a.CodebookId);
        Assert.Same(a.Codebook, b.Codebook);
        Assert.Equal(1, c.CodebookId);
        Assert.Equal([-3f, 0f, 3f], file.GetDense("c"));
        Assert.Equal(2, a.Encoding.CodeBits);
    }

    [Fact]
    public void IndexTablesRoundTripIncludingExtremes()
    {
        int[][] tables =
        [
            [],
            [5],
            [0, 1, 1, 3, 2, 2],
            [-7, -7, -7],
            [int.MinValue, 0, int.MaxValue],
        ];
        var w = new KnotFileWriter();
        for (int i = 0; i < tables.Length; i++) w.AddIndexTable($"map{i}", tables[i], [tables[i].Length]);
        var file = KnotFile.Parse(w.ToArray());
        for (int i = 0; i < tables.Length; i++)
        {
            Assert.Equal(tables[i], file.GetIndexTable($"map{i}"));
            Assert.Equal(KnotElementType.Int32, file[$"map{i}"].ElementType);
        }
        Assert.Equal(2, file["map2"].Encoding.CodeBits);
        Assert.Throws<InvalidOperationException>(() => file.GetDense("map2"));
    }

    [Fact]
    public void WriterRejectsImpossibleRequestsWithClearArguments()
    {
        var w = new KnotFileWriter();
        int id = w.AddCodebook([1f, 2f]);
        Assert.Contains("codebook", Assert.Throws<ArgumentException>(() => w.AddTensor("a", [1f], [1], EncodingRequest.Codebook)).Message);
        // Zero is not on this codebook, so dense codes are impossible; sparse codes are fine.
        Assert.Throws<ArgumentException>(() => w.AddTensor("b", [0f, 1f], [2], EncodingRequest.Codebook, id));
        Assert.Equal(ValueCoding.Codes, w.AddTensor("b", [0f, 1f], [2], EncodingRequest.SparseCodebook, id).Values);
        Assert.Contains("not an entry", Assert.Throws<ArgumentException>(() => w.AddTensor("c", [1.5f], [1], null, id)).Message);
        Assert.Throws<ArgumentException>(() => w.AddTensor("b", [1f], [1]));                // duplicate name
        Assert.Throws<ArgumentException>(() => w.AddTensor("d", [1f, 2f], [3]));            // shape mismatch
        Assert.Throws<ArgumentException>(() => w.AddTensor("e", [float.NaN], [1]));         // NaN
        Assert.Throws<ArgumentException>(() => w.AddTensor("", [1f], [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.AddTensor("f", [1f], [1], EncodingRequest.Sparse with { GapBits = 17 }));
        Assert.Throws<ArgumentException>(() => w.AddCodebook([]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("g", [1f], [1], EncodingRequest.Dense with { GapBits = 4 }));
    }

    [Fact]
    public void CompressedMetadataRoundTripsAndIsUsedOnlyWhenItIsSmaller()
    {
        byte[] Build(bool compress, string architecture)
        {
            var w = new KnotFileWriter { CompressMetadata = compress };
            w.Metadata["knot.architecture"] = architecture;
            w.Metadata["dense_parameters"] = "1234";
            w.AddTensor("t", [0.5f, 0f, -1f], [3]);
            return w.ToArray();
        }
        string big = "[" + string.Join(",", Enumerable.Range(0, 30).Select(i => $"{{\"type\":\"conv2d\",\"in\":{i},\"out\":{i + 1},\"kernel\":3}}")) + "]";
        var plain = Build(false, big);
        var packed = Build(true, big);
        Assert.True(packed.Length < plain.Length - 500, $"{packed.Length} vs {plain.Length} bytes");
        Assert.Equal(KnotFormat.CompressedMetadataFlag, System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(packed.AsSpan(6)));
        var file = KnotFile.Parse(packed, "packed");
        Assert.Equal(big, file.Metadata["knot.architecture"]);
        Assert.Equal("1234", file.Metadata["dense_parameters"]);
        Assert.Equal([0.5f, 0f, -1f], file.GetDense("t"));
        // Tiny metadata does not shrink under Deflate: the block stays plain and the bytes equal an uncompressed writer's.
        Assert.Equal(Build(false, "x"), Build(true, "x"));
    }

    [Fact]
    public void HalfPrecisionIsExactWhenAskedAndNeverChosenAutomatically()
    {
        var rng = new Random(7);
        var halves = Enumerable.Range(0, 300).Select(i => i % 3 == 0 ? 0f : (float)(Half)(float)(rng.NextDouble() * 4 - 2)).ToArray();
        halves[1] = (float)Half.MaxValue;
        halves[2] = (float)Half.Epsilon; // the smallest subnormal survives
        halves[4] = -0f;
        var w = new KnotFileWriter();
        var dense = w.AddTensor("dense", halves, [300], new EncodingRequest(PositionCoding.Dense, ValueCoding.Float16));
        var best = w.AddTensor("best", halves, [300], EncodingRequest.HalfPrecision);
        var auto = w.AddTensor("auto", halves, [300]);
        Assert.Equal(new TensorEncoding(PositionCoding.Dense, ValueCoding.Float16), dense);
        Assert.Equal(600, w.Entries[0].PayloadBytes);
        Assert.Equal(ValueCoding.Float16, best.Values);
        Assert.True(best.IsSparse); // a third of the values are zero: gaps + 2-byte values beat 600 bytes
        Assert.NotEqual(ValueCoding.Float16, auto.Values);
        var file = KnotFile.Parse(w.ToArray(), "half");
        var bits = (float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.Equal(bits(halves), bits(file.GetDense("dense")));
        var expectedSparse = halves.Select(v => v == 0f ? 0f : v).ToArray(); // sparse encodings do not keep the sign of zero
        Assert.Equal(expectedSparse, file.GetDense("best"));
        Assert.Equal("dense+f16", file["dense"].Encoding.ToString());

        // The writer never rounds: one value that is not a float16 makes the request fail and names why.
        var e = Assert.Throws<ArgumentException>(() => w.AddTensor("lossy", [0.1f, 0.5f], [2], EncodingRequest.HalfPrecision));
        Assert.Contains("float16", e.Message);
        Assert.Throws<ArgumentException>(() => w.AddTensor("big", [70000f], [1], EncodingRequest.HalfPrecision)); // overflows to ∞
    }

    [Fact]
    public void WriteIsAtomicAndReadMatches()
    {
        string dir = Path.Combine(Path.GetTempPath(), "knot-format-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "model.knot");
            var w = new KnotFileWriter();
            w.AddTensor("x", CompressedTestData.Gaussian(1, 10), [10]);
            w.Write(path);
            w.Write(path); // overwrite
            Assert.Equal(["model.knot"], Directory.GetFiles(dir).Select(Path.GetFileName));
            var file = KnotFile.Read(path);
            Assert.Equal(new FileInfo(path).Length, file.FileBytes);
            Assert.Equal(CompressedTestData.Gaussian(1, 10), file.GetDense("x"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public sealed class CompressedGapStatisticsTests
{
    [Fact]
    public void FastGapStatisticsEqualTheReferenceForEveryWidth()
    {
        var values = CompressedTestData.SparseOnCodebook(8, 200_000, 0.01, CompressedTestData.Codebook);
        values[199_999] = 1.5f; // plus a gap larger than 2^16
        Array.Clear(values, 1000, 120_000);
        var positions = Enumerable.Range(0, values.Length).Where(i => values[i] != 0).ToArray();
        var source = new TensorSource { Name = "t", Shape = [values.Length], ElementCount = values.Length, Floats = values, Positions = positions };
        for (int bits = 1; bits <= KnotFormat.MaxGapBits; bits++)
        {
            Assert.Equal(GapCoding.SymbolCount(positions, bits), source.GapSymbolCount(bits));
            Assert.Equal(GapCoding.Histogram(positions, bits), source.GapHistogram(bits));
        }
    }
}

using Knot.Compression.Accounting;
using Knot.Tensors;

namespace Knot.Tests.Compression.Accounting;

public sealed class DeepCompressionAccountingTests
{
    // Per-layer densities and bit widths of Deep Compression (Han et al. 2016), Tables 2 and 3; weight counts are the
    // exact layer sizes of METHODS.md §5.
    [Fact]
    public void LeNet300100PrunedQuantizedIs32x()
    {
        var model = new ModelStorage(
        [
            DeepCompressionAccounting.FromDensity("ip1", 784 * 300, 0.08, weightBits: 6, indexBits: 5),
            DeepCompressionAccounting.FromDensity("ip2", 300 * 100, 0.09, 6, 5),
            DeepCompressionAccounting.FromDensity("ip3", 100 * 10, 0.26, 6, 5),
        ]);
        Assert.InRange(model.CompressionRatio, 31.5, 33.5);
        // Per-layer "compress rate" of the paper: ip1 3.1%, ip2 3.8%, ip3 15.7%.
        Assert.InRange(model.Layers[0].Fraction, 0.028, 0.032);
        Assert.InRange(model.Layers[1].Fraction, 0.033, 0.039);
        Assert.InRange(model.Layers[2].Fraction, 0.150, 0.160);
    }

    [Fact]
    public void LeNet5PrunedQuantizedIs33x()
    {
        var model = new ModelStorage(
        [
            DeepCompressionAccounting.FromDensity("conv1", 20 * 1 * 5 * 5, 0.66, weightBits: 8, indexBits: 5),
            DeepCompressionAccounting.FromDensity("conv2", 50 * 20 * 5 * 5, 0.12, 8, 5),
            DeepCompressionAccounting.FromDensity("ip1", 800 * 500, 0.08, 5, 5),
            DeepCompressionAccounting.FromDensity("ip2", 500 * 10, 0.19, 5, 5),
        ]);
        Assert.InRange(model.CompressionRatio, 32.5, 34);
        // Paper: conv1 78.5%, conv2 6.0%, ip1 2.7%, ip2 6.9%.
        Assert.InRange(model.Layers[0].Fraction, 0.77, 0.80);
        Assert.InRange(model.Layers[1].Fraction, 0.058, 0.062);
        Assert.InRange(model.Layers[2].Fraction, 0.026, 0.028);
        Assert.InRange(model.Layers[3].Fraction, 0.064, 0.070);
    }

    [Fact]
    public void FillersFollowThePapersExample()
    {
        // Deep Compression Fig. 2: 3-bit indices (gaps up to 8); non-zeros at 1, 4 and 15: gaps 2, 3, 11 -> one filler.
        Assert.Equal(1, DeepCompressionAccounting.CountFillers([1, 4, 15], 3));
        Assert.Equal(0, DeepCompressionAccounting.CountFillers([7, 15], 3)); // gaps 8 and 8 fit exactly
        Assert.Equal(1, DeepCompressionAccounting.CountFillers([8], 3));     // gap 9
        Assert.Equal(2, DeepCompressionAccounting.CountFillers([16], 3));    // gap 17
        var w = new float[20];
        w[1] = 1; w[4] = 2; w[15] = 3;
        Assert.Equal(1, DeepCompressionAccounting.CountFillers(w, 3));
        Assert.Throws<ArgumentException>(() => DeepCompressionAccounting.CountFillers([3, 3], 3));
    }

    [Fact]
    public void ExpectedFillersMatchRandomLayers()
    {
        var rng = new KnotRandom(1);
        const int n = 235_200;
        foreach (var density in new[] { 0.02, 0.08, 0.2 })
        {
            double measured = 0;
            long nnz = 0;
            const int trials = 4;
            for (int t = 0; t < trials; t++)
            {
                var w = new float[n];
                for (int i = 0; i < n; i++) if (rng.NextDouble() < density) { w[i] = 1; nnz++; }
                measured += DeepCompressionAccounting.CountFillers(w, 5);
            }
            measured /= trials;
            double expected = DeepCompressionAccounting.ExpectedFillers(n, density, 5);
            Assert.InRange(measured, expected * 0.95 - 5, expected * 1.05 + 5);
        }
    }

    [Fact]
    public void ExactAccountingOfAQuantizedLayerAndHuffmanIsSmaller()
    {
        var rng = new KnotRandom(2);
        const int n = 30_000;
        var indices = new int[n];
        var w = new float[n];
        for (int i = 0; i < n; i++)
        {
            if (rng.NextDouble() < 0.09)
            {
                // Bell-shaped code usage, as after k-means on pruned weights.
                indices[i] = Math.Clamp(32 + (int)(rng.NextNormal() * 6), 0, 63);
                w[i] = indices[i] + 1;
            }
            else indices[i] = -1;
        }
        var pq = DeepCompressionAccounting.FromWeights("ip2", w, 6, 5);
        var pqh = DeepCompressionAccounting.PrunedQuantizedHuffman("ip2", indices, 64, 5);
        Assert.Equal(pq.NonZeros, pqh.NonZeros);
        Assert.Equal(pq.Fillers, pqh.Fillers);
        Assert.Equal((pq.NonZeros + pq.Fillers) * 11 + 64 * 32, pq.TotalBits);
        Assert.True(pqh.TotalBits < pq.TotalBits);
        Assert.True(pqh.WeightCodeBits < 6 * pqh.Entries);
    }
}

public sealed class FileStorageAccountingTests
{
    [Fact]
    public void RowsListEveryTensorAndRatioUsesWholeFileBytes()
    {
        var w = new Knot.Storage.Compressed.KnotFileWriter();
        w.AddTensor("a", new float[100], [10, 10]);
        w.AddIndexTable("map", [0, 1, 1], [3]);
        var file = Knot.Storage.Compressed.KnotFile.Parse(w.ToArray());
        var rows = FileStorageAccounting.Rows(file);
        Assert.Equal(["a", "map"], rows.Select(r => r.Name));
        Assert.Equal(100, rows[0].Elements);
        Assert.Equal("(10, 10)", rows[0].Shape);
        Assert.Equal(400.0 / file.FileBytes, FileStorageAccounting.CompressionRatio(100, file.FileBytes));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileStorageAccounting.CompressionRatio(1, 0));
    }
}

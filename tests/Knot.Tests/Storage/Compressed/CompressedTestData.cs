using Knot.Storage.Compressed;
using Knot.Tensors;

namespace Knot.Tests.Storage.Compressed;

/// <summary>Shared inputs for the .knot tests.</summary>
internal static class CompressedTestData
{
    public static readonly float[] Codebook = [-0.75f, -0.25f, 0f, 0.25f, 0.5f, 1.5f];

    /// <summary>A sparse tensor whose non-zeros are codebook entries (density ~d).</summary>
    public static float[] SparseOnCodebook(ulong seed, int n, double density, float[] codebook)
    {
        var rng = new KnotRandom(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            if (rng.NextDouble() >= density) continue;
            float v;
            do { v = codebook[rng.NextInt(codebook.Length)]; } while (v == 0f);
            values[i] = v;
        }
        return values;
    }

    public static float[] Gaussian(ulong seed, int n)
    {
        var rng = new KnotRandom(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)rng.NextNormal();
        return v;
    }

    /// <summary>
    /// The golden file's content: fixed small tensors covering every encoding. Changing this changes the golden bytes,
    /// which is only allowed together with a format version bump.
    /// </summary>
    public static byte[] BuildGolden()
    {
        var w = new KnotFileWriter();
        w.Metadata["architecture"] = "golden-test";
        w.Metadata["config"] = "{\"layers\":[3,4]}";
        w.Metadata["knot.format"] = "v1 golden";
        int shared = w.AddCodebook(Codebook);
        int small = w.AddCodebook([-1f, 1f]);
        w.AddTensor("dense", [1f, -2f, 0.5f, 0f, 3.25f, -0f], [2, 3], EncodingRequest.Dense);
        w.AddTensor("sparse", [0f, 0f, 7f, 0f, 0f, 0f, 0f, 0f, 0f, -1f, 0f, 2f], [3, 4], EncodingRequest.Sparse with { GapBits = 2 });
        w.AddTensor("sparse.huffman", [0f, 1f, 0f, 0f, 1f, 0f, 3f, 0f, 0f, 1f, 0f, 0f], [12], EncodingRequest.HuffmanSparse with { GapBits = 3 });
        w.AddTensor("codebook", [-0.75f, 0f, 0f, 1.5f, 0.25f, 0f, 0f, 0f], [2, 2, 2], EncodingRequest.Codebook, shared);
        w.AddTensor("codebook.huffman", [0f, 0f, 0f, 0.5f, 0f, 0f, 0.5f, -0.25f], [8], EncodingRequest.HuffmanCodebook, shared);
        w.AddTensor("sparse.codebook", [0f, 0f, 0f, 1f, 0f, -1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 1f], [2, 9], EncodingRequest.SparseCodebook with { GapBits = 3 }, small);
        w.AddTensor("sparse.codebook.huffman", [0f, 0.25f, 0f, 0.25f, 0f, 0f, 1.5f, 0f, 0.25f, 0f], [2, 5], EncodingRequest.HuffmanSparseCodebook with { GapBits = 2 }, shared);
        w.AddTensor("empty", [], [0, 4]);
        w.AddTensor("scalar", [42f], []);
        w.AddIndexTable("tied.map", [0, 1, 1, 3, 0, -2], [6]);
        return w.ToArray();
    }
}

using System.Runtime.InteropServices;
using Knot.Kernels;

namespace Knot.Tests.Kernels;

/// <summary>Splitting C over threads (by rows or by columns), or changing the kernel, must not change a single bit.</summary>
public sealed class GemmThreadingTests
{
    // Large enough to be split (>= 2^18 multiply-adds); wide ones split over N, tall ones over M, with ragged
    // tiles at the split and at the end.
    private static readonly (int M, int N, int K)[] Shapes =
        [(128, 300, 784), (300, 97, 130), (61, 515, 270), (1000, 20, 40), (7, 2100, 300)];

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string> { "Vector128" };
        if (Gemm.BestKernel >= GemmKernelKind.Vector256) data.Add("Vector256");
        if (Gemm.BestKernel >= GemmKernelKind.Vector512) data.Add("Vector512");
        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void OneTwoAndThreeThreadsAreBitIdentical(string kernelName)
    {
        var kernel = Enum.Parse<GemmKernelKind>(kernelName);
        int seed = 0;
        foreach (var (m, n, k) in Shapes)
        {
            for (int t = 0; t < 4; t++)
            {
                var gemm = new GemmCase
                {
                    TransA = (t & 1) != 0, TransB = (t & 2) != 0, M = m, N = n, K = k,
                    Alpha = 0.75f, Beta = t == 3 ? 0.5f : 0f, PadB = t,
                }.Build(seed++);
                float[] one = gemm.RunFast(kernel, threads: 1);
                float[] two = gemm.RunFast(kernel, threads: 2);
                float[] three = gemm.RunFast(kernel, threads: 3);
                Assert.True(Bits(one).SequenceEqual(Bits(two)), $"1 vs 2 threads differ: {gemm} kernel={kernel}");
                Assert.True(Bits(one).SequenceEqual(Bits(three)), $"1 vs 3 threads differ: {gemm} kernel={kernel}");
            }
        }
    }

    /// <summary>
    /// All kernels share Kc and the per-element arithmetic (one FMA chain per K block from zero, then
    /// fma(beta, c, alpha·acc)), so an AVX2 machine and an AVX-512 machine produce the same bits.
    /// </summary>
    [Fact]
    public void AllKernelsAreBitIdentical()
    {
        var kernels = new List<GemmKernelKind> { GemmKernelKind.Vector128 };
        if (Gemm.BestKernel >= GemmKernelKind.Vector256) kernels.Add(GemmKernelKind.Vector256);
        if (Gemm.BestKernel >= GemmKernelKind.Vector512) kernels.Add(GemmKernelKind.Vector512);
        int seed = 100;
        foreach (var (m, n, k) in new[] { (37, 65, 600), (128, 300, 100), (9, 40, 7) })
        {
            for (int t = 0; t < 4; t++)
            {
                var gemm = new GemmCase
                {
                    TransA = (t & 1) != 0, TransB = (t & 2) != 0, M = m, N = n, K = k, Alpha = 1.5f, Beta = t * 0.25f,
                }.Build(seed++);
                float[] first = gemm.RunFast(kernels[0], threads: 1);
                foreach (var kernel in kernels.Skip(1))
                    Assert.True(Bits(first).SequenceEqual(Bits(gemm.RunFast(kernel, threads: 2))), $"{kernels[0]} vs {kernel} differ: {gemm}");
            }
        }
    }

    [Fact]
    public void ThreadedResultStillMatchesReference() =>
        new GemmCase { TransA = false, TransB = true, M = 70, N = 150, K = 300, Beta = 0.5f }
            .Build(7).AssertMatchesReference(GemmKernelKind.Auto, threads: 2);

    private static ReadOnlySpan<int> Bits(float[] values) => MemoryMarshal.Cast<float, int>(values);
}

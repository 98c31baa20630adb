using Knot.Kernels;

namespace Knot.Tests.Kernels;

/// <summary>Every micro-kernel against ReferenceGemm over shapes that hit each edge of the blocking.</summary>
public sealed class GemmCorrectnessTests
{
    // Dims: 1-sized, below/at/above each kernel's Mr (6, 8) and Nr (8, 16, 32), tiny (direct path), several
    // K blocks (Kc = 256), several M blocks (Mc <= 144) and, with the 128-bit kernel, several N blocks (Nc = 1024).
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 1, 7), (2, 3, 4), (1, 17, 5), (13, 1, 9), (5, 7, 300), (6, 16, 20), (8, 32, 33),
        (7, 17, 19), (12, 48, 64), (31, 33, 35), (1, 300, 40), (200, 1, 40), (37, 65, 257), (150, 40, 70),
        (130, 70, 300), (9, 1100, 30), (64, 100, 10),
        // Skinny results, computed as Cᵀ = op(B)ᵀ·op(A)ᵀ to fill the register tiles.
        (128, 10, 100), (300, 3, 50),
    ];

    private static readonly (float Alpha, float Beta)[] Scalars = [(1f, 0f), (0.5f, 1f), (-2f, 0.25f), (1f, -1f)];

    [Fact]
    public void Vector128KernelMatchesReference() => AllShapes(GemmKernelKind.Vector128);

    [Vector256Fact]
    public void Vector256KernelMatchesReference() => AllShapes(GemmKernelKind.Vector256);

    [Vector512Fact]
    public void Vector512KernelMatchesReference() => AllShapes(GemmKernelKind.Vector512);

    [Fact]
    public void AutoKernelMatchesReferenceWithTwoThreads() => AllShapes(GemmKernelKind.Auto, threads: 2);

    private static void AllShapes(GemmKernelKind kernel, int threads = 1)
    {
        int variant = 0;
        foreach (var (m, n, k) in Shapes)
        {
            for (int t = 0; t < 4; t++, variant++)
            {
                var (alpha, beta) = Scalars[variant % Scalars.Length];
                int pad = variant % 3 == 0 ? 0 : variant % 5 + 1;
                new GemmCase
                {
                    TransA = (t & 1) != 0, TransB = (t & 2) != 0, M = m, N = n, K = k,
                    Alpha = alpha, Beta = beta, PadA = pad, PadB = (pad * 2) % 7, PadC = pad % 4,
                }.Build(variant).AssertMatchesReference(kernel, threads);
            }
        }
    }

    [Theory]
    [InlineData("Vector128")]
    [InlineData("Auto")]
    public void BetaZeroOverwritesNaN(string kernelName)
    {
        var kernel = Enum.Parse<GemmKernelKind>(kernelName);
        foreach (var (m, n, k) in new[] { (3, 3, 3), (19, 37, 41), (40, 70, 300) })
        {
            for (int t = 0; t < 4; t++)
            {
                new GemmCase { TransA = (t & 1) != 0, TransB = (t & 2) != 0, M = m, N = n, K = k, Beta = 0f, NaNInC = true }
                    .Build(t).AssertMatchesReference(kernel);
            }
        }
    }

    [Theory]
    [InlineData(0f, 7f)]
    [InlineData(0.5f, 2f)]
    [InlineData(0f, float.NaN)]
    public void ZeroKScalesC(float beta, float cValue)
    {
        float[] c = [cValue, cValue, cValue, cValue, 99f]; // 2x2 with ldc 2, plus a guard element
        Gemm.Multiply(false, false, 2, 2, 0, 3f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, beta, c, 2);
        float expected = beta == 0 ? 0f : beta * cValue;
        for (int i = 0; i < 4; i++) Assert.Equal(expected, c[i]);
        Assert.Equal(99f, c[4]);
    }

    [Fact]
    public void EmptyOutputTouchesNothing()
    {
        float[] a = [1, 2, 3], b = [4, 5, 6], c = [7f];
        Gemm.Multiply(false, false, 0, 1, 3, 1f, a, 3, b, 1, 0f, Span<float>.Empty, 1);
        Gemm.Multiply(false, false, 1, 0, 3, 1f, a, 3, b, 1, 0f, c, 1);
        Assert.Equal(7f, c[0]);
    }

    [Fact]
    public void KnownSmallProduct()
    {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50], via the public entry point.
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22f, 43f, 50f], c);
        // Aᵀ · Bᵀ = (B · A)ᵀ = [23 31; 34 46]
        Gemm.Multiply(true, true, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([23f, 31f, 34f, 46f], c);
    }
}

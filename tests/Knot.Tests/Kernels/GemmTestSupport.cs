using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Knot.Kernels;
using Knot.Kernels.Reference;

namespace Knot.Tests.Kernels;

/// <summary>A fact that runs only where .NET accelerates Vector512, and says so when skipped.</summary>
public sealed class Vector512FactAttribute : FactAttribute
{
    public Vector512FactAttribute()
    {
        if (!Vector512.IsHardwareAccelerated)
            Skip = "Vector512 is not hardware-accelerated on this machine; the 512-bit GEMM kernel cannot be exercised.";
    }
}

/// <summary>A fact that runs only where Vector256 and FMA are accelerated, and says so when skipped.</summary>
public sealed class Vector256FactAttribute : FactAttribute
{
    public Vector256FactAttribute()
    {
        if (!Vector256.IsHardwareAccelerated || !Fma.IsSupported)
            Skip = "Vector256 + FMA is not hardware-accelerated on this machine; the 256-bit GEMM kernel cannot be exercised.";
    }
}

/// <summary>One GEMM case: stored operands with padded strides, run through a chosen kernel and thread count.</summary>
internal sealed class GemmCase
{
    public required bool TransA { get; init; }
    public required bool TransB { get; init; }
    public required int M { get; init; }
    public required int N { get; init; }
    public required int K { get; init; }
    public float Alpha { get; init; } = 1f;
    public float Beta { get; init; }
    public int PadA { get; init; }
    public int PadB { get; init; }
    public int PadC { get; init; }
    public bool NaNInC { get; init; }

    public int Lda => (TransA ? M : K) + PadA;
    public int Ldb => (TransB ? K : N) + PadB;
    public int Ldc => N + PadC;

    public float[] A { get; private set; } = [];
    public float[] B { get; private set; } = [];
    public float[] C0 { get; private set; } = [];

    public override string ToString() =>
        $"m={M} n={N} k={K} tA={TransA} tB={TransB} alpha={Alpha} beta={Beta} lda={Lda} ldb={Ldb} ldc={Ldc}";

    public GemmCase Build(int seed)
    {
        var rng = new Random(seed);
        A = Random((TransA ? K : M) * Lda, rng);
        B = Random((TransB ? N : K) * Ldb, rng);
        C0 = Random(M * Ldc, rng);
        if (NaNInC) Array.Fill(C0, float.NaN);
        return this;
    }

    public float[] RunFast(GemmKernelKind kernel, int threads)
    {
        float[] c = (float[])C0.Clone();
        Gemm.Multiply(TransA, TransB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc, kernel, threads);
        return c;
    }

    /// <summary>Fast result vs ReferenceGemm, within float rounding for a length-k dot product.</summary>
    public void AssertMatchesReference(GemmKernelKind kernel, int threads = 1)
    {
        float[] fast = RunFast(kernel, threads);
        float[] expected = (float[])C0.Clone();
        ReferenceGemm.Multiply(TransA, TransB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, expected, Ldc);
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double magnitude = 0;
                for (int p = 0; p < K; p++)
                {
                    float av = TransA ? A[p * Lda + i] : A[i * Lda + p];
                    float bv = TransB ? B[j * Ldb + p] : B[p * Ldb + j];
                    magnitude += Math.Abs((double)av * bv);
                }

                double cOld = Beta == 0 ? 0 : Math.Abs((double)Beta * C0[i * Ldc + j]);
                double tolerance = (K + 4) * 1.2e-7 * (Math.Abs(Alpha) * magnitude + cOld) + 1e-30;
                float got = fast[i * Ldc + j], want = expected[i * Ldc + j];
                Assert.False(float.IsNaN(got), $"NaN at ({i},{j}) for {this} kernel={kernel} threads={threads}");
                Assert.True(Math.Abs(got - (double)want) <= tolerance,
                    $"({i},{j}): got {got}, want {want} (tol {tolerance:E2}) for {this} kernel={kernel} threads={threads}");
            }
        }

        // Padding columns of C (between n and ldc) must be left untouched.
        for (int i = 0; i < M; i++)
            for (int j = N; j < Ldc; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(C0[i * Ldc + j]), BitConverter.SingleToInt32Bits(fast[i * Ldc + j]));
    }

    private static float[] Random(int count, Random rng)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}

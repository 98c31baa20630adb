using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Knot.Kernels;

/// <summary>6x16 Vector256 + FMA micro-kernel: 12 accumulators + 2 B rows + 1 broadcast fit the 16 ymm registers of AVX2.</summary>
internal readonly struct GemmKernel256 : IGemmMicroKernel
{
    public static int Mr => 6;
    public static int Nr => 16;
    public static int Kc => 256;
    public static int Mc => 144;
    public static int Nc => 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default; Vector256<float> c01 = default;
        Vector256<float> c10 = default; Vector256<float> c11 = default;
        Vector256<float> c20 = default; Vector256<float> c21 = default;
        Vector256<float> c30 = default; Vector256<float> c31 = default;
        Vector256<float> c40 = default; Vector256<float> c41 = default;
        Vector256<float> c50 = default; Vector256<float> c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b + 0);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            Vector256<float> a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            Vector256<float> a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }

        Vector256<float> va = Vector256.Create(alpha);
        if (beta == 0)
        {
            // BLAS semantics: C is overwritten, never read, so NaNs already in C do not leak through.
            Vector256.Store(va * c00, c + 0 * ldc + 0);
            Vector256.Store(va * c01, c + 0 * ldc + 8);
            Vector256.Store(va * c10, c + 1 * ldc + 0);
            Vector256.Store(va * c11, c + 1 * ldc + 8);
            Vector256.Store(va * c20, c + 2 * ldc + 0);
            Vector256.Store(va * c21, c + 2 * ldc + 8);
            Vector256.Store(va * c30, c + 3 * ldc + 0);
            Vector256.Store(va * c31, c + 3 * ldc + 8);
            Vector256.Store(va * c40, c + 4 * ldc + 0);
            Vector256.Store(va * c41, c + 4 * ldc + 8);
            Vector256.Store(va * c50, c + 5 * ldc + 0);
            Vector256.Store(va * c51, c + 5 * ldc + 8);
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 0 * ldc + 0), va * c00), c + 0 * ldc + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 0 * ldc + 8), va * c01), c + 0 * ldc + 8);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 1 * ldc + 0), va * c10), c + 1 * ldc + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 1 * ldc + 8), va * c11), c + 1 * ldc + 8);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 2 * ldc + 0), va * c20), c + 2 * ldc + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 2 * ldc + 8), va * c21), c + 2 * ldc + 8);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 3 * ldc + 0), va * c30), c + 3 * ldc + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 3 * ldc + 8), va * c31), c + 3 * ldc + 8);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 4 * ldc + 0), va * c40), c + 4 * ldc + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 4 * ldc + 8), va * c41), c + 4 * ldc + 8);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 5 * ldc + 0), va * c50), c + 5 * ldc + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 5 * ldc + 8), va * c51), c + 5 * ldc + 8);
        }
    }
}

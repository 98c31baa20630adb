using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Knot.Kernels;

/// <summary>6x8 Vector128 micro-kernel: the portable fallback (SSE, NEON, or software where neither exists).</summary>
internal readonly struct GemmKernel128 : IGemmMicroKernel
{
    public static int Mr => 6;
    public static int Nr => 8;
    public static int Kc => 256;
    public static int Mc => 96;
    public static int Nc => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default; Vector128<float> c01 = default;
        Vector128<float> c10 = default; Vector128<float> c11 = default;
        Vector128<float> c20 = default; Vector128<float> c21 = default;
        Vector128<float> c30 = default; Vector128<float> c31 = default;
        Vector128<float> c40 = default; Vector128<float> c41 = default;
        Vector128<float> c50 = default; Vector128<float> c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b + 0);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> a0 = Vector128.Create(a[0]);
            c00 = Vector128.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(a0, b1, c01);
            Vector128<float> a1 = Vector128.Create(a[1]);
            c10 = Vector128.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(a1, b1, c11);
            Vector128<float> a2 = Vector128.Create(a[2]);
            c20 = Vector128.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(a2, b1, c21);
            Vector128<float> a3 = Vector128.Create(a[3]);
            c30 = Vector128.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(a3, b1, c31);
            Vector128<float> a4 = Vector128.Create(a[4]);
            c40 = Vector128.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(a4, b1, c41);
            Vector128<float> a5 = Vector128.Create(a[5]);
            c50 = Vector128.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 8;
        }

        Vector128<float> va = Vector128.Create(alpha);
        if (beta == 0)
        {
            // BLAS semantics: C is overwritten, never read, so NaNs already in C do not leak through.
            Vector128.Store(va * c00, c + 0 * ldc + 0);
            Vector128.Store(va * c01, c + 0 * ldc + 4);
            Vector128.Store(va * c10, c + 1 * ldc + 0);
            Vector128.Store(va * c11, c + 1 * ldc + 4);
            Vector128.Store(va * c20, c + 2 * ldc + 0);
            Vector128.Store(va * c21, c + 2 * ldc + 4);
            Vector128.Store(va * c30, c + 3 * ldc + 0);
            Vector128.Store(va * c31, c + 3 * ldc + 4);
            Vector128.Store(va * c40, c + 4 * ldc + 0);
            Vector128.Store(va * c41, c + 4 * ldc + 4);
            Vector128.Store(va * c50, c + 5 * ldc + 0);
            Vector128.Store(va * c51, c + 5 * ldc + 4);
        }
        else
        {
            Vector128<float> vb = Vector128.Create(beta);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 0 * ldc + 0), va * c00), c + 0 * ldc + 0);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 0 * ldc + 4), va * c01), c + 0 * ldc + 4);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 1 * ldc + 0), va * c10), c + 1 * ldc + 0);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 1 * ldc + 4), va * c11), c + 1 * ldc + 4);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 2 * ldc + 0), va * c20), c + 2 * ldc + 0);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 2 * ldc + 4), va * c21), c + 2 * ldc + 4);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 3 * ldc + 0), va * c30), c + 3 * ldc + 0);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 3 * ldc + 4), va * c31), c + 3 * ldc + 4);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 4 * ldc + 0), va * c40), c + 4 * ldc + 0);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 4 * ldc + 4), va * c41), c + 4 * ldc + 4);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 5 * ldc + 0), va * c50), c + 5 * ldc + 0);
            Vector128.Store(Vector128.FusedMultiplyAdd(vb, Vector128.Load(c + 5 * ldc + 4), va * c51), c + 5 * ldc + 4);
        }
    }
}

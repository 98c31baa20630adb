using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Knot.Kernels;

/// <summary>8x32 Vector512 + FMA micro-kernel: 16 accumulators leave room in the 32 zmm registers of AVX-512.</summary>
internal readonly struct GemmKernel512 : IGemmMicroKernel
{
    public static int Mr => 8;
    public static int Nr => 32;
    public static int Kc => 256;
    public static int Mc => 128;
    public static int Nc => 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default; Vector512<float> c01 = default;
        Vector512<float> c10 = default; Vector512<float> c11 = default;
        Vector512<float> c20 = default; Vector512<float> c21 = default;
        Vector512<float> c30 = default; Vector512<float> c31 = default;
        Vector512<float> c40 = default; Vector512<float> c41 = default;
        Vector512<float> c50 = default; Vector512<float> c51 = default;
        Vector512<float> c60 = default; Vector512<float> c61 = default;
        Vector512<float> c70 = default; Vector512<float> c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }

        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            // BLAS semantics: C is overwritten, never read, so NaNs already in C do not leak through.
            Vector512.Store(va * c00, c + 0 * ldc + 0);
            Vector512.Store(va * c01, c + 0 * ldc + 16);
            Vector512.Store(va * c10, c + 1 * ldc + 0);
            Vector512.Store(va * c11, c + 1 * ldc + 16);
            Vector512.Store(va * c20, c + 2 * ldc + 0);
            Vector512.Store(va * c21, c + 2 * ldc + 16);
            Vector512.Store(va * c30, c + 3 * ldc + 0);
            Vector512.Store(va * c31, c + 3 * ldc + 16);
            Vector512.Store(va * c40, c + 4 * ldc + 0);
            Vector512.Store(va * c41, c + 4 * ldc + 16);
            Vector512.Store(va * c50, c + 5 * ldc + 0);
            Vector512.Store(va * c51, c + 5 * ldc + 16);
            Vector512.Store(va * c60, c + 6 * ldc + 0);
            Vector512.Store(va * c61, c + 6 * ldc + 16);
            Vector512.Store(va * c70, c + 7 * ldc + 0);
            Vector512.Store(va * c71, c + 7 * ldc + 16);
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 0 * ldc + 0), va * c00), c + 0 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 0 * ldc + 16), va * c01), c + 0 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 1 * ldc + 0), va * c10), c + 1 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 1 * ldc + 16), va * c11), c + 1 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 2 * ldc + 0), va * c20), c + 2 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 2 * ldc + 16), va * c21), c + 2 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 3 * ldc + 0), va * c30), c + 3 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 3 * ldc + 16), va * c31), c + 3 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 4 * ldc + 0), va * c40), c + 4 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 4 * ldc + 16), va * c41), c + 4 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 5 * ldc + 0), va * c50), c + 5 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 5 * ldc + 16), va * c51), c + 5 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 6 * ldc + 0), va * c60), c + 6 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 6 * ldc + 16), va * c61), c + 6 * ldc + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 7 * ldc + 0), va * c70), c + 7 * ldc + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 7 * ldc + 16), va * c71), c + 7 * ldc + 16);
        }
    }
}

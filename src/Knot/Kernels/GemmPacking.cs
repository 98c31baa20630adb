using System.Runtime.CompilerServices;

namespace Knot.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the micro-panel layout the kernel streams through: A as Mr-row
/// panels (Mr floats per k step), B as Nr-column panels (Nr floats per k step). Every transpose case ends in
/// the same layout, so one kernel serves all four. Ragged edge panels are padded with zeros.
/// </summary>
internal static unsafe class GemmPacking<TK> where TK : struct, IGemmMicroKernel
{
    /// <summary>
    /// Packs the mc x kc block of op(A) whose top-left element is at <paramref name="a"/> (A stored (m, k)
    /// with row stride lda, or (k, m) when transposed).
    /// </summary>
    public static void PackA(bool trans, float* a, nint lda, int mc, int kc, float* dst)
    {
        int mr = TK.Mr;
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            if (trans)
            {
                // Stored (k, m): the Mr values for one k step are contiguous.
                float* src = a + i0;
                if (rows == mr)
                {
                    for (int p = 0; p < kc; p++)
                        Unsafe.CopyBlockUnaligned(dst + p * mr, src + p * lda, (uint)(mr * sizeof(float)));
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        float* d = dst + p * mr;
                        float* s = src + p * lda;
                        int r = 0;
                        for (; r < rows; r++) d[r] = s[r];
                        for (; r < mr; r++) d[r] = 0f;
                    }
                }
            }
            else
            {
                // Stored (m, k): read each row contiguously, write it as a strided column of the panel.
                for (int r = 0; r < rows; r++)
                {
                    float* s = a + (i0 + r) * lda;
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++) d[p * mr] = s[p];
                }

                for (int r = rows; r < mr; r++)
                {
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++) d[p * mr] = 0f;
                }
            }

            dst += mr * kc;
        }
    }

    /// <summary>
    /// Packs the kc x nc block of op(B) whose top-left element is at <paramref name="b"/> (B stored (k, n)
    /// with row stride ldb, or (n, k) when transposed).
    /// </summary>
    public static void PackB(bool trans, float* b, nint ldb, int kc, int nc, float* dst)
    {
        int nr = TK.Nr;
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            if (!trans)
            {
                // Stored (k, n): the Nr values for one k step are contiguous.
                float* src = b + j0;
                if (cols == nr)
                {
                    for (int p = 0; p < kc; p++)
                        Unsafe.CopyBlockUnaligned(dst + p * nr, src + p * ldb, (uint)(nr * sizeof(float)));
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        float* d = dst + p * nr;
                        float* s = src + p * ldb;
                        int j = 0;
                        for (; j < cols; j++) d[j] = s[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // Stored (n, k): read each stored row (one column of op(B)) contiguously, write it strided.
                for (int j = 0; j < cols; j++)
                {
                    float* s = b + (j0 + j) * ldb;
                    float* d = dst + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = s[p];
                }

                for (int j = cols; j < nr; j++)
                {
                    float* d = dst + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = 0f;
                }
            }

            dst += nr * kc;
        }
    }
}

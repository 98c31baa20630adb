using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
                int p0 = 0;
                if (rows == mr && mr % 8 == 0 && Avx.IsSupported)
                {
                    for (; p0 + 8 <= kc; p0 += 8)
                        for (int r = 0; r < mr; r += 8)
                            Transpose8x8(a + (i0 + r) * lda + p0, lda, dst + p0 * mr + r, mr);
                }
                else if (rows == mr && mr == 6 && Avx.IsSupported)
                {
                    for (; p0 + 8 <= kc; p0 += 8)
                        Transpose6x8(a + i0 * lda + p0, lda, dst + p0 * 6);
                }

                for (int r = 0; r < rows; r++)
                {
                    float* s = a + (i0 + r) * lda;
                    float* d = dst + r;
                    for (int p = p0; p < kc; p++) d[p * mr] = s[p];
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
                int p0 = 0;
                if (cols == nr && nr % 8 == 0 && Avx.IsSupported)
                {
                    for (; p0 + 8 <= kc; p0 += 8)
                        for (int j = 0; j < nr; j += 8)
                            Transpose8x8(b + (j0 + j) * ldb + p0, ldb, dst + p0 * nr + j, nr);
                }

                for (int j = 0; j < cols; j++)
                {
                    float* s = b + (j0 + j) * ldb;
                    float* d = dst + j;
                    for (int p = p0; p < kc; p++) d[p * nr] = s[p];
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

    /// <summary>
    /// dst[p · dstStride + r] = src[r · ld + p] for an 8x8 block: eight row loads, the classic unpack /
    /// shuffle / lane-permute transpose, eight row stores. Turns the strided scalar writes of the transposing
    /// pack cases into whole-vector moves.
    /// </summary>
    private static void Transpose8x8(float* src, nint ld, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ld);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ld), r3 = Avx.LoadVector256(src + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * ld), r5 = Avx.LoadVector256(src + 5 * ld);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * ld), r7 = Avx.LoadVector256(src + 7 * ld);

        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>
    /// dst[p · 6 + r] = src[r · ld + p] for 6 rows and 8 k steps (the 6-row panels of the AVX2 kernel): the
    /// 8x8 transpose with the last row repeated as filler, then only the first 6 lanes of each column stored,
    /// so nothing outside the block is read or written.
    /// </summary>
    private static void Transpose6x8(float* src, nint ld, float* dst)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ld);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ld), r3 = Avx.LoadVector256(src + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * ld), r5 = Avx.LoadVector256(src + 5 * ld);

        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);

        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        // Rows 4 and 5 only: lanes 0-1 of each 128-bit half hold (r4[p], r5[p]) after the unpack.
        Vector256<float> s4 = t4, s5 = Avx.Shuffle(t4, t4, 0xEE);
        Vector256<float> s6 = t5, s7 = Avx.Shuffle(t5, t5, 0xEE);

        Store6(dst, Avx.Permute2x128(s0, s4, 0x20));
        Store6(dst + 6, Avx.Permute2x128(s1, s5, 0x20));
        Store6(dst + 12, Avx.Permute2x128(s2, s6, 0x20));
        Store6(dst + 18, Avx.Permute2x128(s3, s7, 0x20));
        Store6(dst + 24, Avx.Permute2x128(s0, s4, 0x31));
        Store6(dst + 30, Avx.Permute2x128(s1, s5, 0x31));
        Store6(dst + 36, Avx.Permute2x128(s2, s6, 0x31));
        Store6(dst + 42, Avx.Permute2x128(s3, s7, 0x31));
    }

    private static void Store6(float* dst, Vector256<float> column)
    {
        Sse.Store(dst, column.GetLower());
        Sse2.StoreLow((double*)(dst + 4), column.GetUpper().AsDouble());
    }
}

namespace Knot.Kernels;

/// <summary>
/// The GotoBLAS/BLIS loop nest around one micro-kernel: Nc columns of B packed per K block (L3), Mc rows of A
/// packed per K block (L2), then Mr x Nr register tiles. Every element of C sees the same K blocks in the same
/// order and the same kernel arithmetic wherever its tile lies, so splitting M or N across threads cannot
/// change a single bit.
/// </summary>
internal static unsafe class GemmDriver<TK> where TK : struct, IGemmMicroKernel
{
    /// <summary>Scratch floats one thread needs for an m x n x k (sub-)problem.</summary>
    public static int ScratchFloats(int m, int n, int k)
    {
        int kc = Math.Min(k, TK.Kc);
        int mc = RoundUp(Math.Min(m, TK.Mc), TK.Mr);
        int nc = RoundUp(Math.Min(n, TK.Nc), TK.Nr);
        // Panels start on 64-byte boundaries: Mr·kc and kc·Nr floats are rounded up to 16.
        return RoundUp(mc * kc, 16) + RoundUp(kc * nc, 16) + TK.Mr * TK.Nr;
    }

    /// <summary>
    /// Sequential C = alpha·op(A)·op(B) + beta·C for k &gt; 0; arguments already validated. With
    /// <paramref name="transC"/> the m x n result is written transposed: element (i, j) goes to c[j·ldc + i].
    /// </summary>
    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, bool transC)
    {
        nint rowStride = transC ? 1 : ldc, colStride = transC ? ldc : 1;
        int mr = TK.Mr, nr = TK.Nr;
        int kcMax = Math.Min(k, TK.Kc);
        int mcMax = RoundUp(Math.Min(m, TK.Mc), mr);
        float* packA = GemmScratch.Get(ScratchFloats(m, n, k));
        float* packB = packA + RoundUp(mcMax * kcMax, 16);
        float* tile = packB + RoundUp(kcMax * RoundUp(Math.Min(n, TK.Nc), nr), 16);

        for (int jc = 0; jc < n; jc += TK.Nc)
        {
            int nc = Math.Min(TK.Nc, n - jc);
            for (int pc = 0; pc < k; pc += TK.Kc)
            {
                int kc = Math.Min(TK.Kc, k - pc);
                float* bBlock = transB ? b + jc * ldb + pc : b + pc * ldb + jc;
                GemmPacking<TK>.PackB(transB, bBlock, ldb, kc, nc, packB);

                // Beta applies once, on the first K block; later blocks accumulate onto C.
                float blockBeta = pc == 0 ? beta : 1f;
                for (int ic = 0; ic < m; ic += TK.Mc)
                {
                    int mc = Math.Min(TK.Mc, m - ic);
                    float* aBlock = transA ? a + pc * lda + ic : a + ic * lda + pc;
                    GemmPacking<TK>.PackA(transA, aBlock, lda, mc, kc, packA);

                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bPanel = packB + jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* aPanel = packA + ir * kc;
                            float* cTile = c + (ic + ir) * rowStride + (jc + jr) * colStride;
                            if (rows == mr && cols == nr && !transC)
                            {
                                TK.Run(kc, aPanel, bPanel, cTile, ldc, alpha, blockBeta);
                            }
                            else
                            {
                                // 1·acc and beta 0 store the raw accumulators; the scalar update below then
                                // matches the kernel's vector update lane for lane.
                                TK.Run(kc, aPanel, bPanel, tile, nr, 1f, 0f);
                                StoreEdge(tile, nr, cTile, rowStride, colStride, rows, cols, alpha, blockBeta);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void StoreEdge(float* tile, int tileStride, float* c, nint rowStride, nint colStride,
        int rows, int cols, float alpha, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + i * tileStride;
            float* ci = c + i * rowStride;
            if (beta == 0)
            {
                for (int j = 0; j < cols; j++) ci[j * colStride] = alpha * t[j];
            }
            else
            {
                for (int j = 0; j < cols; j++)
                    ci[j * colStride] = MathF.FusedMultiplyAdd(beta, ci[j * colStride], alpha * t[j]);
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

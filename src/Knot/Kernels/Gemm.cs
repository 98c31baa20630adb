using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Knot.Kernels;

/// <summary>Single-precision matrix multiply, row-major.</summary>
/// <remarks>
/// Packed, cache-blocked GEMM (GotoBLAS/BLIS scheme, see <see cref="GemmDriver{TK}"/>) with a Vector512,
/// Vector256+FMA or Vector128 micro-kernel chosen at run time. Threads split C by blocks of rows or columns,
/// never along K, so the result is bit-identical for every <see cref="Parallelism.ThreadCount"/>. All kernels
/// share the K blocking and the per-element arithmetic (an FMA chain from zero over each K block, then
/// fma(beta, c, alpha·acc)), so the bits do not depend on the kernel, and hence the CPU, either.
/// </remarks>
public static class Gemm
{
    // Below this many multiply-adds packing costs more than it saves; the direct loop does the same
    // arithmetic per element (one FMA chain over k, then the same alpha/beta update).
    private const long SmallProblem = 4096;

    // Below this many multiply-adds waking a worker costs more than it saves.
    private const long ParallelThreshold = 1L << 18;

    /// <summary>The micro-kernel <see cref="GemmKernelKind.Auto"/> resolves to on this machine.</summary>
    internal static GemmKernelKind BestKernel { get; } =
        Vector512.IsHardwareAccelerated ? GemmKernelKind.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmKernelKind.Vector256
        : GemmKernelKind.Vector128;

    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C with op(A) of shape (m, k), op(B) of shape (k, n), C of shape (m, n).
    /// All matrices are row-major; lda/ldb/ldc are row strides of the stored matrices (A is stored (k, m) when
    /// transA). beta == 0 means C is overwritten (NaNs in C are not propagated), like BLAS.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
            GemmKernelKind.Auto, Parallelism.ThreadCount);

    /// <summary>
    /// <see cref="Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// with an explicit micro-kernel and thread limit, so tests and benchmarks can pin each code path
    /// without touching global state.
    /// </summary>
    internal static unsafe void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        GemmKernelKind kernel, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        CheckMatrix(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda, nameof(lda));
        CheckMatrix(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        CheckMatrix(nameof(c), c.Length, m, n, ldc, nameof(ldc));
        if (m == 0 || n == 0) return;
        if (kernel == GemmKernelKind.Auto) kernel = BestKernel;

        fixed (float* pa = &MemoryMarshal.GetReference(a))
        fixed (float* pb = &MemoryMarshal.GetReference(b))
        fixed (float* pc = &MemoryMarshal.GetReference(c))
        {
            if (k == 0)
            {
                ScaleOnly(m, n, alpha, beta, pc, ldc);
                return;
            }

            long work = (long)m * n * k;
            if (work <= SmallProblem)
            {
                Direct(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                return;
            }

            if (work < ParallelThreshold) threads = 1;
            switch (kernel)
            {
                case GemmKernelKind.Vector512:
                    Run<GemmKernel512>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
                    break;
                case GemmKernelKind.Vector256:
                    Run<GemmKernel256>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
                    break;
                case GemmKernelKind.Vector128:
                    Run<GemmKernel128>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown GEMM kernel.");
            }
        }
    }

    private static void CheckMatrix(string name, int length, int rows, int cols, int ld, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException(
                $"Row stride {ldName} must be at least max(1, {cols}) for a stored {rows}x{cols} matrix, got {ld}.",
                ldName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"Span {name} holds {length} floats but a stored {rows}x{cols} matrix with row stride {ld} needs {needed}.",
                name);
    }

    private static unsafe void Run<TK>(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, int threads)
        where TK : struct, IGemmMicroKernel
    {
        // A skinny C wastes most of each register tile on padding (n = 10 fills 10 of 32 lanes). Computing
        // Cᵀ = op(B)ᵀ·op(A)ᵀ instead can fill the tiles far better; each element still gets the same FMA
        // chain (fma(b, a, acc) == fma(a, b, acc)) over the same K blocks, so the bits do not change.
        bool transC = TileFill<TK>(n, m) > 1.25 * TileFill<TK>(m, n);
        if (transC)
        {
            (transA, transB) = (!transB, !transA);
            (m, n) = (n, m);
            float* swap = a;
            a = b;
            b = swap;
            (lda, ldb) = (ldb, lda);
        }

        int mTiles = (m + TK.Mr - 1) / TK.Mr;
        int nTiles = (n + TK.Nr - 1) / TK.Nr;
        // Split the dimension whose partner operand is cheaper to pack twice: splitting N repacks all of A
        // (m·k) in each thread, splitting M repacks all of B (k·n).
        bool splitN = nTiles >= threads && (n >= m || mTiles < threads) || nTiles > mTiles && mTiles < threads;
        int chunks = Math.Min(threads, splitN ? nTiles : mTiles);
        var job = new GemmJob<TK>
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc, TransC = transC,
            SplitN = splitN, Chunks = chunks, Tiles = splitN ? nTiles : mTiles,
        };
        if (chunks <= 1) job.Invoke(0);
        else Parallelism.For(chunks, job, chunks);
    }

    /// <summary>Fraction of the Mr x Nr register tiles covering an m x n result that holds real elements.</summary>
    private static double TileFill<TK>(int m, int n) where TK : struct, IGemmMicroKernel =>
        m / (double)((m + TK.Mr - 1) / TK.Mr * TK.Mr) * (n / (double)((n + TK.Nr - 1) / TK.Nr * TK.Nr));

    /// <summary>One thread's share of C: a contiguous range of Mr-row or Nr-column tiles.</summary>
    private unsafe struct GemmJob<TK> : IParallelBody where TK : struct, IGemmMicroKernel
    {
        public bool TransA, TransB, TransC, SplitN;
        public int M, N, K, Chunks, Tiles;
        public float Alpha, Beta;
        public float* A, B, C;
        public nint Lda, Ldb, Ldc;

        public readonly void Invoke(int index)
        {
            // (M, N) index the computed result, which is Cᵀ when TransC: its row i / column j live at
            // C + i·rowStride + j·colStride.
            nint rowStride = TransC ? 1 : Ldc, colStride = TransC ? Ldc : 1;
            var (first, last) = Parallelism.Partition(Tiles, Chunks, index);
            if (SplitN)
            {
                int j0 = first * TK.Nr, j1 = Math.Min(N, last * TK.Nr);
                if (j1 <= j0) return;
                float* b = TransB ? B + j0 * Ldb : B + j0;
                GemmDriver<TK>.Run(TransA, TransB, M, j1 - j0, K, Alpha, A, Lda, b, Ldb, Beta, C + j0 * colStride, Ldc, TransC);
            }
            else
            {
                int i0 = first * TK.Mr, i1 = Math.Min(M, last * TK.Mr);
                if (i1 <= i0) return;
                float* a = TransA ? A + i0 : A + i0 * Lda;
                GemmDriver<TK>.Run(TransA, TransB, i1 - i0, N, K, Alpha, a, Lda, B, Ldb, Beta, C + i0 * rowStride, Ldc, TransC);
            }
        }
    }

    /// <summary>Tiny problems: one FMA chain per element, then the same update the micro-kernels apply.</summary>
    private static unsafe void Direct(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        nint aRow = transA ? 1 : lda, aStep = transA ? lda : 1;
        nint bCol = transB ? ldb : 1, bStep = transB ? 1 : ldb;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float* ap = a + i * aRow;
                float* bp = b + j * bCol;
                float acc = 0f;
                for (int p = 0; p < k; p++) acc = MathF.FusedMultiplyAdd(ap[p * aStep], bp[p * bStep], acc);
                ref float cij = ref Unsafe.AsRef<float>(c + i * ldc + j);
                cij = beta == 0 ? alpha * acc : MathF.FusedMultiplyAdd(beta, cij, alpha * acc);
            }
        }
    }

    private static unsafe void ScaleOnly(int m, int n, float alpha, float beta, float* c, nint ldc)
    {
        // k == 0: the product is an empty sum, so C = alpha·0 + beta·C (alpha·0 keeps NaN/Inf alpha visible).
        float zero = alpha * 0f;
        for (int i = 0; i < m; i++)
        {
            float* ci = c + i * ldc;
            for (int j = 0; j < n; j++) ci[j] = beta == 0 ? zero : MathF.FusedMultiplyAdd(beta, ci[j], zero);
        }
    }
}

namespace Knot.Kernels;

/// <summary>Single-precision matrix multiply, row-major.</summary>
public static class Gemm
{
    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C with op(A) of shape (m, k), op(B) of shape (k, n), C of shape (m, n).
    /// All matrices are row-major; lda/ldb/ldc are row strides of the stored matrices (A is stored (k, m) when
    /// transA). beta == 0 means C is overwritten (NaNs in C are not propagated), like BLAS.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Temporary: the reference path until the packed micro-kernel lands (see issue: engine).
        Reference.ReferenceGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}

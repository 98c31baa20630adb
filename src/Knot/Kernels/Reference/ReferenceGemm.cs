namespace Knot.Kernels.Reference;

/// <summary>Plain triple loop, double accumulation. The ground truth for <see cref="Gemm"/>; never optimise it.</summary>
public static class ReferenceGemm
{
    /// <inheritdoc cref="Gemm.Multiply"/>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                ref float cij = ref c[i * ldc + j];
                cij = (float)(alpha * sum + (beta == 0 ? 0 : beta * cij));
            }
        }
    }
}

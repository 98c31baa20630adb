namespace Knot.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel and the cache blocking that suits it. The driver is generic over the
/// implementing struct, so the JIT sees these sizes as constants and inlines the whole loop nest per kernel.
/// </summary>
internal interface IGemmMicroKernel
{
    /// <summary>Rows of C per micro-tile (rows of a packed A micro-panel).</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of C per micro-tile (columns of a packed B micro-panel).</summary>
    static abstract int Nr { get; }

    /// <summary>Depth of one K block: an Mr x Kc sliver of A plus a Kc x Nr sliver of B stay in L1.</summary>
    static abstract int Kc { get; }

    /// <summary>Rows of one packed A block (Mc x Kc), sized for L2.</summary>
    static abstract int Mc { get; }

    /// <summary>Columns of one packed B block (Kc x Nc), sized for L3.</summary>
    static abstract int Nc { get; }

    /// <summary>
    /// c[i, j] = alpha · Σp a[p, i] b[p, j] + beta · c[i, j] over a full Mr x Nr tile, with the sum kept in
    /// float FMA accumulators that start at zero and run p = 0..kc-1 in order. a is a packed Mr-wide
    /// micro-panel (Mr floats per p), b a packed Nr-wide one. beta == 0 overwrites c without reading it.
    /// The result is alpha·acc, then fma(beta, c, alpha·acc): the scalar edge path repeats exactly this.
    /// </summary>
    static abstract unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);
}

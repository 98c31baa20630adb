using Knot.Kernels;

namespace Knot.Tests.Kernels;

/// <summary>Bad dimensions, strides or span lengths are rejected with the offending argument named.</summary>
public sealed class GemmValidationTests
{
    private static readonly float[] A6 = new float[6], B6 = new float[6], C4 = new float[4];

    [Fact]
    public void NegativeDimensionsThrow()
    {
        Assert.Equal("m", Assert.ThrowsAny<ArgumentException>(() => Gemm.Multiply(false, false, -1, 2, 3, 1f, A6, 3, B6, 2, 0f, C4, 2)).ParamName);
        Assert.Equal("n", Assert.ThrowsAny<ArgumentException>(() => Gemm.Multiply(false, false, 2, -2, 3, 1f, A6, 3, B6, 2, 0f, C4, 2)).ParamName);
        Assert.Equal("k", Assert.ThrowsAny<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, -3, 1f, A6, 3, B6, 2, 0f, C4, 2)).ParamName);
    }

    [Fact]
    public void StrideBelowRowLengthThrows()
    {
        // A is 2x3 (lda >= 3); transposed it is stored 3x2 (lda >= 2).
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, A6, 2, B6, 2, 0f, C4, 2));
        Assert.Equal("lda", ex.ParamName);
        Assert.Contains("got 2", ex.Message);
        Assert.Equal("ldb", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 2, 2, 3, 1f, A6, 3, B6, 2, 0f, C4, 2)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, A6, 3, B6, 2, 0f, C4, 1)).ParamName);
        // Transposed A stored (3, 2) accepts lda 2.
        Gemm.Multiply(true, false, 2, 2, 3, 1f, A6, 2, B6, 2, 0f, C4, 2);
    }

    [Fact]
    public void ShortSpansThrow()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, new float[5], 3, B6, 2, 0f, C4, 2));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("needs 6", ex.Message);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, A6, 3, new float[5], 2, 0f, C4, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, A6, 3, B6, 2, 0f, new float[3], 2)).ParamName);
        // With a padded stride the last row needs only its own n elements: (2-1)·5 + 2 = 7.
        Gemm.Multiply(false, false, 2, 2, 3, 1f, A6, 3, B6, 2, 0f, new float[7], 5);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, A6, 3, B6, 2, 0f, new float[6], 5)).ParamName);
    }
}

using Knot.Tensors;

namespace Knot.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void ShapeSizeIsProductOfDims() => Assert.Equal(24, new Shape(2, 3, 4).Size);
}

using Knot.Data;

namespace Knot.Tests.Data;

public sealed class ChannelNormalizationTests
{
    [Theory]
    [InlineData(0, 0f, 1f)]
    [InlineData(1, 0.1307f, 0.3081f)]
    [InlineData(31, 0.4822f, 0.2435f)]
    [InlineData(32, 0.1307f, 0.3081f)]
    [InlineData(33, 0.5f, 0.25f)]
    [InlineData(784, 0.1307f, 0.3081f)]
    [InlineData(1027, 0.4465f, 0.2616f)]
    public void VectorPathMatchesTheScalarFormulaBitForBit(int length, float mean, float std)
    {
        var source = new byte[length];
        for (int i = 0; i < length; i++) source[i] = (byte)((i * 73 + 5) % 256);
        var destination = new float[length];
        ChannelNormalization.ConvertPlane(source, destination, mean, std);
        for (int i = 0; i < length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits((source[i] / 255f - mean) / std), BitConverter.SingleToInt32Bits(destination[i]));
    }

    [Fact]
    public void EveryByteValueConvertsExactly()
    {
        var source = new byte[256];
        for (int i = 0; i < 256; i++) source[i] = (byte)i;
        var destination = new float[256];
        ChannelNormalization.ConvertPlane(source, destination, 0f, 1f);
        for (int i = 0; i < 256; i++) Assert.Equal(i / 255f, destination[i]);
        Assert.Equal(0f, destination[0]);
        Assert.Equal(1f, destination[255]);
    }

    [Fact]
    public void ConstructorRefusesBadStatistics()
    {
        Assert.Throws<ArgumentException>(() => new ChannelNormalization([0f], [0f]));
        Assert.Throws<ArgumentException>(() => new ChannelNormalization([float.NaN], [1f]));
        Assert.Throws<ArgumentException>(() => new ChannelNormalization([0f, 0f], [1f]));
        Assert.Throws<ArgumentException>(() => new ChannelNormalization([], []));
        Assert.True(ChannelNormalization.Identity(3).IsIdentity);
        Assert.False(ChannelNormalization.Mnist.IsIdentity);
        Assert.Equal((0f - 0.1307f) / 0.3081f, ChannelNormalization.Mnist.Apply(0, 0f));
    }
}

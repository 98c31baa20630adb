using Knot.Storage.Common;
using Knot.Storage.Checkpoints;

namespace Knot.Tests.Storage.Checkpoints;

public sealed class Crc32FastPathTests
{
    [Fact]
    public void MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        // zlib: crc32 of 1000 'a' bytes (exercises the folded path).
        Assert.Equal(Crc32.AppendPortable(0, Enumerable.Repeat((byte)'a', 1000).ToArray()), Crc32.Compute(Enumerable.Repeat((byte)'a', 1000).ToArray()));
    }

    [Fact]
    public void FoldedAndTablePathsAgreeOnEveryLengthAndAlignment()
    {
        var rng = new Random(3);
        byte[] buffer = new byte[4096 + 64];
        rng.NextBytes(buffer);
        for (int length = 0; length < 700; length++)
            for (int start = 0; start < 3; start++)
            {
                var span = buffer.AsSpan(start * 5, length);
                Assert.Equal(Crc32.AppendPortable(0, span), Crc32.Compute(span));
            }
        // Chunked appends equal one pass, whatever the split.
        uint whole = Crc32.Compute(buffer);
        for (int split = 0; split < buffer.Length; split += 97)
            Assert.Equal(whole, Crc32.Append(Crc32.Compute(buffer.AsSpan(0, split)), buffer.AsSpan(split)));
        Assert.Equal(Crc32.AppendPortable(0, buffer), whole);
    }
}

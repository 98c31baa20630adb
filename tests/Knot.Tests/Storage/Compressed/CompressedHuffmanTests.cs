using Knot.Storage.Common;
using Knot.Tensors;

namespace Knot.Tests.Storage.Compressed;

public sealed class CompressedHuffmanTests
{
    private static int[] RoundTrip(HuffmanCode code, int[] symbols, int alphabet)
    {
        var w = new BitWriter();
        code.WriteTable(w);
        foreach (var s in symbols) code.Encode(w, s);
        Assert.Equal(code.TableBitCount + code.EncodedBitCount(HuffmanCode.CountFrequencies(symbols, alphabet)), w.BitCount);
        var r = new BitReader(w.ToArray(), "test");
        var decoder = HuffmanCode.ReadTable(ref r, alphabet);
        Assert.Equal(code.CodeLengths.ToArray(), decoder.CodeLengths.ToArray());
        var decoded = new int[symbols.Length];
        for (int i = 0; i < symbols.Length; i++) decoded[i] = decoder.Decode(ref r);
        r.ExpectEnd();
        return decoded;
    }

    [Fact]
    public void KnownDistributionGetsOptimalLengths()
    {
        var lengths = HuffmanCode.BuildCodeLengths([1, 1, 2, 4]);
        Assert.Equal(new byte[] { 3, 3, 2, 1 }, lengths);
    }

    [Fact]
    public void RandomSymbolsRoundTrip()
    {
        var rng = new KnotRandom(3);
        foreach (int alphabet in new[] { 2, 3, 17, 300, 4096 })
        {
            var symbols = new int[3000];
            for (int i = 0; i < symbols.Length; i++) symbols[i] = Math.Min(alphabet - 1, (int)(Math.Abs(rng.NextNormal()) * alphabet / 4));
            var code = HuffmanCode.FromSymbols(symbols, alphabet);
            Assert.Equal(symbols, RoundTrip(code, symbols, alphabet));
        }
    }

    [Fact]
    public void SingleSymbolCostsOneBitEach()
    {
        var symbols = Enumerable.Repeat(5, 100).ToArray();
        var code = HuffmanCode.FromSymbols(symbols, 8);
        Assert.Equal(1, code.LengthOf(5));
        Assert.Equal(6, code.AlphabetSize); // trailing unused symbols trimmed
        Assert.Equal(symbols, RoundTrip(code, symbols, 8));
    }

    [Fact]
    public void SkewedDistributionRespectsTheLengthLimit()
    {
        // Fibonacci frequencies give a maximally deep Huffman tree (depth n-1 = 39 > 24 without the limit).
        var freq = new long[40];
        freq[0] = 1; freq[1] = 1;
        for (int i = 2; i < freq.Length; i++) freq[i] = freq[i - 1] + freq[i - 2];
        var unlimited = HuffmanCode.BuildCodeLengths(freq, 24);
        Assert.True(unlimited.Max() <= 24);
        Assert.True(unlimited.Max() > 10); // exercises the slow path past the 10-bit decoding table
        var deep = HuffmanCode.FromFrequencies(freq, 24);
        var all = Enumerable.Range(0, 40).ToArray();
        Assert.Equal(all, RoundTrip(deep, all, 40));
        var limited = HuffmanCode.FromFrequencies(freq, 8);
        Assert.True(limited.MaxCodeLength <= 8);
        var symbols = Enumerable.Range(0, 40).SelectMany(s => Enumerable.Repeat(s, 1 + s % 3)).ToArray();
        Assert.Equal(symbols, RoundTrip(limited, symbols, 40));
        // Skewed data: the code beats the 6-bit fixed width by a wide margin.
        var skew = Enumerable.Range(0, 1000).Select(i => i % 50 == 0 ? 1 + i % 7 : 0).ToArray();
        var skewCode = HuffmanCode.FromSymbols(skew, 64);
        Assert.True(skewCode.EncodedBitCount(HuffmanCode.CountFrequencies(skew, 64)) < 1000 * 2);
        Assert.Equal(skew, RoundTrip(skewCode, skew, 64));
    }

    [Fact]
    public void EmptyAlphabetHasATableButNoCodes()
    {
        var code = HuffmanCode.FromFrequencies(new long[10]);
        Assert.Equal(0, code.AlphabetSize);
        Assert.Empty(RoundTrip(code, [], 10));
    }

    [Fact]
    public void InvalidTablesAreInvalidData()
    {
        // Over-subscribed: three symbols of length 1.
        Assert.Throws<InvalidDataException>(() => HuffmanCode.FromCodeLengths([1, 1, 1], "t"));
        // Incomplete: lengths 1 and 2 only.
        Assert.Throws<InvalidDataException>(() => HuffmanCode.FromCodeLengths([1, 2], "t"));
        // Single symbol must have length 1.
        Assert.Throws<InvalidDataException>(() => HuffmanCode.FromCodeLengths([0, 3], "t"));
        // Alphabet larger than allowed.
        var w = new BitWriter();
        HuffmanCode.FromFrequencies([1, 1, 1, 1, 1]).WriteTable(w);
        Assert.Throws<InvalidDataException>(() => { var r = new BitReader(w.ToArray(), "t"); HuffmanCode.ReadTable(ref r, 4); });
    }

    [Fact]
    public void TruncatedCodesAreInvalidDataOnBothDecodePaths()
    {
        var freq = new long[30];
        freq[0] = 1; freq[1] = 1;
        for (int i = 2; i < freq.Length; i++) freq[i] = freq[i - 1] + freq[i - 2];
        var code = HuffmanCode.FromFrequencies(freq);
        foreach (int symbol in new[] { 0, 29 }) // the longest code and the shortest
        {
            var w = new BitWriter();
            code.Encode(w, symbol);
            int len = code.LengthOf(symbol);
            for (int cut = 0; cut < len; cut++)
            {
                // Keep only `cut` bits: the reader sees fewer bits than the code needs.
                var bytes = w.ToArray();
                var kept = new byte[(cut + 7) / 8];
                Array.Copy(bytes, kept, kept.Length);
                if (cut % 8 != 0) kept[^1] &= (byte)((1 << (cut % 8)) - 1);
                Assert.Throws<InvalidDataException>(() =>
                {
                    var r = new BitReader(kept, "t");
                    // Bits past `cut` inside the last byte are zero but present; decode at most `cut` real bits.
                    code.Decode(ref r);
                    if (r.BitPosition > cut) throw new InvalidDataException("consumed padding");
                });
            }
        }
    }

    [Fact]
    public void UnusedCodeOfASingleSymbolTableIsInvalidData()
    {
        var code = HuffmanCode.FromCodeLengths([1], "t");
        Assert.Throws<InvalidDataException>(() => { var r = new BitReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, "t"); code.Decode(ref r); });
    }
}

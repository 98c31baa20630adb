using Knot.Storage.Common;

namespace Knot.Storage.Compressed;

/// <summary>
/// Relative-index coding of sparse positions. With b gap bits the escape symbol is E = 2^b − 1: a symbol s &lt; E
/// means "the next entry is s + 1 positions after the previous one" (the first is measured from position −1); the
/// symbol E is a filler that advances E positions without an entry. A gap g therefore costs ⌊(g − 1)/E⌋ fillers plus
/// the symbol (g − 1) mod E. Unlike Deep Compression's fillers (a stored zero weight), ours carry no value at all.
/// </summary>
internal static class GapCoding
{
    public static int Escape(int bits) => (1 << bits) - 1;

    /// <summary>Reference count of gap symbols (the writer uses an equivalent, faster form in TensorSource).</summary>
    public static long SymbolCount(ReadOnlySpan<int> positions, int bits)
    {
        long escape = Escape(bits), count = positions.Length, previous = -1;
        foreach (int p in positions)
        {
            count += (p - previous - 1) / escape;
            previous = p;
        }
        return count;
    }

    /// <summary>Reference histogram of gap symbols (the writer uses an equivalent, faster form in TensorSource).</summary>
    public static long[] Histogram(ReadOnlySpan<int> positions, int bits)
    {
        int escape = Escape(bits);
        var freq = new long[escape + 1];
        long previous = -1;
        foreach (int p in positions)
        {
            long g1 = p - previous - 1;
            freq[escape] += g1 / escape;
            freq[g1 % escape]++;
            previous = p;
        }
        return freq;
    }

    /// <summary>Writes the symbols of every gap, fixed width or through <paramref name="code"/>.</summary>
    public static void Write(BitWriter writer, ReadOnlySpan<int> positions, int bits, HuffmanCode? code)
    {
        int escape = Escape(bits);
        long previous = -1;
        foreach (int p in positions)
        {
            long g1 = p - previous - 1;
            for (long f = g1 / escape; f > 0; f--) WriteSymbol(writer, escape, bits, code);
            WriteSymbol(writer, (int)(g1 % escape), bits, code);
            previous = p;
        }
    }

    private static void WriteSymbol(BitWriter writer, int symbol, int bits, HuffmanCode? code)
    {
        if (code is null) writer.WriteBits((uint)symbol, bits);
        else code.Encode(writer, symbol);
    }

    /// <summary>Decodes <paramref name="symbolCount"/> gap symbols into exactly <paramref name="entries"/> positions in [0, elementCount).</summary>
    public static int[] Read(ref BitReader reader, int bits, HuffmanCode? code, long symbolCount, int entries, int elementCount)
    {
        int escape = Escape(bits);
        var positions = new int[entries];
        long position = -1;
        int entry = 0;
        bool lastWasFiller = false;
        for (long i = 0; i < symbolCount; i++)
        {
            int symbol = code is null ? (int)reader.ReadBits(bits) : code.Decode(ref reader);
            if (symbol == escape)
            {
                position += escape;
                lastWasFiller = true;
            }
            else
            {
                position += symbol + 1;
                if (entry >= entries)
                    throw new InvalidDataException($"{reader.Context}: more than the declared {entries} entries in the gap stream (symbol {i}).");
                if (position >= elementCount)
                    throw new InvalidDataException($"{reader.Context}: entry {entry} at position {position} is outside the {elementCount} elements.");
                positions[entry++] = (int)position;
                lastWasFiller = false;
            }
            if (position >= elementCount)
                throw new InvalidDataException($"{reader.Context}: gap stream passes the last element ({elementCount}) at symbol {i}.");
        }
        if (entry != entries)
            throw new InvalidDataException($"{reader.Context}: gap stream holds {entry} entries, the header declares {entries}.");
        if (lastWasFiller)
            throw new InvalidDataException($"{reader.Context}: gap stream ends with a filler (not produced by any writer).");
        return positions;
    }
}

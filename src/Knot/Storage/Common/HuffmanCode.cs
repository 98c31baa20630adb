namespace Knot.Storage.Common;

/// <summary>
/// A canonical Huffman code over symbols 0..AlphabetSize-1. Codes are fully determined by the code lengths (shorter
/// codes first, ties by symbol), so only the lengths are stored. Lengths are limited (default 24 bits) by halving
/// frequencies until the tree fits — slightly suboptimal in pathological cases, but simple and deterministic.
/// A code with one used symbol gives it length 1 (code "0"), so every symbol costs at least one bit and a symbol
/// count can always be checked against the stream length before decoding.
/// </summary>
public sealed class HuffmanCode
{
    public const int DefaultMaxCodeLength = 24;
    public const int MaxSupportedCodeLength = 24;

    /// <summary>Largest alphabet the stored table can describe (the size field has 17 bits).</summary>
    public const int MaxAlphabetSize = 1 << 16;

    private const int SizeFieldBits = 17;
    private const int LengthFieldBits = 5;
    private const int ZeroRunEscape = 31;
    private const int ZeroRunBits = 8;
    private const int MinZeroRun = 3;
    private const int MaxZeroRun = 1 << ZeroRunBits;

    private readonly byte[] _lengths;
    private readonly uint[] _reversedCodes;
    private readonly int[] _countPerLength;
    private readonly int[] _firstCode;
    private readonly int[] _firstIndex;
    private readonly int[] _sortedSymbols;
    private readonly int _maxLength;

    // Decoding table for codes of up to LookupBits bits, indexed by the next LookupBits stream bits:
    // (symbol << 5) | length, or 0 when the code is longer (then the canonical bit-by-bit walk decodes it).
    private const int LookupBits = 10;
    private readonly int[] _lookup = new int[1 << LookupBits];

    private HuffmanCode(byte[] lengths)
    {
        _lengths = lengths;
        _maxLength = 0;
        foreach (var l in lengths) _maxLength = Math.Max(_maxLength, l);
        _countPerLength = new int[_maxLength + 2];
        foreach (var l in lengths) if (l > 0) _countPerLength[l]++;

        _firstCode = new int[_maxLength + 2];
        _firstIndex = new int[_maxLength + 2];
        int code = 0, index = 0;
        for (int len = 1; len <= _maxLength; len++)
        {
            _firstCode[len] = code;
            _firstIndex[len] = index;
            code = (code + _countPerLength[len]) << 1;
            index += _countPerLength[len];
        }
        _sortedSymbols = new int[index];
        var next = (int[])_firstIndex.Clone();
        _reversedCodes = new uint[lengths.Length];
        for (int s = 0; s < lengths.Length; s++)
        {
            int len = lengths[s];
            if (len == 0) continue;
            int slot = next[len]++;
            _sortedSymbols[slot] = s;
            uint c = (uint)(_firstCode[len] + slot - _firstIndex[len]);
            _reversedCodes[s] = ReverseBits(c, len);
            if (len <= LookupBits)
            {
                for (int at = (int)_reversedCodes[s]; at < _lookup.Length; at += 1 << len) _lookup[at] = (s << 5) | len;
            }
        }
    }

    /// <summary>Number of symbols the code describes (trailing unused symbols are not counted).</summary>
    public int AlphabetSize => _lengths.Length;

    /// <summary>Code length in bits of each symbol (0 = unused).</summary>
    public ReadOnlySpan<byte> CodeLengths => _lengths;

    public int MaxCodeLength => _maxLength;

    /// <summary>Builds the code for the given symbol frequencies (non-negative; zero = unused).</summary>
    public static HuffmanCode FromFrequencies(ReadOnlySpan<long> frequencies, int maxCodeLength = DefaultMaxCodeLength)
        => new(BuildCodeLengths(frequencies, maxCodeLength));

    /// <summary>Builds the code from symbol values (each in 0..alphabetSize-1) by counting them.</summary>
    public static HuffmanCode FromSymbols(ReadOnlySpan<int> symbols, int alphabetSize, int maxCodeLength = DefaultMaxCodeLength)
        => FromFrequencies(CountFrequencies(symbols, alphabetSize), maxCodeLength);

    public static long[] CountFrequencies(ReadOnlySpan<int> symbols, int alphabetSize)
    {
        if (alphabetSize < 0 || alphabetSize > MaxAlphabetSize)
            throw new ArgumentOutOfRangeException(nameof(alphabetSize), alphabetSize, $"Alphabet size must be in [0, {MaxAlphabetSize}].");
        var freq = new long[alphabetSize];
        foreach (int s in symbols)
        {
            if ((uint)s >= (uint)alphabetSize) throw new ArgumentException($"Symbol {s} is outside the alphabet [0, {alphabetSize}).", nameof(symbols));
            freq[s]++;
        }
        return freq;
    }

    /// <summary>
    /// Optimal (Huffman) code lengths, limited to <paramref name="maxCodeLength"/> bits. Trailing zero-frequency
    /// symbols are trimmed from the result. Deterministic: ties are broken by symbol order.
    /// </summary>
    public static byte[] BuildCodeLengths(ReadOnlySpan<long> frequencies, int maxCodeLength = DefaultMaxCodeLength)
    {
        if (maxCodeLength < 1 || maxCodeLength > MaxSupportedCodeLength)
            throw new ArgumentOutOfRangeException(nameof(maxCodeLength), maxCodeLength, $"Must be in [1, {MaxSupportedCodeLength}].");
        if (frequencies.Length > MaxAlphabetSize)
            throw new ArgumentException($"Alphabet has {frequencies.Length} symbols, at most {MaxAlphabetSize} are supported.", nameof(frequencies));
        int size = 0, used = 0;
        for (int s = 0; s < frequencies.Length; s++)
        {
            if (frequencies[s] < 0) throw new ArgumentException($"Frequency of symbol {s} is negative ({frequencies[s]}).", nameof(frequencies));
            if (frequencies[s] > 0) { size = s + 1; used++; }
        }
        var lengths = new byte[size];
        if (used == 0) return lengths;
        if (used == 1) { lengths[size - 1] = 1; return lengths; }
        if (used > (1L << maxCodeLength))
            throw new ArgumentException($"{used} used symbols cannot have codes of at most {maxCodeLength} bits.", nameof(maxCodeLength));

        var symbols = new int[used];
        var weights = new long[used];
        for (int s = 0, i = 0; s < size; s++) if (frequencies[s] > 0) { symbols[i] = s; weights[i++] = frequencies[s]; }
        while (true)
        {
            var depth = TreeDepths(weights);
            int max = 0;
            foreach (var d in depth) max = Math.Max(max, d);
            if (max <= maxCodeLength)
            {
                for (int i = 0; i < used; i++) lengths[symbols[i]] = (byte)depth[i];
                return lengths;
            }
            // Flatten the distribution; repeated halving ends at all-equal weights, whose tree has depth ⌈log2 used⌉.
            for (int i = 0; i < used; i++) weights[i] = Math.Max(1, weights[i] >> 1);
        }
    }

    /// <summary>Leaf depths of a Huffman tree over the weights (two-queue construction, ties prefer leaves).</summary>
    private static int[] TreeDepths(long[] weights)
    {
        int n = weights.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // Sort by weight, equal weights by symbol order, which makes the tree deterministic.
        Array.Sort(order, (a, b) => weights[a] != weights[b] ? weights[a].CompareTo(weights[b]) : a.CompareTo(b));

        // Nodes 0..n-1 are leaves (in sorted order), n..2n-2 internal, created in non-decreasing weight order.
        var nodeWeight = new long[2 * n - 1];
        var parent = new int[2 * n - 1];
        for (int i = 0; i < n; i++) nodeWeight[i] = weights[order[i]];
        int leafNext = 0, internalNext = n, created = n;
        for (int step = 0; step < n - 1; step++)
        {
            int a = PickSmallest(nodeWeight, ref leafNext, n, ref internalNext, created);
            int b = PickSmallest(nodeWeight, ref leafNext, n, ref internalNext, created);
            nodeWeight[created] = nodeWeight[a] + nodeWeight[b];
            parent[a] = created; parent[b] = created;
            created++;
        }
        var nodeDepth = new int[2 * n - 1];
        for (int node = 2 * n - 3; node >= 0; node--) nodeDepth[node] = nodeDepth[parent[node]] + 1;
        var depth = new int[n];
        for (int i = 0; i < n; i++) depth[order[i]] = nodeDepth[i];
        return depth;
    }

    private static int PickSmallest(long[] w, ref int leafNext, int leafEnd, ref int internalNext, int internalEnd)
    {
        bool leafAvailable = leafNext < leafEnd;
        bool internalAvailable = internalNext < internalEnd;
        if (leafAvailable && (!internalAvailable || w[leafNext] <= w[internalNext])) return leafNext++;
        return internalNext++;
    }

    /// <summary>
    /// Builds a decoder/encoder from stored code lengths, validating them: each at most 24, and the code complete
    /// (Kraft sum exactly 1) or a single symbol of length 1.
    /// </summary>
    public static HuffmanCode FromCodeLengths(ReadOnlySpan<byte> lengths, string context)
    {
        if (lengths.Length > MaxAlphabetSize)
            throw new InvalidDataException($"{context}: Huffman alphabet of {lengths.Length} symbols exceeds {MaxAlphabetSize}.");
        long kraft = 0; // in units of 2^-MaxSupportedCodeLength
        int used = 0;
        for (int s = 0; s < lengths.Length; s++)
        {
            int len = lengths[s];
            if (len > MaxSupportedCodeLength)
                throw new InvalidDataException($"{context}: Huffman code length {len} of symbol {s} exceeds {MaxSupportedCodeLength}.");
            if (len == 0) continue;
            used++;
            kraft += 1L << (MaxSupportedCodeLength - len);
        }
        const long full = 1L << MaxSupportedCodeLength;
        if (used == 1)
        {
            if (kraft != full >> 1) throw new InvalidDataException($"{context}: a single-symbol Huffman code must have length 1.");
        }
        else if (used > 1 && kraft != full)
        {
            throw new InvalidDataException($"{context}: Huffman code lengths are {(kraft > full ? "over-subscribed" : "incomplete")} (Kraft sum {kraft / (double)full}).");
        }
        return new HuffmanCode(lengths.ToArray());
    }

    public void Encode(BitWriter writer, int symbol)
    {
        if ((uint)symbol >= (uint)_lengths.Length || _lengths[symbol] == 0)
            throw new ArgumentException($"Symbol {symbol} has no code (alphabet size {_lengths.Length}).", nameof(symbol));
        writer.WriteBits(_reversedCodes[symbol], _lengths[symbol]);
    }

    /// <summary>Code length of a symbol in bits (0 if it has no code).</summary>
    public int LengthOf(int symbol) => (uint)symbol < (uint)_lengths.Length ? _lengths[symbol] : 0;

    public int Decode(ref BitReader reader)
    {
        int entry = _lookup[reader.PeekBits(LookupBits)];
        if (entry != 0)
        {
            reader.Skip(entry & 31); // throws if the matched code runs past the end (peeked bits there were padding)
            return entry >> 5;
        }
        int code = 0;
        for (int len = 1; len <= _maxLength; len++)
        {
            code = (code << 1) | (reader.ReadBit() ? 1 : 0);
            int offset = code - _firstCode[len];
            if ((uint)offset < (uint)_countPerLength[len]) return _sortedSymbols[_firstIndex[len] + offset];
        }
        throw new InvalidDataException($"{reader.Context}: invalid Huffman code ending at bit {reader.BitPosition}.");
    }

    /// <summary>Exact number of bits <see cref="WriteTable"/> produces.</summary>
    public long TableBitCount
    {
        get
        {
            long bits = SizeFieldBits;
            ForEachTableItem((isRun, _) => bits += isRun ? LengthFieldBits + ZeroRunBits : LengthFieldBits);
            return bits;
        }
    }

    /// <summary>Number of bits the symbols with these frequencies take (Σ frequency × length).</summary>
    public long EncodedBitCount(ReadOnlySpan<long> frequencies)
    {
        long bits = 0;
        for (int s = 0; s < frequencies.Length; s++)
        {
            if (frequencies[s] == 0) continue;
            int len = LengthOf(s);
            if (len == 0) throw new ArgumentException($"Symbol {s} has a frequency but no code.", nameof(frequencies));
            bits += frequencies[s] * len;
        }
        return bits;
    }

    /// <summary>
    /// Stores the code lengths: 17-bit alphabet size, then per symbol a 5-bit length, where the value 31 starts a run
    /// of 3..256 unused symbols whose length-1 follows in 8 bits.
    /// </summary>
    public void WriteTable(BitWriter writer)
    {
        writer.WriteBits((uint)_lengths.Length, SizeFieldBits);
        ForEachTableItem((isRun, value) =>
        {
            if (isRun) { writer.WriteBits(ZeroRunEscape, LengthFieldBits); writer.WriteBits((uint)(value - 1), ZeroRunBits); }
            else writer.WriteBits((uint)value, LengthFieldBits);
        });
    }

    private void ForEachTableItem(Action<bool, int> item)
    {
        int s = 0;
        while (s < _lengths.Length)
        {
            if (_lengths[s] == 0)
            {
                int run = 0;
                while (s + run < _lengths.Length && _lengths[s + run] == 0 && run < MaxZeroRun) run++;
                if (run >= MinZeroRun) { item(true, run); s += run; continue; }
            }
            item(false, _lengths[s]);
            s++;
        }
    }

    /// <summary>Reads a table written by <see cref="WriteTable"/>; the alphabet may not exceed <paramref name="maxAlphabetSize"/>.</summary>
    public static HuffmanCode ReadTable(ref BitReader reader, int maxAlphabetSize)
    {
        int size = (int)reader.ReadBits(SizeFieldBits);
        if (size > maxAlphabetSize || size > MaxAlphabetSize)
            throw new InvalidDataException($"{reader.Context}: Huffman table declares {size} symbols, at most {Math.Min(maxAlphabetSize, MaxAlphabetSize)} allowed here.");
        var lengths = new byte[size];
        int s = 0;
        while (s < size)
        {
            int value = (int)reader.ReadBits(LengthFieldBits);
            if (value == ZeroRunEscape)
            {
                int run = (int)reader.ReadBits(ZeroRunBits) + 1;
                if (s + run > size)
                    throw new InvalidDataException($"{reader.Context}: Huffman table zero run of {run} at symbol {s} passes the alphabet size {size}.");
                s += run;
            }
            else if (value > MaxSupportedCodeLength)
            {
                throw new InvalidDataException($"{reader.Context}: Huffman code length {value} for symbol {s} exceeds {MaxSupportedCodeLength}.");
            }
            else lengths[s++] = (byte)value;
        }
        return FromCodeLengths(lengths, reader.Context);
    }

    private static uint ReverseBits(uint value, int count)
    {
        uint r = 0;
        for (int i = 0; i < count; i++) { r = (r << 1) | (value & 1); value >>= 1; }
        return r;
    }
}

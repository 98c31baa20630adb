namespace Knot.Compression.Proximal;

/// <summary>
/// The exact prox of the OWL norm on a vector of non-negative magnitudes (METHODS.md §1.3; Bogdan et al. 2015,
/// Algorithm 4): sort descending, d = r − μλ, project d onto the monotone non-negative cone with a stack-based
/// pool-adjacent-violators pass, un-permute. The papers' O(n log n) is the sort; a radix sort makes it O(n) here.
/// Scratch is allocated once for a maximum length.
/// </summary>
internal sealed class OwlProxSolver
{
    private readonly int[] _perm;
    private readonly uint[] _radixKeys;
    private readonly uint[] _radixKeysSwap;
    private readonly int[] _permSwap;
    private readonly int[] _histogram = new int[RadixPasses * RadixBuckets];
    private const int RadixBits = 11, RadixBuckets = 1 << RadixBits, RadixPasses = 3; // 3 × 11 bits ≥ 32
    private readonly double[] _blockSum;
    private readonly int[] _blockLength;
    private readonly double[] _d;
    private readonly double[] _x;

    public OwlProxSolver(int capacity)
    {
        _perm = new int[capacity];
        _radixKeys = new uint[capacity];
        _radixKeysSwap = new uint[capacity];
        _permSwap = new int[capacity];
        _blockSum = new double[capacity];
        _blockLength = new int[capacity];
        _d = new double[capacity];
        _x = new double[capacity];
    }

    public int Capacity => _perm.Length;

    /// <summary>
    /// result ← prox of stepSize·Σ λ_i |r|_(i) at r. magnitudes must be finite and ≥ 0; lambdas non-increasing with
    /// at least as many entries as magnitudes. Zero magnitudes stay zero and are left out of the sort: they rank last,
    /// and the prox restricted to the non-zero entries with λ_1..λ_m is the same problem (a zero entry never gains mass).
    /// </summary>
    public void Solve(ReadOnlySpan<float> magnitudes, ReadOnlySpan<float> lambdas, float stepSize, Span<float> result)
    {
        if (magnitudes.Length > Capacity || result.Length != magnitudes.Length || lambdas.Length < magnitudes.Length)
            throw new ArgumentException($"OWL prox of {magnitudes.Length} magnitudes needs capacity >= n (is {Capacity}), n results (got {result.Length}) and >= n λ (got {lambdas.Length}).", nameof(magnitudes));
        int m = SortDescending(magnitudes);
        result.Clear();
        if (m == 0) return;
        var perm = _perm.AsSpan(0, m);
        var d = _d.AsSpan(0, m);
        var x = _x.AsSpan(0, m);
        double mu = stepSize;
        for (int k = 0; k < m; k++) d[k] = magnitudes[perm[k]] - mu * lambdas[k];
        ProjectMonotoneNonNegative(d, x, _blockSum, _blockLength);
        for (int k = 0; k < m; k++) result[perm[k]] = (float)x[k];
    }

    /// <summary>Σ λ_i |r|_(i): the OWL norm of non-negative magnitudes (for logging).</summary>
    public double Norm(ReadOnlySpan<float> magnitudes, ReadOnlySpan<float> lambdas)
    {
        if (magnitudes.Length > Capacity || lambdas.Length < magnitudes.Length)
            throw new ArgumentException($"OWL norm of {magnitudes.Length} magnitudes needs capacity >= n (is {Capacity}) and >= n λ (got {lambdas.Length}).", nameof(magnitudes));
        int m = SortDescending(magnitudes);
        double total = 0;
        for (int k = 0; k < m; k++) total += (double)lambdas[k] * magnitudes[_perm[k]];
        return total;
    }

    /// <summary>
    /// Puts the indices of the positive magnitudes into _perm[0..m), largest first, and returns m. LSD radix sort on
    /// the float bits (for positive floats the bit pattern orders like the value), 3 passes of 11 bits, skipping passes
    /// whose digit is the same for every key (typical for the exponent bits of similar norms). Stable, so equal
    /// magnitudes stay in index order: the result is fully deterministic. About 10× faster than introsort at n = 4608.
    /// The order among equal magnitudes does not affect the prox anyway: tied entries get non-decreasing d (λ is
    /// non-increasing), so PAVA pools them into one block.
    /// </summary>
    private int SortDescending(ReadOnlySpan<float> magnitudes)
    {
        var keys = _radixKeys.AsSpan();
        var perm = _perm.AsSpan();
        var hist = _histogram.AsSpan();
        hist.Clear();
        int m = 0;
        for (int i = 0; i < magnitudes.Length; i++)
        {
            float r = magnitudes[i];
            if (r > 0f)
            {
                uint key = ~BitConverter.SingleToUInt32Bits(r); // complement: ascending key order = descending value
                keys[m] = key;
                perm[m] = i;
                m++;
                hist[(int)(key & (RadixBuckets - 1))]++;
                hist[RadixBuckets + (int)((key >> RadixBits) & (RadixBuckets - 1))]++;
                hist[2 * RadixBuckets + (int)(key >> (2 * RadixBits))]++;
            }
        }
        var srcKeys = keys;
        var srcPerm = perm;
        var dstKeys = _radixKeysSwap.AsSpan();
        var dstPerm = _permSwap.AsSpan();
        for (int pass = 0; pass < RadixPasses; pass++)
        {
            var h = hist.Slice(pass * RadixBuckets, RadixBuckets);
            int shift = pass * RadixBits;
            if (m == 0 || h[(int)((srcKeys[0] >> shift) & (RadixBuckets - 1))] == m) continue; // one bucket holds all
            int offset = 0;
            for (int b = 0; b < RadixBuckets; b++)
            {
                int c = h[b];
                h[b] = offset;
                offset += c;
            }
            for (int k = 0; k < m; k++)
            {
                uint key = srcKeys[k];
                int at = h[(int)((key >> shift) & (RadixBuckets - 1))]++;
                dstKeys[at] = key;
                dstPerm[at] = srcPerm[k];
            }
            var tk = srcKeys; srcKeys = dstKeys; dstKeys = tk;
            var tp = srcPerm; srcPerm = dstPerm; dstPerm = tp;
        }
        if (!srcPerm.Overlaps(perm)) srcPerm[..m].CopyTo(perm);
        return m;
    }

    /// <summary>
    /// Euclidean projection of d onto {x1 ≥ x2 ≥ … ≥ xn ≥ 0}: stack PAVA for the non-increasing isotonic fit, then
    /// clip at 0 (every block mean ≤ 0 becomes 0). Scratch spans need d.Length entries.
    /// </summary>
    public static void ProjectMonotoneNonNegative(ReadOnlySpan<double> d, Span<double> result, Span<double> sums, Span<int> lengths)
    {
        int top = -1;
        for (int k = 0; k < d.Length; k++)
        {
            double sum = d[k];
            int len = 1;
            while (top >= 0 && sums[top] * len <= sum * lengths[top])
            {
                sum += sums[top];
                len += lengths[top];
                top--;
            }
            top++;
            sums[top] = sum;
            lengths[top] = len;
        }
        int pos = 0;
        for (int b = 0; b <= top; b++)
        {
            double mean = sums[b] / lengths[b];
            double value = mean > 0 ? mean : 0;
            for (int end = pos + lengths[b]; pos < end; pos++) result[pos] = value;
        }
    }
}

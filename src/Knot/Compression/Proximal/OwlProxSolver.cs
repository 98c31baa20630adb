namespace Knot.Compression.Proximal;

/// <summary>
/// The exact O(n log n) prox of the OWL norm on a vector of non-negative magnitudes (METHODS.md §1.3; Bogdan et al.
/// 2015, Algorithm 4): sort descending, d = r − μλ, project d onto the monotone non-negative cone with a stack-based
/// pool-adjacent-violators pass, un-permute. Scratch is allocated once for a maximum length.
/// </summary>
internal sealed class OwlProxSolver
{
    private readonly float[] _keys;
    private readonly int[] _perm;
    private readonly double[] _blockSum;
    private readonly int[] _blockLength;
    private readonly double[] _d;
    private readonly double[] _x;

    public OwlProxSolver(int capacity)
    {
        _keys = new float[capacity];
        _perm = new int[capacity];
        _blockSum = new double[capacity];
        _blockLength = new int[capacity];
        _d = new double[capacity];
        _x = new double[capacity];
    }

    public int Capacity => _keys.Length;

    /// <summary>
    /// result ← prox of stepSize·Σ λ_i |r|_(i) at r. magnitudes must be finite and ≥ 0; lambdas non-increasing with
    /// at least as many entries as magnitudes. Zero magnitudes stay zero and are left out of the sort: they rank last,
    /// and the prox restricted to the non-zero entries with λ_1..λ_m is the same problem (a zero entry never gains mass).
    /// </summary>
    public void Solve(ReadOnlySpan<float> magnitudes, ReadOnlySpan<float> lambdas, float stepSize, Span<float> result)
    {
        int n = magnitudes.Length;
        int m = 0;
        var keys = _keys.AsSpan();
        var perm = _perm.AsSpan();
        for (int i = 0; i < n; i++)
        {
            float r = magnitudes[i];
            if (r > 0f)
            {
                keys[m] = -r; // ascending sort of −r = descending r
                perm[m] = i;
                m++;
            }
        }
        result.Clear();
        if (m == 0) return;
        // Introsort is deterministic for a given input. The order among equal magnitudes does not matter: tied
        // entries get non-decreasing d (λ is non-increasing), so PAVA pools them into one block and gives them equal values.
        keys[..m].Sort(perm[..m]);

        var d = _d.AsSpan(0, m);
        var x = _x.AsSpan(0, m);
        double mu = stepSize;
        for (int k = 0; k < m; k++) d[k] = -(double)keys[k] - mu * lambdas[k];
        ProjectMonotoneNonNegative(d, x, _blockSum, _blockLength);
        for (int k = 0; k < m; k++) result[perm[k]] = (float)x[k];
    }

    /// <summary>Σ λ_i |r|_(i): the OWL norm of non-negative magnitudes (for logging).</summary>
    public double Norm(ReadOnlySpan<float> magnitudes, ReadOnlySpan<float> lambdas)
    {
        int n = magnitudes.Length;
        var keys = _keys.AsSpan(0, n);
        for (int i = 0; i < n; i++) keys[i] = -magnitudes[i];
        keys.Sort();
        double total = 0;
        for (int i = 0; i < n; i++) total += (double)lambdas[i] * -keys[i];
        return total;
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

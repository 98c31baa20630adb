namespace Knot.Comparison;

/// <summary>The methods `knot compare` knows, in table order; a new method is one class and one line here.</summary>
public static class ComparisonMethods
{
    public static IReadOnlyList<ComparisonMethod> All { get; } =
    [
        new BaselineMethod(), new WeightDecayMethod(), new GroupLassoMethod(), new GrowlMethod(), new DeepCompressionMethod(), new SoftSharingMethod(),
    ];

    public static IEnumerable<string> Names => All.Select(m => m.Name);

    /// <summary>Parses "baseline,growl,dc" (any order, no repeats) into methods in table order.</summary>
    public static IReadOnlyList<ComparisonMethod> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return All;
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string name = raw.ToLowerInvariant();
            if (!Names.Contains(name)) throw new ArgumentException($"--methods: unknown method '{raw}'. Known: {string.Join(", ", Names)}.");
            if (!wanted.Add(name)) throw new ArgumentException($"--methods: '{raw}' is listed twice.");
        }
        if (wanted.Count == 0) throw new ArgumentException("--methods needs at least one method.");
        return All.Where(m => wanted.Contains(m.Name)).ToList();
    }
}

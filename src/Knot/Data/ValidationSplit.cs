namespace Knot.Data;

/// <summary>Seeded, deterministic split of sample indices into a training part and a validation part.</summary>
public static class ValidationSplit
{
    /// <summary>
    /// Picks <paramref name="validationCount"/> of the <paramref name="count"/> indices for validation (a seeded
    /// permutation's first entries) and leaves the rest for training. Both lists are sorted ascending and disjoint.
    /// </summary>
    public static (int[] Train, int[] Validation) Split(int count, int validationCount, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (validationCount < 0 || validationCount > count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"must be in [0, {count}]");
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        new Tensors.KnotRandom(SeedMixer.Mix(seed, SeedMixer.SplitStream)).Shuffle(order);
        var validation = order[..validationCount];
        var train = order[validationCount..];
        Array.Sort(validation);
        Array.Sort(train);
        return (train, validation);
    }

    /// <summary>Same, with the validation size given as a fraction in [0, 1) of <paramref name="count"/> (rounded).</summary>
    public static (int[] Train, int[] Validation) SplitFraction(int count, double validationFraction, ulong seed)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        return Split(count, (int)Math.Round(count * validationFraction), seed);
    }
}

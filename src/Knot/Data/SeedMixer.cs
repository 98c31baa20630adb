namespace Knot.Data;

/// <summary>
/// Derives independent 64-bit seeds from (seed, stream, a, b) with splitmix64 finalizers. Everything random in
/// data loading — the epoch permutation, each sample's augmentation, the validation split — is a pure function
/// of such a key, so a run resumed at (epoch, batch) reproduces the same batches without saving any RNG state.
/// </summary>
public static class SeedMixer
{
    public const ulong ShuffleStream = 1;
    public const ulong AugmentStream = 2;
    public const ulong SplitStream = 3;

    public static ulong Mix(ulong seed, ulong stream, ulong a = 0, ulong b = 0)
    {
        ulong h = Finalize(seed ^ 0x243F6A8885A308D3UL);
        h = Finalize(h ^ (stream * 0x9E3779B97F4A7C15UL));
        h = Finalize(h ^ (a * 0xC2B2AE3D27D4EB4FUL));
        return Finalize(h ^ (b * 0x165667B19E3779F9UL));
    }

    private static ulong Finalize(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

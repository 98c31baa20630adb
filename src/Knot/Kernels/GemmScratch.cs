namespace Knot.Kernels;

/// <summary>
/// Per-thread packing buffers for the GEMM: allocated on a thread's first use, grown when a bigger kernel or
/// problem needs more, then reused forever, so a steady-state call allocates nothing. Pinned (POH) arrays
/// give stable, 64-byte-aligned pointers without per-call pinning.
/// </summary>
internal static unsafe class GemmScratch
{
    private const int AlignFloats = 16; // 64 bytes

    [ThreadStatic] private static float[]? t_buffer;

    /// <summary>A 64-byte-aligned pointer to at least <paramref name="floats"/> floats owned by this thread.</summary>
    public static float* Get(int floats)
    {
        float[]? buffer = t_buffer;
        if (buffer is null || buffer.Length < floats + AlignFloats)
        {
            buffer = GC.AllocateUninitializedArray<float>(floats + AlignFloats, pinned: true);
            t_buffer = buffer;
        }

        // The array lives on the pinned object heap, so its address never changes.
        float* p = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buffer[0]);
        nint misalign = (nint)p & 63;
        return misalign == 0 ? p : (float*)((byte*)p + (64 - misalign));
    }
}

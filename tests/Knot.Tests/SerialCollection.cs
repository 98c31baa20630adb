namespace Knot.Tests;

/// <summary>
/// Tests that measure process-wide allocation or timing: xunit runs this collection alone, after the parallel
/// ones, so other tests' allocations do not leak into GC.GetTotalAllocatedBytes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (allocation measurements)";
}

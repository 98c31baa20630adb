using System.Runtime.CompilerServices;

// The benchmark pins kernels and thread counts through the internal Gemm.Multiply overload, like the tests.
[assembly: InternalsVisibleTo("Knot.Bench")]

namespace Knot.Kernels;

/// <summary>Which GEMM micro-kernel runs. <see cref="Auto"/> picks the widest one the hardware accelerates.</summary>
internal enum GemmKernelKind
{
    Auto,
    Vector128,
    Vector256,
    Vector512,
}

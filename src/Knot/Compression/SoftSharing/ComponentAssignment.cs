namespace Knot.Compression.SoftSharing;

/// <summary>How a weight picks its component when the mixture is turned into a codebook.</summary>
public enum ComponentAssignment
{
    /// <summary>argmax_j π_j N(w | μ_j, σ_j²): the largest responsibility (the zero component's large π0 pulls more weights to 0).</summary>
    MaximumAPosteriori,

    /// <summary>argmax_j N(w | μ_j, σ_j²): the mixing proportions are ignored.</summary>
    MaximumLikelihood,
}

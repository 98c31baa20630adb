using Knot.Compression.Growl;
using Knot.Compression.Proximal;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Compression.Combined;

/// <summary>
/// The distinct weights of a GrOWL-structured model: what the finalized network really stores. Per covered tensor an
/// element is either <i>removed</i> (a zero input group, or a producer's output row/filter that <see cref="GrowlFinalizer"/>
/// drops because its consumer's input is zero), a <i>representative</i> (first member of its tie cluster, or an
/// unstructured element) or a <i>copy</i> of its cluster's representative. The compact tensors hold one value per
/// representative, so a prior evaluated on them counts each tied group once and removed weights not at all.
/// </summary>
/// <remarks>
/// Gradient flow: the trainer calls hooks' AfterBackward before the parameters' constraints, and
/// <see cref="TieConstraint"/> then replaces each member's gradient by the cluster's sum. So the prior's gradient is
/// added to the representative only (<see cref="AddGradients"/>), and after the sum every member carries
/// dCE/d(shared vector) + (τ/N)·dL_C/d(shared vector): the gradient of the shared parameter under the combined loss.
/// Gather/AddGradients allocate nothing (index arrays are built once).
/// </remarks>
public sealed class DistinctWeights
{
    /// <summary>Index of an element that is not stored (removed).</summary>
    public const int Removed = -1;

    private readonly Tensor[] _full;
    private readonly int[][] _representatives; // per tensor: full-element index of compact value i
    private readonly int[][] _compactIndex;    // per tensor: per full element, its compact index or Removed

    private DistinctWeights(string[] names, Tensor[] full, int[][] representatives, int[][] compactIndex)
    {
        Names = names;
        _full = full;
        _representatives = representatives;
        _compactIndex = compactIndex;
        Compact = representatives.Select(r =>
        {
            var t = new Tensor(new Shape(r.Length), new float[r.Length]);
            t.Grad = new Tensor(new Shape(r.Length), new float[r.Length]);
            return t;
        }).ToArray();
        Gather();
    }

    /// <summary>Covered tensor names, in order (tensors with no distinct weight left are not covered).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The full (constrained) tensors, in order.</summary>
    public IReadOnlyList<Tensor> Full => _full;

    /// <summary>One rank-1 tensor per covered tensor holding its distinct values, each with a gradient tensor.</summary>
    public IReadOnlyList<Tensor> Compact { get; }

    /// <summary>Elements of the covered tensors in the dense model.</summary>
    public long FullCount => _full.Sum(t => (long)t.Length);

    /// <summary>Distinct (stored) weights: what the prior covers.</summary>
    public long DistinctCount => _representatives.Sum(r => (long)r.Length);

    /// <summary>Per tensor, per element: its compact index or <see cref="Removed"/>.</summary>
    public ReadOnlySpan<int> CompactIndex(int tensor) => _compactIndex[tensor];

    /// <summary>
    /// Builds the view for <paramref name="covered"/> (e.g. <c>SoftSharingHook.SelectWeights</c>) of a sequential
    /// <paramref name="model"/> under a GrOWL <paramref name="structure"/>. Biases of producer layers lose their
    /// removed outputs too. Tensors left with no distinct value are dropped from the view.
    /// </summary>
    public static DistinctWeights Build(Module model, IReadOnlyList<(string Name, Parameter Parameter)> covered, IReadOnlyList<LayerStructure> structure)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(covered);
        ArgumentNullException.ThrowIfNull(structure);
        var byName = structure.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var removedOutputs = GrowlFinalizer.RemovedOutputs(model, structure);
        var names = new List<string>();
        var full = new List<Tensor>();
        var reps = new List<int[]>();
        var indices = new List<int[]>();
        foreach (var (name, p) in covered)
        {
            int dot = name.LastIndexOf('.');
            string layer = dot < 0 ? name : name[..dot];
            bool[]? removedRow = null;
            if (removedOutputs.TryGetValue(layer, out var rows))
            {
                removedRow = new bool[p.Shape[0]];
                foreach (int r in rows) removedRow[r] = true;
            }
            byName.TryGetValue(name, out var s);
            if (s is not null && !p.Shape.Dims.SequenceEqual(s.Shape))
                throw new InvalidDataException($"Structure for '{name}' has shape ({string.Join(", ", s.Shape)}), the model's tensor is {p.Shape}.");
            var (r1, idx) = Map(p.Value.Length, p.Shape, s, removedRow);
            if (r1.Length == 0) continue;
            names.Add(name);
            full.Add(p.Value);
            reps.Add(r1);
            indices.Add(idx);
        }
        return new DistinctWeights([.. names], [.. full], [.. reps], [.. indices]);
    }

    private static (int[] Representatives, int[] Index) Map(int length, Shape shape, LayerStructure? s, bool[]? removedRow)
    {
        var index = new int[length];
        var reps = new List<int>();
        if (shape.Rank < 2)
        {
            for (int e = 0; e < length; e++)
            {
                if (removedRow is not null && removedRow[e]) { index[e] = Removed; continue; }
                index[e] = reps.Count;
                reps.Add(e);
            }
            return ([.. reps], index);
        }
        var layout = new GroupLayout(shape);
        int inner = layout.Inner, stride = layout.RowStride;
        int[]? labels = s?.Labels;
        int[]? first = null;
        if (labels is not null)
        {
            var map = s!.ToTieMap();
            first = new int[map.ClusterCount];
            for (int c = 0; c < first.Length; c++) first[c] = map.Members(c)[0];
        }
        for (int o = 0; o < layout.Out; o++)
        {
            for (int j = 0; j < stride / inner; j++)
            {
                for (int k = 0; k < inner; k++)
                {
                    int e = o * stride + j * inner + k;
                    if (removedRow is not null && removedRow[o]) { index[e] = Removed; continue; }
                    if (labels is not null)
                    {
                        int c = labels[j];
                        if (c < 0) { index[e] = Removed; continue; }
                        int f = first![c];
                        // Members are ascending, so the representative (same row, same offset) was mapped already.
                        if (f != j) { index[e] = index[o * stride + f * inner + k]; continue; }
                    }
                    index[e] = reps.Count;
                    reps.Add(e);
                }
            }
        }
        return ([.. reps], index);
    }

    /// <summary>Copies the representatives' current values into <see cref="Compact"/>.</summary>
    public void Gather()
    {
        for (int t = 0; t < _full.Length; t++)
        {
            var src = _full[t].Data;
            var dst = Compact[t].Data;
            var rep = _representatives[t];
            for (int i = 0; i < rep.Length; i++) dst[i] = src[rep[i]];
        }
    }

    /// <summary>Clears the compact gradients.</summary>
    public void ClearGradients()
    {
        for (int t = 0; t < Compact.Count; t++) Array.Clear(Compact[t].Grad!.Data);
    }

    /// <summary>Adds each compact gradient to its representative's gradient in the full tensor (see remarks).</summary>
    public void AddGradients()
    {
        for (int t = 0; t < _full.Length; t++)
        {
            var full = _full[t];
            full.Grad ??= new Tensor(full.Shape, new float[full.Length]);
            var dst = full.Grad.Data;
            var src = Compact[t].Grad!.Data;
            var rep = _representatives[t];
            for (int i = 0; i < rep.Length; i++) dst[rep[i]] += src[i];
        }
    }

    /// <summary>
    /// Writes compact values (one array per covered tensor, e.g. snapped to a codebook) into the full tensors: copies
    /// get their representative's value, removed elements exactly 0.
    /// </summary>
    public void Scatter(IReadOnlyList<float[]> compactValues)
    {
        ArgumentNullException.ThrowIfNull(compactValues);
        if (compactValues.Count != _full.Length)
            throw new ArgumentException($"Expected {_full.Length} compact tensors, got {compactValues.Count}.", nameof(compactValues));
        for (int t = 0; t < _full.Length; t++)
        {
            var values = compactValues[t];
            if (values.Length != _representatives[t].Length)
                throw new ArgumentException($"Compact tensor {t} ({Names[t]}) needs {_representatives[t].Length} values, got {values.Length}.", nameof(compactValues));
            var dst = _full[t].Data;
            var idx = _compactIndex[t];
            for (int e = 0; e < dst.Length; e++) dst[e] = idx[e] < 0 ? 0f : values[idx[e]];
        }
    }

    /// <summary>
    /// Per element of covered tensor <paramref name="tensor"/>: true if it is stored (a representative or a copy), false
    /// if removed. Pinning the removed elements at 0 (a mask constraint) changes nothing the network computes: zero groups
    /// are zero already and a removed producer row only feeds a zero input group.
    /// </summary>
    public bool[] StoredMask(int tensor)
    {
        var idx = _compactIndex[tensor];
        var keep = new bool[idx.Length];
        for (int e = 0; e < idx.Length; e++) keep[e] = idx[e] != Removed;
        return keep;
    }
}

using System.Globalization;
using Knot.Compression.Growl;
using Knot.Compression.Proximal;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Tensors;

namespace Knot.Reporting;

/// <summary>One weight tensor of the report's per-layer table.</summary>
/// <param name="Shape">The original (uncompressed) shape.</param>
/// <param name="KeptGroups">Input groups (units/channels) still used; null when unknown.</param>
/// <param name="Clusters">GrOWL: clusters of tied groups; otherwise distinct non-zero values (codebook entries in use).</param>
/// <param name="BitsPerNonZero">Stored bits (values, positions, codes) per non-zero weight in the .knot file.</param>
public sealed record LayerRow(string Name, int[] Shape, int Groups, int? KeptGroups, long? Clusters, long NonZeros, long Weights,
    string Encoding, double BitsPerNonZero, long Bytes, long? FlopsBefore, long? FlopsAfter);

/// <summary>Builds the per-layer table from the original model, the compressed one and its (real or in-memory) .knot file.</summary>
public static class LayerAnalysis
{
    /// <param name="compressed">The final model as stored (for GrOWL: finalized, with smaller layers).</param>
    /// <param name="structure">GrOWL's zero/tied groups, when the run has them.</param>
    public static List<LayerRow> Rows(ModelSpec? spec, Sequential compressed, KnotFile file, IReadOnlyList<LayerStructure>? structure)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        ArgumentNullException.ThrowIfNull(file);
        Sequential? original = null;
        if (spec is not null)
        {
            try { original = ModelZoo.Create(spec, new KnotRandom(0)) as Sequential; }
            catch (ArgumentException) { original = null; } // not a zoo model (imported architecture): no "before" shapes
        }
        Dictionary<string, long>? before = null, after = null;
        if (spec is not null)
        {
            if (original is not null) before = FlopCounter.PerLayer(original, spec, skipZeros: false);
            after = FlopCounter.PerLayer(compressed, spec, skipZeros: true);
        }
        var originalShapes = original?.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape.ToArray(), StringComparer.Ordinal);
        var byStructure = structure?.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var rows = new List<LayerRow>();
        foreach (var (name, p) in compressed.NamedParameters())
        {
            if (p.Shape.Rank < 2) continue;
            var data = p.Value.Data;
            int[] shape = originalShapes is not null && originalShapes.TryGetValue(name, out var s) ? s : p.Shape.ToArray();
            int groups = shape[1];
            int? kept = null;
            long? clusters;
            long nonZeros = data.LongCount(v => v != 0);
            if (byStructure is not null && byStructure.TryGetValue(name, out var ls))
            {
                kept = ls.Labels.Count(l => l >= 0);
                clusters = ls.Labels.Where(l => l >= 0).Distinct().Count();
            }
            else
            {
                if (p.Shape.ToArray().SequenceEqual(shape))
                {
                    var layout = new GroupLayout(shape);
                    var norms = new float[layout.GroupCount];
                    layout.Norms(data, norms);
                    kept = norms.Count(n => n > 0);
                }
                clusters = data.Where(v => v != 0).Distinct().LongCount();
            }
            string encoding = "–";
            double bits = double.NaN;
            long bytes = 0;
            if (file.TryGetTensor(name, out var t))
            {
                encoding = t.Encoding.ToString();
                bytes = t.StoredBytes;
                bits = 8.0 * t.StoredBytes / Math.Max(1, nonZeros);
            }
            long? fb = before is not null && before.TryGetValue(name, out var b) ? b : null;
            long? fa = after is not null && after.TryGetValue(name, out var a) ? a : null;
            rows.Add(new LayerRow(name, shape, groups, kept, clusters, nonZeros, shape.Aggregate(1L, (x, y) => x * y), encoding, bits, bytes, fb, fa));
        }
        return rows;
    }

    public static readonly string[] Headers =
        ["layer", "shape", "kept groups", "clusters / distinct values", "non-zero", "encoding", "bits / non-zero", "bytes", "FLOPs before", "FLOPs after"];

    public static IEnumerable<IReadOnlyList<string>> Cells(IEnumerable<LayerRow> rows) => rows.Select(r => (IReadOnlyList<string>)
    [
        r.Name, string.Join("×", r.Shape),
        r.KeptGroups is int k ? $"{k} / {r.Groups}" : "–",
        r.Clusters is long c ? c.ToString("N0", CultureInfo.InvariantCulture) : "–",
        $"{r.NonZeros.ToString("N0", CultureInfo.InvariantCulture)} ({(double)r.NonZeros / Math.Max(1, r.Weights):P1})",
        r.Encoding,
        double.IsNaN(r.BitsPerNonZero) ? "–" : r.BitsPerNonZero.ToString("F2", CultureInfo.InvariantCulture),
        r.Bytes.ToString("N0", CultureInfo.InvariantCulture),
        Flops(r.FlopsBefore), Flops(r.FlopsAfter),
    ]);

    public static string Flops(long? f) => f switch
    {
        null => "–",
        >= 1_000_000_000 => (f.Value / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " G",
        >= 1_000_000 => (f.Value / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (f.Value / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " k",
        _ => f.Value.ToString(CultureInfo.InvariantCulture),
    };
}

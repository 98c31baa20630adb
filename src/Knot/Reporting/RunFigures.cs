using System.Globalization;
using Knot.Reporting.Svg;
using Knot.Training;

namespace Knot.Reporting;

/// <summary>Figures that several run kinds share: training curves and accuracy vs real file size.</summary>
public static class RunFigures
{
    /// <summary>
    /// Loss, accuracy and (when the run recorded them) sparsity and cluster counts per epoch. The x axis numbers the
    /// records in order, so stages (e.g. GrOWL's training then retraining) follow each other.
    /// </summary>
    public static void TrainingCurves(ReportSection section, IReadOnlyList<EpochRecord> history, string note)
    {
        if (history.Count == 0)
        {
            section.Paragraph("This run recorded no per-epoch history.");
            section.Figure(LineChart.Render("Loss per epoch", [], [], "epoch", "loss"), "No epochs were recorded.");
            return;
        }
        var x = Enumerable.Range(1, history.Count).Select(i => (double)i).ToList();
        var loss = new List<LineSeries> { new("train loss", history.Select(h => h.TrainLoss).ToList()) };
        if (history.Any(h => h.TestLoss is not null)) loss.Add(new("test loss", history.Select(h => h.TestLoss ?? double.NaN).ToList()));
        section.Figure(LineChart.Render("Loss per epoch", x, loss, "epoch", "loss"), note + " Train loss is the training objective (cross-entropy plus any smooth penalty, e.g. the mixture prior, which can be negative); test loss is cross-entropy.");

        var accuracy = new List<LineSeries> { new("train accuracy", history.Select(h => 100 * h.TrainAccuracy).ToList()) };
        if (history.Any(h => h.TestAccuracy is not null)) accuracy.Add(new("test accuracy", history.Select(h => 100 * (h.TestAccuracy ?? double.NaN)).ToList()));
        section.Figure(LineChart.Render("Accuracy per epoch", x, accuracy, "epoch", "accuracy (%)"), "Train accuracy is the running mean over the epoch's batches.");

        var structure = new List<LineSeries>();
        string left = "", right = "";
        if (history.Any(h => h.Extra.ContainsKey("sparsity")))
        {
            structure.Add(new("zero groups (%)", history.Select(h => h.Extra.TryGetValue("sparsity", out var v) ? 100 * v : double.NaN).ToList()));
            left = "zero groups (%)";
        }
        if (history.Any(h => h.Extra.ContainsKey("sws.nonzero_fraction")))
        {
            structure.Add(new("non-zero weights if snapped (%)", history.Select(h => h.Extra.TryGetValue("sws.nonzero_fraction", out var v) ? 100 * v : double.NaN).ToList()));
            left = left.Length == 0 ? "non-zero weights (%)" : left + " / non-zero (%)";
        }
        if (history.Any(h => h.Extra.Keys.Any(k => k.EndsWith(".norm_clusters", StringComparison.Ordinal))))
        {
            structure.Add(new("distinct group norms", history.Select(h =>
            {
                var keys = h.Extra.Keys.Where(k => k.EndsWith(".norm_clusters", StringComparison.Ordinal)).ToList();
                return keys.Count == 0 ? double.NaN : keys.Sum(k => h.Extra[k]);
            }).ToList(), RightAxis: true));
            right = "clusters";
        }
        if (history.Any(h => h.Extra.ContainsKey("sws.components")))
        {
            structure.Add(new("mixture components (merged)", history.Select(h => h.Extra.TryGetValue("sws.components", out var v) ? v : double.NaN).ToList(), RightAxis: true));
            if (history.Any(h => h.Extra.ContainsKey("sws.codebook_size")))
                structure.Add(new("distinct values if snapped", history.Select(h => h.Extra.TryGetValue("sws.codebook_size", out var v) ? v : double.NaN).ToList(), RightAxis: true, Dashed: true));
            right = "clusters";
        }
        if (structure.Count > 0)
        {
            if (left.Length == 0)
            {
                // Only counts: put them on the left axis.
                structure = structure.Select(s => s with { RightAxis = false }).ToList();
                left = right;
                right = "";
            }
            section.Figure(LineChart.Render("Sparsity and clusters per epoch", x, structure, "epoch", left, right.Length == 0 ? null : right),
                "Clusters per epoch: for GrOWL the number of distinct non-zero group norms (the prox's equal-norm blocks; affinity " +
                "propagation runs once, after training); for soft weight-sharing the mixture's components after merging and the distinct values snapping would give.");
        }
    }

    /// <summary>Accuracy against real bytes on disk (log x), one point per stage, with the Pareto frontier.</summary>
    public static void SizeVsAccuracy(ReportSection section, IReadOnlyList<ScatterPoint> points, string caption)
    {
        section.Figure(ScatterChart.Render(points, "Test accuracy vs file size", "bytes", "test accuracy (%)", logX: true, drawParetoFrontier: true), caption);
        section.Table(["stage", "bytes", "test accuracy"], points.Select(p => (IReadOnlyList<string>)
            [p.Label, p.X.ToString("N0", CultureInfo.InvariantCulture), double.IsFinite(p.Y) ? p.Y.ToString("F2", CultureInfo.InvariantCulture) + " %" : "–"]));
    }

    public static string Percent(double? fraction) => fraction is double f && double.IsFinite(f) ? (100 * f).ToString("F2", CultureInfo.InvariantCulture) + " %" : "–";

    public static string Bytes(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";

    public static string Ratio(double r) => double.IsFinite(r) ? r.ToString("F1", CultureInfo.InvariantCulture) + "×" : "–";
}

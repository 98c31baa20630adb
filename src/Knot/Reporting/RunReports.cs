namespace Knot.Reporting;

/// <summary>Builds the report of whatever run a path holds (see <see cref="RunDetector"/>).</summary>
public static class RunReports
{
    public static (RunKind Kind, HtmlReport Report) Build(string path)
    {
        var kind = RunDetector.Detect(path);
        var report = kind switch
        {
            RunKind.Train => TrainReport.Build(path),
            RunKind.Growl => GrowlReport.Build(path),
            RunKind.Compare => CompareReport.Build(path),
            _ => CompressedReport.Build(path, kind),
        };
        return (kind, report);
    }

    /// <summary>Builds the report and writes it atomically as one HTML file; returns the kind and the plot kinds it contains.</summary>
    public static (RunKind Kind, IReadOnlyList<string> Plots, long Bytes) Write(string runPath, string htmlPath)
    {
        var (kind, report) = Build(runPath);
        var bytes = System.Text.Encoding.UTF8.GetBytes(report.ToHtml());
        Storage.Common.AtomicFile.WriteAllBytes(htmlPath, bytes);
        return (kind, report.PlotKinds(), bytes.Length);
    }
}

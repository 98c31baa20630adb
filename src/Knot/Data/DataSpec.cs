namespace Knot.Data;

/// <summary>
/// A parsed <c>--data</c> argument: which dataset and where it lives. Forms: <c>mnist</c> (the data directory's
/// mnist/ subdirectory), <c>mnist:DIR</c>, <c>idx:DIR</c>, <c>cifar10</c> (data directory's cifar10/) and
/// <c>cifar10:DIR</c>. The data directory is $KNOT_DATA, or ~/.knot/data when that is unset.
/// </summary>
public sealed record DataSpec(DatasetKind Kind, string Directory)
{
    /// <summary>Environment variable that overrides the default data directory.</summary>
    public const string DataRootVariable = "KNOT_DATA";

    /// <summary>The accepted forms, for help text and error messages.</summary>
    public static IReadOnlyList<string> KnownForms { get; } = ["mnist", "mnist:DIR", "idx:DIR", "cifar10", "cifar10:DIR"];

    /// <summary>$KNOT_DATA, or ~/.knot/data.</summary>
    public static string DefaultDataRoot() =>
        ResolveDataRoot(Environment.GetEnvironmentVariable(DataRootVariable), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The data root from an environment value (may be null or empty) and a home directory.</summary>
    public static string ResolveDataRoot(string? knotDataVariable, string home) =>
        string.IsNullOrWhiteSpace(knotDataVariable) ? Path.Combine(home, ".knot", "data") : ExpandHome(knotDataVariable.Trim(), home);

    /// <summary>Parses a spec. <paramref name="dataRoot"/> (default: <see cref="DefaultDataRoot"/>) serves the bare names.</summary>
    public static DataSpec Parse(string text, string? dataRoot = null)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"Empty data spec; expected one of: {string.Join(", ", KnownForms)}.", nameof(text));
        text = text.Trim();
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? text : text[..colon]).ToLowerInvariant();
        string? directory = colon < 0 ? null : text[(colon + 1)..];
        if (directory is not null && directory.Length == 0)
            throw new ArgumentException($"Data spec '{text}' has an empty directory after '{name}:'.", nameof(text));

        var kind = name switch
        {
            "mnist" => DatasetKind.Mnist,
            "idx" => DatasetKind.Idx,
            "cifar10" or "cifar-10" => DatasetKind.Cifar10,
            _ => throw new ArgumentException(
                $"Unknown dataset '{name}' in data spec '{text}'; known forms: {string.Join(", ", KnownForms)}.", nameof(text)),
        };
        if (directory is null)
        {
            if (kind == DatasetKind.Idx)
                throw new ArgumentException($"Data spec '{text}' needs a directory: idx:DIR.", nameof(text));
            string root = dataRoot ?? DefaultDataRoot();
            directory = Path.Combine(root, kind == DatasetKind.Mnist ? "mnist" : "cifar10");
        }
        else
        {
            directory = ExpandHome(directory, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        }
        return new DataSpec(kind, Path.GetFullPath(directory));
    }

    /// <summary>Loads one split with the kind's default normalization (MNIST: mean/std; idx: [0, 1]; CIFAR-10: per channel).</summary>
    public LabeledDataset Load(DataSplit split) => Kind switch
    {
        DatasetKind.Mnist => MnistDataset.Load(Directory, split),
        DatasetKind.Idx => IdxDataset.Load(Directory, split),
        DatasetKind.Cifar10 => Cifar10Dataset.Load(Directory, split),
        _ => throw new InvalidOperationException($"Unhandled dataset kind {Kind}."),
    };

    /// <summary>
    /// Makes sure the dataset is in <see cref="Directory"/>: MNIST and CIFAR-10 are imported from
    /// <paramref name="importFrom"/> when given (offline), else downloaded. idx: datasets are never fetched.
    /// </summary>
    public Task<Acquisition.AcquisitionResult> EnsureAsync(string? importFrom = null, HttpClient? http = null,
        IProgress<Acquisition.AcquisitionProgress>? progress = null, CancellationToken cancellationToken = default) => Kind switch
    {
        DatasetKind.Mnist => Acquisition.DatasetAcquirer.EnsureAsync(Acquisition.DatasetManifest.Mnist, Directory, importFrom, http, progress, cancellationToken),
        DatasetKind.Cifar10 => Acquisition.Cifar10Acquirer.EnsureAsync(Directory, importFrom, http, progress, cancellationToken: cancellationToken),
        _ => throw new InvalidOperationException(
            $"'{this}' names files that are already somewhere: idx: datasets are read in place, not fetched; use mnist or cifar10 to fetch."),
    };

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Directory}";

    private static string ExpandHome(string path, string home) =>
        path == "~" ? home
        : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(home, path[2..])
        : path;
}

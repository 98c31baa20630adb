namespace Knot.Data.Acquisition;

/// <summary>What an acquisition step is doing.</summary>
public enum AcquisitionStage
{
    Downloading,
    Verifying,
    Importing,
    Done,
    /// <summary>A mirror failed; the next one will be tried. <see cref="AcquisitionProgress.Message"/> says why.</summary>
    MirrorFailed,
}

/// <summary>Progress of fetching or importing one file. <paramref name="TotalBytes"/> is null when unknown.</summary>
public readonly record struct AcquisitionProgress(string File, AcquisitionStage Stage, long Bytes, long? TotalBytes, string Source, string? Message = null);

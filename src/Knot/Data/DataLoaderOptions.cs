namespace Knot.Data;

/// <summary>How a <see cref="DataLoader"/> batches a dataset.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Visit samples in a fresh seeded permutation each epoch (false: in index order).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffle and the augmentation; the epoch's order is a function of (Seed, epoch).</summary>
    public ulong Seed { get; init; }

    /// <summary>Drop the last batch when it has fewer than <see cref="BatchSize"/> samples.</summary>
    public bool DropLast { get; init; }

    /// <summary>Give batches as (B, C·H·W) instead of (B, C, H, W).</summary>
    public bool Flatten { get; init; }

    /// <summary>Random crop and flip applied to each sample as it is copied in (null: none).</summary>
    public CropFlipAugmentation? Augmentation { get; init; }
}

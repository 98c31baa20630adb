namespace Knot.Data;

/// <summary>The dataset formats a <see cref="DataSpec"/> can name.</summary>
public enum DatasetKind
{
    /// <summary>MNIST in IDX layout, standardized with MNIST's mean and std.</summary>
    Mnist,

    /// <summary>Any dataset in MNIST's IDX layout (Fashion-MNIST, KMNIST…), pixels in [0, 1].</summary>
    Idx,

    /// <summary>CIFAR-10 binary batches, normalized per channel.</summary>
    Cifar10,
}

namespace Knot.Data;

/// <summary>Which part of a dataset: the training set or the held-out test set.</summary>
public enum DataSplit
{
    Train,
    Test,
}

#!/usr/bin/env python3
"""Aggregates `knot growl --out DIR` runs into the GrOWL paper's MNIST table (mean ± std over seeds).

Usage: bench/growl_table.py RUNS_DIR
RUNS_DIR holds one directory per run named METHOD-sSEED (as recipes/growl-mnist.yaml writes them), each with the
summary.json and structure.json that `knot growl` writes. Prints a Markdown table: final test accuracy, FC1 sparsity,
parameter sharing, compression (all as the paper defines them, METHODS.md §1.5) and the support stability across
seeds: the mean, over pairs of seeds, of the share of FC1 input groups that are zero in one run and alive in the other.
Only the Python standard library is used.
"""
import itertools
import json
import math
import os
import re
import sys

ORDER = ["baseline", "baseline-retrain", "weight-decay", "group-lasso", "group-lasso-l2", "growl", "growl-l2"]


def mean_std(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return None, None
    m = sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, s


def fmt(m, s, scale=1.0, digits=1, suffix=""):
    if m is None:
        return "–"
    return f"{m * scale:.{digits}f} ± {s * scale:.{digits}f}{suffix}"


def zero_support(run_dir, layer):
    with open(os.path.join(run_dir, "structure.json"), encoding="utf-8") as f:
        layers = json.load(f)
    for entry in layers:
        if entry["Name"] == layer:
            return [label < 0 for label in entry["Labels"]]
    raise SystemExit(f"{run_dir}/structure.json has no layer {layer}")


def stability(supports):
    if len(supports) < 2:
        return None
    changes = [sum(a != b for a, b in zip(x, y)) / len(x) for x, y in itertools.combinations(supports, 2)]
    return sum(changes) / len(changes)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    root = sys.argv[1]
    runs = {}
    for name in sorted(os.listdir(root)):
        match = re.fullmatch(r"(.+)-s(\d+)", name)
        path = os.path.join(root, name)
        if match and os.path.isfile(os.path.join(path, "summary.json")):
            runs.setdefault(match.group(1), []).append(path)
    if not runs:
        raise SystemExit(f"{root}: no METHOD-sSEED directories with a summary.json")
    print("| method | seeds | final test accuracy | FC1 sparsity | sharing | FC1 compression | support change between seeds |")
    print("|---|---|---|---|---|---|---|")
    for method in sorted(runs, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m)):
        summaries = []
        for path in runs[method]:
            with open(os.path.join(path, "summary.json"), encoding="utf-8") as f:
                summaries.append(json.load(f))
        fc1 = [next(l for l in s["layers"] if l["name"] == "fc1.weight") for s in summaries]
        acc = mean_std([s["test_accuracy"] for s in summaries])
        sparsity = mean_std([l["sparsity"] for l in fc1])
        sharing = mean_std([l["sharing"] for l in fc1])
        compression = mean_std([l["compression"] for l in fc1])
        change = stability([zero_support(p, "fc1.weight") for p in runs[method]])
        print(f"| {method} | {len(summaries)} | {fmt(*acc, 100, 2, '%')} | {fmt(*sparsity, 100, 1, '%')} | "
              f"{fmt(*sharing, 1, 2)} | {fmt(*compression, 1, 1, '×')} | "
              f"{'–' if change is None else f'{change * 100:.1f}%'} |")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Reads the JSON lines of Knot.Bench train|infer and torch_train.py and prints the Knot/PyTorch table.

Per configuration (framework, mode, model, threads, blas threads) the figure is the median over runs of each run's
median round; each framework then gets its best configuration, and the ratio is Knot/PyTorch (> 1: Knot faster).
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    runs = defaultdict(list)
    loads = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            cfg = f"t{r['threads']}" + (f"/blas{r['blas_threads']}" if "blas_threads" in r else "")
            if r.get("clock", "wall") == "cpu":
                cfg += "/cpu"
            runs[(r["framework"], r["mode"], r["model"], cfg)].append(r["median"])
            loads.append(float(r["loadavg"].split()[0]))
    if not runs:
        sys.exit(f"compare_table.py: no results in {path}")

    best = {}
    print(f"{'mode':6} {'model':14} {'framework':9} {'config':12} {'samples/s (median of runs)':>27}  runs")
    for key in sorted(runs):
        fw, mode, model, cfg = key
        med = statistics.median(runs[key])
        print(f"{mode:6} {model:14} {fw:9} {cfg:12} {med:27.0f}  {', '.join(f'{v:.0f}' for v in runs[key])}")
        if med > best.get((fw, mode, model), ("", 0))[1]:
            best[(fw, mode, model)] = (cfg, med)
    print()
    print(f"{'mode':6} {'model':14} {'Knot best (config)':>24} {'PyTorch best (config)':>28} {'Knot/PyTorch':>13}")
    for mode in ("train", "infer"):
        for model in ("lenet-300-100", "lenet-5-caffe"):
            k, t = best.get(("knot", mode, model)), best.get(("torch", mode, model))
            if not k or not t:
                continue
            print(f"{mode:6} {model:14} {k[1]:10.0f} ({k[0]:>11}) {t[1]:10.0f} ({t[0]:>15}) {k[1] / t[1]:13.2f}")
    print(f"(samples/s; loadavg (1 min) during the runs: min {min(loads):.1f}, median {statistics.median(loads):.1f}, max {max(loads):.1f})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: compare_table.py RESULTS.jsonl")
    main(sys.argv[1])

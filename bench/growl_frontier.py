#!/usr/bin/env python3
"""FC1 compression vs final test accuracy of GrOWL-style runs: a Markdown table and an SVG plot with the Pareto
frontier of every series (the compression/accuracy trade-off of issue #4).

Usage: bench/growl_frontier.py [--svg OUT.svg] [--layer fc1.weight] [LABEL=]DIR...
Each DIR holds run directories named NAME-sSEED (`knot growl --out`, or `knot tie` + `knot retrain` writing into one
directory): a structure.json and either a summary.json (`knot growl`) or a retrain.json (`knot retrain --json`).
Runs with the same DIR and NAME form one point: mean ± std over their seeds. Compression is the paper's (METHODS.md
§1.5): groups of the layer / clusters, read from structure.json.
A NAME containing "growl" is in the GrOWL family, one containing "lasso" in the group-Lasso family, any other (e.g.
baseline-retrain) is a reference point drawn in grey. LABEL (default: the directory's name) names the protocol that
produced a directory's runs; directories with the same label form one series per family, e.g.
`"fixed preference=runs/p06" "cluster cap=runs/c32" "cluster cap=runs/c24"`. A point is on its series' frontier when
no other point of the series has at least its compression and at least its accuracy, and more of one.
Only the Python standard library is used.
"""
import argparse
import json
import math
import os
import re

COLORS = {"GrOWL": "#c0392b", "group Lasso": "#2c6fbb", "reference": "#888888"}
DASHES = ["", "6,4", "2,3", "10,3,2,3"]


def mean_std(values):
    m = sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, s


def family(name):
    if "growl" in name:
        return "GrOWL"
    if "lasso" in name:
        return "group Lasso"
    return "reference"


def read_run(path, layer):
    """One run's accuracy and the layer's structure metrics; None while the run is still writing its result."""
    with open(os.path.join(path, "structure.json"), encoding="utf-8") as f:
        entry = next((e for e in json.load(f) if e["Name"] == layer), None)
    if entry is None:
        raise SystemExit(f"{path}/structure.json has no layer {layer}")
    labels = entry["Labels"]
    clusters = len({label for label in labels if label >= 0})
    for name in ("summary.json", "retrain.json"):
        result = os.path.join(path, name)
        if not os.path.isfile(result):
            continue
        with open(result, encoding="utf-8") as f:
            text = f.read()
        if not text.strip():
            return None
        try:
            accuracy = json.loads(text)["test_accuracy"]
        except (ValueError, KeyError) as error:
            raise SystemExit(f"{result}: not a knot result with test_accuracy ({error})")
        return {"accuracy": accuracy, "compression": len(labels) / clusters if clusters else math.inf,
                "sparsity": sum(label < 0 for label in labels) / len(labels), "clusters": clusters}
    return None


def collect(sources, layer):
    points = {}
    for label, root in sources:
        if not os.path.isdir(root):
            raise SystemExit(f"{root}: not a directory")
        for name in sorted(os.listdir(root)):
            match = re.fullmatch(r"(.+)-s(\d+)", name)
            path = os.path.join(root, name)
            if not match or not os.path.isfile(os.path.join(path, "structure.json")):
                continue
            run = read_run(path, layer)
            if run is not None:
                points.setdefault((label, os.path.basename(os.path.normpath(root)), match.group(1)), []).append(run)
    result = []
    for (label, root, name), runs in points.items():
        point = {"label": label, "dir": root, "name": name, "seeds": len(runs), "family": family(name)}
        for key in ("accuracy", "compression", "sparsity", "clusters"):
            point[key], point[key + "_std"] = mean_std([r[key] for r in runs])
        result.append(point)
    return sorted(result, key=lambda p: (p["family"], p["label"], p["compression"]))


def series(point):
    return point["family"], point["label"]


def mark_frontier(points):
    for p in points:
        p["frontier"] = p["family"] != "reference" and not any(
            q is not p and series(q) == series(p)
            and q["compression"] >= p["compression"] and q["accuracy"] >= p["accuracy"]
            and (q["compression"] > p["compression"] or q["accuracy"] > p["accuracy"])
            for q in points)


def print_table(points, layer):
    print(f"| family | protocol | run | seeds | {layer} sparsity | clusters | {layer} compression | final test accuracy | frontier |")
    print("|---|---|---|---|---|---|---|---|:-:|")
    for p in points:
        print(f"| {p['family']} | {p['label']} | {p['dir']}/{p['name']} | {p['seeds']} | {p['sparsity'] * 100:.1f}% | "
              f"{p['clusters']:.0f} | {p['compression']:.1f} ± {p['compression_std']:.1f}× | "
              f"{p['accuracy'] * 100:.2f} ± {p['accuracy_std'] * 100:.2f}% | {'✓' if p['frontier'] else ''} |")


def write_svg(points, path, layer):
    points = [p for p in points if math.isfinite(p["compression"])]
    width, height, left, right, top, bottom = 760, 460, 70, 20, 20, 50
    labels = list(dict.fromkeys(p["label"] for p in points if p["family"] != "reference"))
    xs = [math.log(p["compression"]) for p in points]
    lows = [(p["accuracy"] - p["accuracy_std"]) * 100 for p in points]  # error bars stay inside the frame
    highs = [(p["accuracy"] + p["accuracy_std"]) * 100 for p in points]
    x0, x1 = min(xs) - 0.1, max(xs) + 0.1
    y0, y1 = min(lows) - 0.3, max(highs) + 0.2

    def sx(value):
        return left + (math.log(value) - x0) / (x1 - x0) * (width - left - right)

    def sy(value):
        return top + (y1 - value) / (y1 - y0) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>']
    for tick in (1, 2, 4, 8, 16, 32, 64, 128):
        if x0 <= math.log(tick) <= x1:
            out.append(f'<line x1="{sx(tick):.1f}" y1="{top}" x2="{sx(tick):.1f}" y2="{height - bottom}" stroke="#ddd"/>'
                       f'<text x="{sx(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">{tick}×</text>')
    step = 1.0 if y1 - y0 > 5 else 0.5 if y1 - y0 > 2 else 0.2
    tick = math.ceil(y0 / step) * step
    while tick <= y1:
        out.append(f'<line x1="{left}" y1="{sy(tick):.1f}" x2="{width - right}" y2="{sy(tick):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick:.1f}%</text>')
        tick += step
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">'
               f'{layer} compression (groups / clusters, log scale)</text>')
    out.append(f'<text transform="translate(16 {(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">'
               f'final test accuracy (mean ± std over seeds)</text>')
    for p in points:
        color = COLORS[p["family"]]
        x, y = sx(p["compression"]), sy(p["accuracy"] * 100)
        dy = p["accuracy_std"] * 100 / (y1 - y0) * (height - top - bottom)
        if dy > 0:
            out.append(f'<line x1="{x:.1f}" y1="{y - dy:.1f}" x2="{x:.1f}" y2="{y + dy:.1f}" stroke="{color}"/>')
        opacity = "1" if p["frontier"] or p["family"] == "reference" else "0.35"
        title = (f'<title>{p["label"]}: {p["dir"]}/{p["name"]}: {p["compression"]:.1f}×, '
                 f'{p["accuracy"] * 100:.2f}% ({p["seeds"]} seeds)</title>')
        if p["family"] != "reference" and labels.index(p["label"]) % 2 == 1:
            out.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}" '
                       f'fill-opacity="{opacity}">{title}</rect>')
        else:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}" fill-opacity="{opacity}">{title}</circle>')
    legend = []
    for i, label in enumerate(labels):
        for name in ("GrOWL", "group Lasso"):
            frontier = sorted((p for p in points if series(p) == (name, label) and p["frontier"]),
                              key=lambda p: p["compression"])
            if not frontier:
                continue
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            if len(frontier) > 1:
                line = " ".join(f'{sx(p["compression"]):.1f},{sy(p["accuracy"] * 100):.1f}' for p in frontier)
                out.append(f'<polyline points="{line}" fill="none" stroke="{COLORS[name]}" stroke-width="1.5"'
                           f'{dash_attr}/>')
            legend.append((f"{name}, {label}", COLORS[name], dash_attr))
    if any(p["family"] == "reference" for p in points):
        legend.append(("reference (no regularizer)", COLORS["reference"], None))
    for i, (text, color, dash_attr) in enumerate(legend):
        y = height - bottom - 14 - 18 * (len(legend) - 1 - i)  # bottom left: high compression is bottom right
        x = left + 14
        if dash_attr is None:
            out.append(f'<circle cx="{x + 12}" cy="{y}" r="4" fill="{color}"/>')
        else:
            out.append(f'<line x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}" stroke="{color}" stroke-width="1.5"{dash_attr}/>')
        out.append(f'<text x="{x + 32}" y="{y + 4}">{text}</text>')
    out.append("</svg>")
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(temp, path)  # atomic: an interrupted run never leaves half a plot


def parse_source(text):
    label, sep, root = text.partition("=")
    if not sep:
        return os.path.basename(os.path.normpath(text)), text
    if not label or not root:
        raise SystemExit(f"'{text}': expected DIR or LABEL=DIR")
    return label, root


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", metavar="[LABEL=]DIR")
    parser.add_argument("--svg", help="write the plot here (SVG)")
    parser.add_argument("--layer", default="fc1.weight", help="the structured layer to measure (default fc1.weight)")
    args = parser.parse_args()
    points = collect([parse_source(s) for s in args.sources], args.layer)
    if not points:
        raise SystemExit(f"no NAME-sSEED runs with a structure.json and a summary/retrain.json in {args.sources}")
    mark_frontier(points)
    print_table(points, args.layer)
    if args.svg:
        write_svg(points, args.svg, args.layer)


if __name__ == "__main__":
    main()

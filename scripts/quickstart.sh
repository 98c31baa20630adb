#!/usr/bin/env bash
# The main job end to end on a fresh machine: fetch MNIST, build Knot, train a baseline, then compress it.
# Results land in runs/quickstart/. Takes about 3 minutes on 2 cores (GrOWL: 24.5x FC1 compression at 98.3%).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/runs/quickstart"; mkdir -p "$out"
scripts/get-mnist.sh
echo "== baseline: lenet-300-100, 10 epochs"
./knot train --model lenet-300-100 --data mnist --epochs 10 --lr 0.05 --lr-schedule cosine --seed 1 --out "$out/lenet-300-100.ckpt"
./knot inspect "$out/lenet-300-100.ckpt"
echo "== GrOWL + l2 on growl-mnist: proximal training, zero/tied groups (at most 32 FC1 clusters = 24.5x), retraining"
# The recipe's GrOWL + l2 row (recipes/growl-mnist.yaml): 98.33% final accuracy over 5 seeds (BENCHMARKS.md).
./knot growl --model growl-mnist --data mnist --reg growl --lambda1 30 --lambda2 0.06 --rho 0.5 --l2 0.001 \
  --epochs 30 --clusters 32 --retrain-epochs 40 --retrain-optimizer adamw --retrain-lr 0.002 \
  --retrain-lr-schedule cosine --retrain-shift 1 --seed 1 --out "$out/growl"
./knot pack "$out/growl/retrained.ckpt" --out "$out/growl.knot"
./knot inspect "$out/growl.knot"
echo "== Deep Compression of the baseline: prune, retrain, k-means, fine-tune, Huffman, pack"
./knot dc --from "$out/lenet-300-100.ckpt" --data mnist --retrain-epochs 4 --seed 1 --out "$out/lenet-300-100-dc.knot"
echo "Results in $out (GrOWL summary: $out/growl/summary.json)"

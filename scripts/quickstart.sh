#!/usr/bin/env bash
# The main job end to end on a fresh machine: fetch MNIST, build Knot, train a baseline, then compress it.
# Results land in runs/quickstart/. Takes a few minutes on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/runs/quickstart"; mkdir -p "$out"
scripts/get-mnist.sh
echo "== baseline: lenet-300-100, 10 epochs"
./knot train --model lenet-300-100 --data mnist --epochs 10 --lr 0.05 --lr-schedule cosine --seed 1 --out "$out/lenet-300-100.ckpt"
./knot inspect "$out/lenet-300-100.ckpt"
echo "== GrOWL on growl-mnist: proximal training, zero/tied groups, retraining with the structure enforced"
./knot growl --model growl-mnist --data mnist --epochs 20 --retrain-epochs 5 --seed 1 --out "$out/growl"
./knot pack "$out/growl/retrained.ckpt" --out "$out/growl.knot"
./knot inspect "$out/growl.knot"
echo "== Deep Compression of the baseline: prune, retrain, k-means, fine-tune, Huffman, pack"
./knot dc --from "$out/lenet-300-100.ckpt" --data mnist --retrain-epochs 4 --seed 1 --out "$out/lenet-300-100-dc.knot"
echo "Results in $out (GrOWL summary: $out/growl/summary.json)"

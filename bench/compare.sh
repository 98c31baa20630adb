#!/usr/bin/env bash
# Knot vs PyTorch (CPU) on the same machine: training and inference samples/s for LeNet-300-100 and LeNet-5-Caffe on
# MNIST, and the ratio Knot/PyTorch (> 1: Knot is faster). Then the GEMM ratios from bench/gemm.sh if it exists.
#   bench/compare.sh [repeats] [wall|cpu]   (repeats default 3; KNOT_DATA must hold mnist/, default ~/.knot/data)
# Each repeat runs every configuration once (Knot and PyTorch interleaved, so load spikes hit both); a
# configuration's figure is the median over repeats of each run's median round. Each framework gets its best
# configuration: Knot at 1 and 2 threads; PyTorch at (torch threads, OPENBLAS_NUM_THREADS) = (1,1), (2,1), (2,2).
# clock cpu divides by process CPU time instead of wall time and runs 1 thread only (Knot 1 thread, PyTorch 1 torch
# + 1 OpenBLAS thread): per-core speed survives an overloaded machine, multi-thread scaling does not.
# Needs Debian's /usr/bin/python3 with python3-torch and python3-numpy (not a pyenv python on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
clock=${2:-wall}
[[ $repeats =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: repeats must be a positive integer, got '$repeats'" >&2; exit 2; }
case $clock in
  wall) knot_threads=1,2; torch_configs="1:1 2:1 2:2" ;;
  cpu) knot_threads=1; torch_configs="1:1" ;;
  *) echo "compare.sh: clock must be wall or cpu, got '$clock'" >&2; exit 2 ;;
esac
py=/usr/bin/python3
export KNOT_DATA=${KNOT_DATA:-$HOME/.knot/data}

if [[ ! -x $py ]] || ! "$py" -c 'import torch, numpy' 2>/dev/null; then
  echo "compare.sh: $py cannot import torch and numpy; install Debian's python3-torch python3-numpy (apt-get install python3-torch)" >&2
  exit 1
fi
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [[ -f $KNOT_DATA/mnist/$f ]] || { echo "compare.sh: $KNOT_DATA/mnist/$f is missing (set KNOT_DATA to the folder holding mnist/)" >&2; exit 1; }
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build bench/Knot.Bench -c Release -v q -nologo >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
knot=bench/Knot.Bench/bin/Release/net10.0/Knot.Bench

echo "# start $(date -u +%FT%TZ), clock $clock, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for ((r = 1; r <= repeats; r++)); do
  for mode in train infer; do
    "$knot" "$mode" --threads "$knot_threads" --clock "$clock" --rounds 3 | tee -a "$out/results.jsonl" >&2
    for cfg in $torch_configs; do
      OPENBLAS_NUM_THREADS=${cfg#*:} OMP_NUM_THREADS=${cfg%%:*} \
        "$py" bench/torch_train.py "$mode" --threads "${cfg%%:*}" --clock "$clock" --rounds 3 | tee -a "$out/results.jsonl" >&2
    done
  done
done
echo "# end $(date -u +%FT%TZ), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" bench/compare_table.py "$out/results.jsonl"

if [[ -x bench/gemm.sh ]]; then
  echo
  echo "# GEMM (bench/gemm.sh 3 $clock)"
  bench/gemm.sh 3 "$clock"
fi

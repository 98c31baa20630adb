#!/usr/bin/env bash
# Knot GEMM vs PyTorch/OpenBLAS on the same shapes, 1 and 2 threads, and the ratio Knot/OpenBLAS.
#   bench/gemm.sh [rounds] [wall|cpu]
#     rounds (default 1): with more, Knot and OpenBLAS sweeps alternate and each keeps its best value per shape,
#       which evens out a noisy, shared machine.
#     clock (default wall): cpu divides by process CPU time instead, and then runs 1 thread only: per-core speed
#       survives an overloaded machine, multi-thread scaling does not.
# Needs Debian's /usr/bin/python3 with python3-torch, python3-numpy and libopenblas0-pthread.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
clock=${2:-wall}
threads=1,2
[[ $clock == cpu ]] && threads=1
py=/usr/bin/python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

dotnet build bench/Knot.Bench -c Release -v q -nologo >/dev/null
knot=bench/Knot.Bench/bin/Release/net10.0/Knot.Bench

for ((r = 1; r <= rounds; r++)); do
  "$knot" gemm --threads "$threads" --clock "$clock" >>"$out/knot.txt"
  # OpenBLAS (pthread build) takes its thread count from the environment; torch's own pool too.
  for t in ${threads//,/ }; do
    OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$py" bench/gemm_torch.py --threads "$t" --clock "$clock" >>"$out/torch.txt"
  done
done

grep -m1 '^# knot' "$out/knot.txt"
grep -m1 '^# torch' "$out/torch.txt"
echo "uptime: $(uptime)"
awk '
  /^#/ || /^name/ { next }
  { key = $1 " " $7; shape[key] = $2 "x" $3 "x" $4 " tA=" $5 " tB=" $6 }
  FILENAME ~ /knot/  { if ($8 > km[key]) km[key] = $8; if ($9 > kb[key]) kb[key] = $9; if (!(key in seen)) { order[n++] = key; seen[key] = 1 } }
  FILENAME ~ /torch/ { if ($8 > tm[key]) tm[key] = $8; if ($9 > tb[key]) tb[key] = $9 }
  END {
    printf "%-9s %-22s %3s | %11s %11s | %11s %11s | %6s %6s\n", "shape", "m x n x k", "thr", "knot med", "knot best", "oblas med", "oblas best", "ratio", "r.best"
    for (i = 0; i < n; i++) {
      key = order[i]; split(key, part, " ")
      printf "%-9s %-22s %3s | %11.1f %11.1f | %11.1f %11.1f | %6.2f %6.2f\n", part[1], shape[key], part[2], km[key], kb[key], tm[key], tb[key], (tm[key] > 0 ? km[key] / tm[key] : 0), (tb[key] > 0 ? kb[key] / tb[key] : 0)
    }
  }' "$out/knot.txt" "$out/torch.txt"
echo "(GFLOP/s; 'med' is the median of 7 timed samples, best-of-rounds when rounds > 1; ratio = Knot/OpenBLAS)"

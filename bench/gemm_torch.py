#!/usr/bin/python3
"""GFLOP/s of torch.mm (BLAS: OpenBLAS on Debian) on the shapes of `Knot.Bench gemm`.

Run with Debian's interpreter (/usr/bin/python3, which has python3-torch). Prints the same columns as the C#
bench: name m n k transA transB threads median_gflops best_gflops. Thread counts: --threads 1,2.
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS are set per run by bench/gemm.sh; torch.set_num_threads here too.
"""
import argparse
import time

import numpy as np
import torch

# Keep in sync with bench/Knot.Bench/GemmBench.cs.
SHAPES = [
    ("sq256", 256, 256, 256, False, False),
    ("sq512", 512, 512, 512, False, False),
    ("sq1024", 1024, 1024, 1024, False, False),
    ("fc1_fwd", 128, 300, 784, False, True),
    ("fc2_fwd", 128, 100, 300, False, True),
    ("fc3_fwd", 128, 10, 100, False, True),
    ("fc1_dW", 300, 784, 128, True, False),
    ("fc2_dW", 100, 300, 128, True, False),
    ("fc3_dW", 10, 100, 128, True, False),
    ("fc1_dX", 128, 784, 300, False, False),
    ("fc2_dX", 128, 300, 100, False, False),
    ("fc3_dX", 128, 100, 10, False, False),
]


def bench(name, m, n, k, trans_a, trans_b, threads, reps, clock):
    torch.set_num_threads(threads)
    rng = np.random.default_rng(1)
    # Stored layouts as in Knot: A is (k, m) when transposed, B is (n, k) when transposed; .t() is a view,
    # so BLAS sees the same transpose flags Knot does.
    a_store = torch.from_numpy(rng.uniform(-1, 1, (k, m) if trans_a else (m, k)).astype(np.float32))
    b_store = torch.from_numpy(rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(np.float32))
    a = a_store.t() if trans_a else a_store
    b = b_store.t() if trans_b else b_store
    out = torch.empty((m, n), dtype=torch.float32)
    flops = 2.0 * m * n * k
    inner = 0
    start = clock()
    while clock() - start < 0.02 or inner < 3:
        torch.mm(a, b, out=out)
        inner += 1
    samples = []
    for _ in range(reps):
        t0 = clock()
        for _ in range(inner):
            torch.mm(a, b, out=out)
        samples.append(flops * inner / (clock() - t0) / 1e9)
    samples.sort()
    print(f"{name} {m} {n} {k} {int(trans_a)} {int(trans_b)} {threads} {samples[reps // 2]:.1f} {samples[-1]:.1f}",
          flush=True)


def blas_library():
    """The BLAS shared object actually mapped into this process (torch links the generic libblas.so.3)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line}
    return ", ".join(sorted(libs)) or "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--shape")
    # cpu: divide by process CPU time (see GemmBench.cs: per-core speed on a busy machine, 1 thread only).
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args()
    print(f"# torch {torch.__version__} blas: {blas_library()} clock={args.clock}")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print("name m n k transA transB threads median_gflops best_gflops")
    for threads in (int(t) for t in args.threads.split(",")):
        for shape in SHAPES:
            if args.shape is None or args.shape == shape[0]:
                bench(*shape, threads, args.reps, clock)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch side of bench/compare.sh: training and inference samples/s of LeNet-300-100 and LeNet-5-Caffe on MNIST.

Same protocol as `Knot.Bench train|infer`: batch 128, SGD lr 0.01 momentum 0.9, shuffled batches gathered from an
in-memory normalized array (the copy is inside the timed region); after warm-up each round times a fixed number of
steps. Inference: eval mode, no grad, batch 1000 over the 10k test images (forward + arg-max), one pass per round.
Prints one JSON line per (mode, model, threads) with the same fields as Knot.Bench.

Threads: torch.set_num_threads(--threads). OpenBLAS (Debian's pthread build, used by torch for GEMM) reads
OPENBLAS_NUM_THREADS at load time only, so the caller sets it in the environment; it is echoed as "blas_threads".
Needs Debian's /usr/bin/python3 with python3-torch and python3-numpy; data from $KNOT_DATA/mnist (IDX files).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # compare.sh checks too, but say it clearly when run by hand
    sys.exit(f"torch_train.py: cannot import torch ({e}); install Debian's python3-torch and run with /usr/bin/python3")


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    expected = int(np.prod(dims))
    if body.size != expected:
        raise ValueError(f"{path}: expected {expected} bytes of data for shape {dims}, found {body.size}")
    return body.reshape(dims)


def load_mnist(split):
    root = os.path.join(os.environ.get("KNOT_DATA", os.path.expanduser("~/.knot/data")), "mnist")
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte")).astype(np.float32)
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    images = (images / 255.0 - 0.1307) / 0.3081
    return torch.from_numpy(images.reshape(-1, 1, 28, 28).copy()), torch.from_numpy(labels.copy())


def lenet_300_100():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))


def lenet_5_caffe():
    # As Caffe's original: no ReLU after the convolutions.
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


MODELS = {"lenet-300-100": lenet_300_100, "lenet-5-caffe": lenet_5_caffe}


def time_training(name, images, labels, rounds, steps, warmup, clock):
    torch.manual_seed(1)
    model = MODELS[name]()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(1)
    batch, n = 128, images.shape[0]
    state = {"perm": torch.randperm(n, generator=gen), "pos": 0}

    def next_batch():
        if state["pos"] + 1 > n:
            state["perm"], state["pos"] = torch.randperm(n, generator=gen), 0
        idx = state["perm"][state["pos"]: state["pos"] + batch]
        state["pos"] += batch
        return images.index_select(0, idx), labels.index_select(0, idx)

    def step():
        x, y = next_batch()
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.item()
        (logits.argmax(1) == y).sum().item()
        loss.backward()
        opt.step()
        return x.shape[0]

    for _ in range(warmup):
        step()
    rates = []
    for _ in range(rounds):
        seen = 0
        start = clock()
        for _ in range(steps):
            seen += step()
        rates.append(seen / (clock() - start))
    return rates


def time_inference(name, images, labels, rounds, warmup, clock):
    torch.manual_seed(1)
    model = MODELS[name]()
    model.eval()

    def one_pass():
        correct = 0
        with torch.no_grad():
            for s in range(0, images.shape[0], 1000):
                x = images[s: s + 1000].clone()  # as Knot's loader, copy the batch out of the dataset array
                correct += int((model(x).argmax(1) == labels[s: s + 1000]).sum())
        return correct

    for _ in range(max(1, warmup // 10)):
        one_pass()
    rates = []
    for _ in range(rounds):
        start = clock()
        one_pass()
        rates.append(images.shape[0] / (clock() - start))
    return rates


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["train", "infer"])
    p.add_argument("--models", default="lenet-300-100,lenet-5-caffe")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=0, help="steps per training round (0: 150 for lenet-300-100, 40 for lenet-5-caffe)")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: divide by process CPU time (per-core speed on a loaded machine; use with 1 thread)")
    a = p.parse_args()
    for m in a.models.split(","):
        if m not in MODELS:
            p.error(f"unknown model '{m}'; known: {', '.join(MODELS)}")
    if a.threads < 1 or a.rounds < 1 or a.warmup < 1 or a.steps < 0:
        p.error("--threads, --rounds and --warmup must be >= 1, --steps >= 0")
    torch.set_num_threads(a.threads)
    clock = time.process_time if a.clock == "cpu" else time.perf_counter
    images, labels = load_mnist("train" if a.mode == "train" else "test")
    for m in a.models.split(","):
        if a.mode == "train":
            steps = a.steps or (150 if m == "lenet-300-100" else 40)
            rates = time_training(m, images, labels, a.rounds, steps, a.warmup, clock)
            batch = 128
        else:
            rates = time_inference(m, images, labels, a.rounds, a.warmup, clock)
            batch = 1000
        s = sorted(rates)
        median = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
        print(json.dumps({"framework": "torch", "mode": a.mode, "model": m, "threads": a.threads,
                          "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "batch": batch, "clock": a.clock,
                          "median": round(median, 1), "best": round(s[-1], 1), "rounds": [round(r, 1) for r in rates],
                          "loadavg": loadavg(), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()

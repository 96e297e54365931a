"""Benchmark: a 3-layer MLP, forward + backward, minigen against PyTorch on the CPU.

    python bench/bench_mlp.py [--repeats 50] [--threads 1]

Both run in this process with the same number of threads (NumPy's BLAS through
the environment variables set before NumPy loads, PyTorch's through
torch.set_num_threads). The model is
784 -> 256 -> 256 -> 10 with ReLU and a mean loss, built from
minigen.functional (matmul, add, relu) with plain tensors as weights. At batch 1
the arrays are tiny, so the time is mostly per-op bookkeeping (graph building,
Python calls); at batch 128 it is mostly matrix products. The median of
``--repeats`` timed steps is reported, after a few warm-up steps.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

SIZES = (784, 256, 256, 10)


def _init(rng: Any) -> list[tuple[Any, Any]]:
    """PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases."""
    layers = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = fan_in**-0.5
        w = rng.uniform(-bound, bound, (fan_in, fan_out)).astype("float32")
        b = rng.uniform(-bound, bound, fan_out).astype("float32")
        layers.append((w, b))
    return layers


def minigen_step(params: list, x) -> float:
    """One forward + backward pass; returns the loss as a float."""
    from minigen import functional as F

    h = x
    for i, (w, b) in enumerate(params):
        h = F.add(F.matmul(h, w), b)
        if i < len(params) - 1:
            h = F.relu(h)
    loss = F.mean(h)
    loss.backward()
    for w, b in params:
        w.grad = b.grad = None
    return loss.item()


def torch_step(params: list, x) -> float:
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = h.relu()
    loss = h.mean()
    loss.backward()
    for w, b in params:
        w.grad = b.grad = None
    return loss.item()


def median_ms(step, params, x, repeats: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        step(params, x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(params, x)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="threads for both NumPy's BLAS and PyTorch")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 128])
    args = parser.parse_args()

    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)  # read by NumPy's BLAS when it loads, just below
    import numpy as np
    import torch

    import minigen as mg

    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    weights = _init(rng)
    ours = [(mg.tensor(w, requires_grad=True), mg.tensor(b, requires_grad=True)) for w, b in weights]
    theirs = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in weights]

    print(f"MLP {' -> '.join(map(str, SIZES))}, ReLU, float32, forward + backward, median of {args.repeats}")
    print(f"threads: {args.threads} (torch {torch.__version__}: {torch.get_num_threads()}; NumPy {np.__version__})")
    print(f"{'batch':>6} {'minigen ms':>11} {'torch ms':>9} {'minigen/torch':>14}")
    for batch in args.batches:
        x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
        loss_ours = minigen_step(ours, mg.tensor(x))
        loss_theirs = torch_step(theirs, torch.tensor(x))
        assert abs(loss_ours - loss_theirs) < 1e-4, (loss_ours, loss_theirs)  # the same computation
        ms_ours = median_ms(minigen_step, ours, mg.tensor(x), args.repeats)
        ms_theirs = median_ms(torch_step, theirs, torch.tensor(x), args.repeats)
        print(f"{batch:>6} {ms_ours:>11.3f} {ms_theirs:>9.3f} {ms_ours / ms_theirs:>14.2f}")


if __name__ == "__main__":
    main()

"""Forward + backward time of minigen's layers against PyTorch's, on the CPU, on the DCGAN's layer shapes.

Run:  python bench/bench_layers.py [--repeats 30] [--threads 2]

Both libraries use the same number of threads (NumPy's BLAS and PyTorch are
given --threads). Each row times ``y = layer(x); y.backward(g)`` in float32,
batch 64, and prints the median over the repeats and the ratio minigen / torch
(below 1 means minigen is faster). The input needs a gradient except where it is
data (images for the first conv, noise for the first transposed conv, flattened
images for the first Linear), as in training.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def set_threads(threads: int) -> None:
    """Cap every BLAS/OpenMP pool before NumPy and PyTorch are imported (they read these at import)."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)


# (label, kind, in, out, kernel, stride, padding, input size, input needs grad)
CASES = [
    ("Conv2d 1->64, 32->16", "conv", 1, 64, 4, 2, 1, 32, False),
    ("Conv2d 64->128, 16->8", "conv", 64, 128, 4, 2, 1, 16, True),
    ("Conv2d 128->256, 8->4", "conv", 128, 256, 4, 2, 1, 8, True),
    ("ConvT 100->256, 1->4", "convT", 100, 256, 4, 1, 0, 1, False),
    ("ConvT 256->128, 4->8", "convT", 256, 128, 4, 2, 1, 4, True),
    ("ConvT 128->64, 8->16", "convT", 128, 64, 4, 2, 1, 8, True),
    ("ConvT 64->1, 16->32", "convT", 64, 1, 4, 2, 1, 16, True),
    ("Linear 784->512", "linear", 784, 512, 0, 0, 0, 0, False),
    ("Linear 512->256", "linear", 512, 256, 0, 0, 0, 0, True),
]


def step(layer, x, g) -> None:
    """One forward and backward; the same code drives a minigen and a PyTorch layer."""
    x.grad = layer.weight.grad = layer.bias.grad = None
    layer(x).backward(g)


def median_ms(runs: list[tuple], repeats: int) -> list[float]:
    """Median milliseconds of each (layer, x, g); the runs alternate, so a busy machine slows both alike."""
    times: list[list[float]] = [[] for _ in runs]
    for repeat in range(repeats + 3):  # the first 3 warm up the allocator, BLAS threads and caches
        for run, record in zip(runs, times):
            start = time.perf_counter()
            step(*run)
            if repeat >= 3:
                record.append(time.perf_counter() - start)
    return [1000 * statistics.median(record) for record in times]


def make_layers(case, torch_nn):
    from minigen.nn.conv import Conv2d, ConvTranspose2d
    from minigen.nn.linear import Linear

    _, kind, cin, cout, k, s, p, _, _ = case
    if kind == "conv":
        return Conv2d(cin, cout, k, s, p), torch_nn.Conv2d(cin, cout, k, s, p)
    if kind == "convT":
        return ConvTranspose2d(cin, cout, k, s, p), torch_nn.ConvTranspose2d(cin, cout, k, s, p)
    return Linear(cin, cout), torch_nn.Linear(cin, cout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    set_threads(args.threads)

    import numpy
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import minigen

    torch.set_num_threads(args.threads)
    rng = numpy.random.default_rng(0)
    print(f"batch {args.batch}, float32, {args.threads} threads, median of {args.repeats}; torch {torch.__version__}")
    print(f"{'layer':<24}{'minigen ms':>12}{'torch ms':>10}{'ratio':>8}")
    for case in CASES:
        label, kind, cin, _, _, _, _, size, input_grad = case
        layer, torch_layer = make_layers(case, torch.nn)
        for name, parameter in torch_layer.named_parameters():  # same weights, so both do the same work
            getattr(layer, name).data[...] = parameter.detach().numpy()
        shape = (args.batch, cin) if kind == "linear" else (args.batch, cin, size, size)
        x_host = rng.standard_normal(shape, dtype=numpy.float32)
        x = minigen.tensor(x_host, requires_grad=input_grad)
        torch_x = torch.tensor(x_host, requires_grad=input_grad)
        g_host = rng.standard_normal(torch_layer(torch_x).shape, dtype=numpy.float32)
        g, torch_g = minigen.tensor(g_host), torch.tensor(g_host)
        mine, theirs = median_ms([(layer, x, g), (torch_layer, torch_x, torch_g)], args.repeats)
        print(f"{label:<24}{mine:>12.2f}{theirs:>10.2f}{mine / theirs:>8.2f}")


if __name__ == "__main__":
    main()

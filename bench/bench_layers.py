"""Forward + backward time of minigen's layers against PyTorch's, on the CPU, on the DCGAN's layer shapes.

Run:  python bench/bench_layers.py [--repeats 30] [--threads 1 2] [--no-write]

Both libraries use the same number of threads (NumPy's BLAS and PyTorch are
given --threads). Each row times ``y = layer(x); y.backward(g)`` in float32,
batch 64, and gives the median over the repeats and the ratio minigen / torch
(below 1 means minigen is faster). The input needs a gradient except where it is
data (images for the first conv, noise for the first transposed conv, flattened
images for the first Linear), as in training.

For the convolutions it also gives the work as matrix products: a layer's
forward and backward are two or three GEMMs (forward, the weight's gradient and,
when the input needs one, the input's), 2 * rows * K * D flops each. "GFLOP/s"
is those flops over minigen's time; "GEMM ms" is NumPy's matmul alone on the same
three shapes, contiguous; "of GEMM" = GEMM ms / minigen ms, the share of NumPy's
matmul throughput the whole layer reaches (the issue's target: at least 60%).
"step share" is the time the layer's forward and backward functions take inside
a DCGAN C=1 training step (minigen.train.gan, batch 64), over the step's time.
The table goes to its section of bench/RESULTS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

from results import machine, write_section


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


def median_ms(layer, x, g, repeats: int) -> float:
    """Median milliseconds of one forward + backward, after 3 warm-up runs (allocator, BLAS threads, caches)."""
    times = []
    for repeat in range(repeats + 3):
        start = time.perf_counter()
        step(layer, x, g)
        if repeat >= 3:
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def make_layers(case, torch_nn):
    from minigen.nn.conv import Conv2d, ConvTranspose2d
    from minigen.nn.linear import Linear

    _, kind, cin, cout, k, s, p, _, _ = case
    if kind == "conv":
        return Conv2d(cin, cout, k, s, p), torch_nn.Conv2d(cin, cout, k, s, p)
    if kind == "convT":
        return ConvTranspose2d(cin, cout, k, s, p), torch_nn.ConvTranspose2d(cin, cout, k, s, p)
    return Linear(cin, cout), torch_nn.Linear(cin, cout)


def gemm_shapes(case, batch: int) -> list[tuple[int, int, int]]:
    """(M, K, N) of the matmuls a conv case runs per forward + backward (im2col form, one group)."""
    _, kind, cin, cout, k, s, p, size, input_grad = case
    out = (size + 2 * p - k) // s + 1 if kind == "conv" else (size - 1) * s - 2 * p + k
    # conv: rows = output pixels, K = k*k*cin, D = cout; convT: the same with input and output swapped
    rows, kk, d = (batch * out * out, k * k * cin, cout) if kind == "conv" else (batch * size * size, k * k * cout, cin)
    shapes = [(rows, kk, d), (d, rows, kk)]  # forward (or convT's input gradient), the weight's gradient
    if input_grad or kind == "convT":  # conv's input gradient; convT's forward is that same product
        shapes.append((rows, d, kk))
    return shapes


def gemm_ms(shapes: list[tuple[int, int, int]], repeats: int, numpy) -> float:
    """Median ms of NumPy's matmul alone on ``shapes``, contiguous float32 operands."""
    rng = numpy.random.default_rng(0)
    operands = [(rng.random((m, k), dtype=numpy.float32), rng.random((k, n), dtype=numpy.float32))
                for m, k, n in shapes]  # fmt: skip
    times = []
    for repeat in range(repeats + 3):
        start = time.perf_counter()
        for a, b in operands:
            a @ b
        if repeat >= 3:
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def step_shares(batch: int, steps: int = 10) -> tuple[dict[tuple, float], float]:
    """Seconds spent in each conv layer's forward + backward during ``steps`` DCGAN C=1 training steps (keyed
    like CASES' (kind, in, out)), and the steps' total seconds."""
    from types import SimpleNamespace

    import numpy

    import minigen
    from minigen.models import build_model
    from minigen.ops import conv
    from minigen.train.trainer import TASKS

    spent: dict[tuple, float] = {}

    def timed(cls, method: str, kind: str):
        original = getattr(cls, method)

        def wrapper(self, *args):
            weight = args[1] if method == "forward" else self.weight
            key = (kind, *(weight.shape[1::-1] if kind == "conv" else weight.shape[:2]))  # (kind, in, out)
            start = time.perf_counter()
            try:
                return original(self, *args)
            finally:
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - start

        setattr(cls, method, wrapper)
        return original

    originals = [(cls, method, timed(cls, method, kind)) for cls, kind in ((conv.Conv2d, "conv"),
                 (conv.ConvTranspose2d, "convT")) for method in ("forward", "backward")]  # fmt: skip
    try:
        minigen.manual_seed(0)
        model = build_model("dcgan", (1, 32, 32))
        task = TASKS["gan"](model, SimpleNamespace(lr=2e-4, label_smoothing=0.0))
        x = minigen.tensor(numpy.random.default_rng(0).uniform(-1, 1, (batch, 1, 32, 32)).astype(numpy.float32))
        for _ in range(3):
            task.train_step(x)
        spent.clear()
        start = time.perf_counter()
        for _ in range(steps):
            task.train_step(x)
        total = time.perf_counter() - start
    finally:
        for cls, method, original in originals:
            setattr(cls, method, original)
    return spent, total


def measure(threads: int, framework: str, repeats: int, batch: int) -> dict:
    """ms per layer for ``framework`` at ``threads`` threads, in this (fresh) interpreter, which runs no other
    framework: each one's idle threads spin for a while after its work and would slow the other's.
    minigen's run adds NumPy's GEMM ms per conv layer and the layers' shares of a DCGAN step."""
    set_threads(threads)
    import numpy
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import minigen

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    rng = numpy.random.default_rng(0)
    result: dict = {"ms": {}, "gemm_ms": {}, "share": {}}
    if framework == "minigen":
        shares, step_seconds = step_shares(batch)
        result["step_ms"], result["conv_share"] = 1000 * step_seconds / 10, sum(shares.values()) / step_seconds
    for case in CASES:
        label, kind, cin, cout, _, _, _, size, input_grad = case
        layer, torch_layer = make_layers(case, torch.nn)  # built alike in both runs: the same torch weights
        shape = (batch, cin) if kind == "linear" else (batch, cin, size, size)
        x_host = rng.standard_normal(shape, dtype=numpy.float32)
        torch_x = torch.tensor(x_host, requires_grad=input_grad)
        g_host = rng.standard_normal(torch_layer(torch_x).shape, dtype=numpy.float32)
        if framework == "torch":
            result["ms"][label] = median_ms(torch_layer, torch_x, torch.tensor(g_host), repeats)
            continue
        for name, parameter in torch_layer.named_parameters():
            getattr(layer, name).data[...] = parameter.detach().numpy()
        x = minigen.tensor(x_host, requires_grad=input_grad)
        result["ms"][label] = median_ms(layer, x, minigen.tensor(g_host), repeats)
        if kind != "linear":
            result["gemm_ms"][label] = gemm_ms(gemm_shapes(case, batch), repeats, numpy)
            result["share"][label] = shares.get((kind, cin, cout), 0.0) / step_seconds
    return result


def table(threads: int, mine: dict, theirs: dict, batch: int) -> list[str]:
    lines = [
        f"### {threads} thread(s)",
        "",
        "| layer | minigen ms | torch ms | ratio | GFLOP/s | GEMM ms | of GEMM | step share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in CASES:
        label = case[0]
        ms, torch_ms = mine["ms"][label], theirs["ms"][label]
        row = f"| {label} | {ms:.2f} | {torch_ms:.2f} | {ms / torch_ms:.2f} |"
        if label not in mine["gemm_ms"]:
            lines.append(row + " | | | |")
            continue
        flops, gemm = sum(2 * m * k * n for m, k, n in gemm_shapes(case, batch)), mine["gemm_ms"][label]
        lines.append(row + f" {flops / ms / 1e6:.1f} | {gemm:.2f} | {gemm / ms:.0%} | {mine['share'][label]:.1%} |")
    lines += ["", f"DCGAN C=1 training step (batch {batch}): {mine['step_ms']:.0f} ms; the conv layers' forward "
              f"and backward {mine['conv_share']:.0%} of it."]  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        threads, framework = json.loads(args.child)
        print(json.dumps(measure(threads, framework, args.repeats, args.batch)))
        return
    header = [
        "## minigen vs PyTorch: one layer's forward + backward, on the DCGAN's shapes",
        "",
        f"- Date: {datetime.date.today().isoformat()}; machine: {machine()}",
        f"- Batch {args.batch}, float32, median of {args.repeats} runs per layer, each framework in its own process.",
        "- GFLOP/s: the layer's matmul flops over minigen's time; GEMM ms: NumPy's matmul alone on the same shapes; "
        "of GEMM: GEMM ms / minigen ms; step share: the layer's share of a DCGAN C=1 training step.",
    ]
    output = list(header)
    for threads in args.threads:
        runs = {}
        for framework in ("minigen", "torch"):
            command = [sys.executable, __file__, "--child", json.dumps([threads, framework]), "--repeats",
                       str(args.repeats), "--batch", str(args.batch)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[framework] = json.loads(done.stdout.strip().splitlines()[-1])
        lines = table(threads, runs["minigen"], runs["torch"], args.batch)
        print("\n".join(lines), flush=True)
        output += ["", *lines]
    if not args.no_write:
        print(f"written to {write_section('bench_layers.py', chr(10).join(output))}")


if __name__ == "__main__":
    main()

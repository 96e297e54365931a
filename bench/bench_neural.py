"""Neural texture synthesis (minigen/imaging/neural.py) against the same recipe in PyTorch, and the choice of network.

    python bench/bench_neural.py [--steps 100] [--no-write] [--save DIR] [--skip-networks]

Four tables, written to section "bench_neural.py" of bench/RESULTS.md unless --no-write:

1. engine: the same network (RandomMultiScale's defaults, mirrored in PyTorch with the same weights), the same image
   (256 x 256 gravel), the same steps (L-BFGS with a strong-Wolfe line search, and Adam) in minigen and in PyTorch,
   at 1 and 2 threads (each a subprocess with OMP_NUM_THREADS set before NumPy or PyTorch loads): seconds per step
   (one evaluation of the loss and its gradient) and the peak memory the run adds to the process (resident set).
2. end to end: ``neural_texture(gravel, (256, 256))`` with its defaults, at 2 threads (target <= 60 s).
3. coarse-to-fine: the same budget with and without, and how long single-scale synthesis takes to reach the loss
   coarse-to-fine ends with (the speed-up).
4. networks: widths and scales of the random network (time per step, the loss it reaches, and the loss measured
   by a larger reference network, the same for all: kernels 3..23 at full resolution, 64 filters each, seed 1).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import machine, write_section

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 1.0
TARGET_END_TO_END = 60.0
MEMORY_STEPS = 20  # the cold run that measures memory (L-BFGS's history holds 20 pairs by then)
NETWORKS = {  # name -> RandomMultiScale arguments; the default is "3,3,5,5,5 @ 0,1,1,2,3, 64"
    "3,5,7,11 @ 0,0,0,0, 32": dict(kernel_sizes=(3, 5, 7, 11), octaves=(0, 0, 0, 0), width=32),
    "3,5,5,5 @ 0,0,1,2, 64": dict(kernel_sizes=(3, 5, 5, 5), octaves=(0, 0, 1, 2), width=64),
    "3,5,5,5,5 @ 0,0,1,2,3, 64": dict(kernel_sizes=(3, 5, 5, 5, 5), octaves=(0, 0, 1, 2, 3), width=64),
    "3,3,3,3 @ 0,1,2,3, 64": dict(kernel_sizes=(3, 3, 3, 3), octaves=(0, 1, 2, 3), width=64),
    "3,5,5,5 @ 0,1,2,3, 64": dict(kernel_sizes=(3, 5, 5, 5), octaves=(0, 1, 2, 3), width=64),
    "3,3,5,5,5 @ 0,1,1,2,3, 32": dict(kernel_sizes=(3, 3, 5, 5, 5), octaves=(0, 1, 1, 2, 3), width=32),
    "3,3,5,5,5 @ 0,1,1,2,3, 64": dict(kernel_sizes=(3, 3, 5, 5, 5), octaves=(0, 1, 1, 2, 3), width=64),
    "3,3,5,5,5 @ 0,1,1,2,3, 128": dict(kernel_sizes=(3, 3, 5, 5, 5), octaves=(0, 1, 1, 2, 3), width=128),
}
REFERENCE = dict(kernel_sizes=(3, 5, 7, 11, 15, 23), octaves=(0,) * 6, width=64, seed=1)


# ------------------------------------------------------------------------------------------ PyTorch's side
def torch_network(network, torch):
    """RandomMultiScale written in PyTorch, with the same weights."""
    functional = torch.nn.functional

    class Mirror(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = torch.nn.ModuleList(torch.nn.Conv2d(network.channels, network.width, k)
                                             for k in network.kernel_sizes)  # fmt: skip
            self.load_state_dict({k: torch.tensor(v.data) for k, v in network.state_dict().items()})
            self.register_buffer("blur", torch.tensor(network.blur.data))
            self.requires_grad_(False)

        def down(self, x):
            if network.pyramid == "box":
                return functional.avg_pool2d(x, 2)
            return functional.conv2d(functional.pad(x, (1,) * 4, mode="reflect"), self.blur, stride=2,
                                     groups=network.channels)  # fmt: skip

        def forward(self, x):
            levels = [x - 0.5]
            for _ in range(max(network.octaves)):
                levels.append(self.down(levels[-1]))
            return [torch.relu(conv(functional.pad(levels[o], (k // 2,) * 4, mode="reflect")))
                    for conv, o, k in zip(self.convs, network.octaves, network.kernel_sizes)]  # fmt: skip

    return Mirror()


def torch_texture(torch, network, source, size, steps, optimizer, seed=0):
    """neural_texture(coarse_to_fine=False) in PyTorch: the same noise, losses, scaling and optimiser settings."""
    import numpy as np

    mirror = torch_network(network, torch)
    style = torch.tensor(source[None, None] if source.ndim == 2 else source.transpose(2, 0, 1)[None])

    def gram(f):
        n, c, h, w = f.shape
        rows = f.permute(0, 2, 3, 1).reshape(n, h * w, c)
        return rows.transpose(1, 2) @ rows / (c * h * w)

    def three(x):
        return x.expand(x.shape[0], 3, *x.shape[2:]) if x.shape[1] == 1 else x

    with torch.no_grad():
        targets = [gram(f) for f in mirror(three(style))]
    weights = [1 / (len(targets) * float((t * t).sum())) for t in targets]
    noise = np.random.default_rng(seed).standard_normal((1, style.shape[1], size, size)).astype(np.float32)
    z = torch.tensor(noise, requires_grad=True)
    if optimizer == "lbfgs":
        optim = torch.optim.LBFGS([z], lr=1, max_iter=steps, max_eval=steps, history_size=50, tolerance_grad=0,
                                  tolerance_change=0, line_search_fn="strong_wolfe")  # fmt: skip
    else:
        optim = torch.optim.Adam([z], lr=0.1)
    state = {"done": 0, "loss": None, "times": []}

    def closure():
        state["times"].append(time.perf_counter())
        optim.zero_grad()
        features = mirror(three(torch.sigmoid(z)))
        loss = sum(((gram(f) - t) ** 2).sum() * w for f, t, w in zip(features, targets, weights))
        state["done"], state["loss"] = state["done"] + 1, loss.item()
        loss = loss * z.numel()
        loss.backward()
        return loss

    while state["done"] < steps:
        before = state["done"]
        if optimizer == "lbfgs":
            optim.param_groups[0]["max_iter"] = optim.param_groups[0]["max_eval"] = steps - before
        optim.step(closure)
        if optimizer == "lbfgs" and state["done"] - before <= 1:
            break
    return state["loss"], state["done"], state["times"]


# ------------------------------------------------------------------------------------------ workers
def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_engine(args) -> dict:
    """One engine at one thread count, in a fresh process. First a cold run of MEMORY_STEPS steps: the peak resident
    memory it adds to what the process held (the imports, the image, the network; no earlier run, so that neither
    engine's allocator holds memory from one). Then the timed run of ``--steps`` steps."""
    sys.path.insert(0, str(HERE.parent))
    from minigen.imaging.features import RandomMultiScale
    from minigen.imaging.io import sample_image
    from minigen.imaging.neural import neural_texture, style_distance

    source = sample_image("gravel")
    network = RandomMultiScale()
    if args.engine == "torch":
        import torch

        torch.set_num_threads(args.threads)

        def run(steps):
            return torch_texture(torch, network, source, args.size, steps, args.optimizer)
    else:

        def run(steps):
            times = []

            def record(step, loss, image):
                times.append(time.perf_counter())

            out = neural_texture(source, args.size, steps=steps, optimizer=args.optimizer, coarse_to_fine=False,
                                 rng=0, network=network, callback=record)  # fmt: skip
            return style_distance(out, source, network), len(times), times

    before = resident_mb()
    run(MEMORY_STEPS)
    memory = peak_mb() - before
    started = time.perf_counter()
    loss, done, times = run(args.steps)
    seconds = time.perf_counter() - started
    # the median time from one evaluation to the next: the optimiser's own work included, a burst of another
    # process on a shared machine not
    median = statistics.median(b - a for a, b in zip(times, times[1:]))
    return dict(seconds=seconds, steps=done, per_step=median, mean=seconds / done, loss=loss, memory=memory)


def worker_end_to_end(args) -> dict:
    """neural_texture with its defaults (coarse-to-fine), then (--what both) single-scale with three times the
    default steps."""
    sys.path.insert(0, str(HERE.parent))
    from minigen.imaging.features import RandomMultiScale
    from minigen.imaging.io import sample_image, write_image
    from minigen.imaging.neural import DEFAULT_TEXTURE_STEPS, neural_texture, style_distance

    source = sample_image(args.image)
    reference = RandomMultiScale(**REFERENCE)
    results = {}
    single = dict(coarse_to_fine=False, steps=3 * DEFAULT_TEXTURE_STEPS)
    runs = (("coarse_to_fine", {}), ("single", single)) if args.what == "both" else (("coarse_to_fine", {}),)
    for label, options in runs:
        curve: list = []

        def record(step, loss, image, curve=curve):
            curve.append((time.perf_counter(), loss, image.shape))

        started = time.perf_counter()
        out = neural_texture(source, args.size, rng=0, callback=record, **options)
        seconds = time.perf_counter() - started
        at_full_size = [(t - started, loss) for t, loss, shape in curve if shape[:2] == out.shape[:2]]
        results[label] = dict(seconds=seconds, loss=style_distance(out, source), steps=len(curve),
                              reference=style_distance(out, source, reference), fine_steps=len(at_full_size),
                              curve=at_full_size)  # fmt: skip
        if args.save:
            write_image(Path(args.save) / f"neural_{args.image}_{label}.png", out)
    return results


def worker_networks(args) -> dict:
    """Each network of NETWORKS on brick and gravel: seconds per step, its own loss, the reference's loss."""
    sys.path.insert(0, str(HERE.parent))
    from minigen.imaging.features import RandomMultiScale
    from minigen.imaging.io import sample_image, write_image
    from minigen.imaging.neural import neural_texture, style_distance

    reference = RandomMultiScale(**REFERENCE)
    rows = {}
    for name, settings in NETWORKS.items():
        network, row = RandomMultiScale(**settings), {}
        for image in ("brick", "gravel"):
            source = sample_image(image)
            started = time.perf_counter()
            out = neural_texture(source, args.size, steps=args.steps, rng=0, network=network, coarse_to_fine=False)
            row[image] = dict(per_step=(time.perf_counter() - started) / args.steps,
                              loss=style_distance(out, source, network),
                              reference=style_distance(out, source, reference))  # fmt: skip
            if args.save:
                label = name.replace(" @ ", "_at_").replace(", ", "_w").replace(",", "-")
                write_image(Path(args.save) / f"network_{image}_{label}.png", out)
        rows[name] = row
    return rows


def worker_transfer(args) -> dict:
    """style_transfer(chelsea, coffee), both halved, with the defaults and with tv_weight=0."""
    sys.path.insert(0, str(HERE.parent))
    from minigen.imaging.io import sample_image, write_image
    from minigen.imaging.neural import content_distance, style_distance, style_transfer

    content, style = sample_image("chelsea")[::2, ::2].copy(), sample_image("coffee")[::2, ::2].copy()
    rows = {"content image": dict(seconds=0.0, style=style_distance(content, style), content=0.0)}
    for label, options in (("defaults (tv_weight=1)", {}), ("tv_weight=0", dict(tv_weight=0.0))):
        started = time.perf_counter()
        out = style_transfer(content, style, rng=0, **options)
        rows[label] = dict(seconds=time.perf_counter() - started, style=style_distance(out, style),
                           content=content_distance(out, content))  # fmt: skip
        if args.save:
            write_image(Path(args.save) / f"transfer_chelsea_coffee_{label.split()[0]}.png", out)
    return rows


def run_worker(kind: str, threads: int, *options: str) -> dict:
    """This script again in a fresh process with ``threads`` threads (set before NumPy or PyTorch loads)."""
    environment = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[variable] = str(threads)
    command = [sys.executable, __file__, "--worker", kind, "--threads", str(threads), *options]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"worker {' '.join(command[2:])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ the report
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps (loss evaluations) per timed run")
    parser.add_argument("--size", type=int, default=256, help="side of the synthesised texture")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--save", type=Path, help="also write the textures as PNG files into this folder")
    parser.add_argument("--skip-networks", action="store_true", help="skip table 4 (the slowest)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="minigen", help=argparse.SUPPRESS)
    parser.add_argument("--optimizer", default="lbfgs", help=argparse.SUPPRESS)
    parser.add_argument("--image", default="gravel", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="both", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = {"engine": worker_engine, "end_to_end": worker_end_to_end, "networks": worker_networks,
                "transfer": worker_transfer}[args.worker]  # fmt: skip
        print(json.dumps(work(args)))
        return
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    save = ["--save", str(args.save)] if args.save else []
    common = ["--steps", str(args.steps), "--size", str(args.size)]

    lines = [
        "## Neural texture synthesis (minigen/imaging/neural.py, features.py)",
        "",
        f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- Machine: {machine()}",
        f"- Python {platform.python_version()}; {versions()}",
        "",
        f"### 1. One step, minigen against PyTorch ({args.size} x {args.size} gravel, {args.steps} steps)",
        "",
        "The same network (RandomMultiScale's defaults; PyTorch's mirror has the same weights), the same noise, "
        "losses and optimiser settings; a step is one evaluation of the loss and its gradient (L-BFGS: "
        "strong-Wolfe line search, history 50; Adam: lr 0.1). Seconds per step: the median time from one evaluation "
        "to the next in a warm run (the mean in brackets: the machine is shared); memory: the peak resident set "
        f"that a first, cold run of {MEMORY_STEPS} steps adds to its process. Target: minigen <= {TARGET_RATIO:g} x "
        "PyTorch's time.",
        "",
        "| optimiser | threads | minigen s/step | PyTorch s/step | ratio | minigen final loss | PyTorch final loss "
        "| minigen memory MB | PyTorch memory MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    printed = 0

    def show() -> None:  # the lines not printed yet
        nonlocal printed
        print("\n".join(lines[printed:]), flush=True)
        printed = len(lines)


    for optimizer in ("lbfgs", "adam"):
        for threads in (1, 2):
            ours = run_worker("engine", threads, *common, "--engine", "minigen", "--optimizer", optimizer)
            theirs = run_worker("engine", threads, *common, "--engine", "torch", "--optimizer", optimizer)
            ratio = ours["per_step"] / theirs["per_step"]
            row = (f"| {optimizer} | {threads} | {ours['per_step']:.3f} ({ours['mean']:.3f}) | "
                   f"{theirs['per_step']:.3f} ({theirs['mean']:.3f}) | "
                   f"**{ratio:.2f}** {'ok' if ratio <= TARGET_RATIO else 'SLOW'} | {ours['loss']:.3g} | "
                   f"{theirs['loss']:.3g} | {ours['memory']:.0f} | {theirs['memory']:.0f} |")  # fmt: skip
            lines.append(row)
            show()

    c2f = run_worker("end_to_end", 2, "--size", str(args.size), "--image", "gravel", "--what", "default")
    c2f = c2f["coarse_to_fine"]
    e2e = {image: run_worker("end_to_end", 1, "--size", str(args.size), "--image", image, *save)
           for image in ("gravel", "brick")}  # fmt: skip
    lines += [
        "",
        f"### 2. End to end: `neural_texture(gravel, {args.size})` with the defaults, 2 threads",
        "",
        f"**{c2f['seconds']:.1f} s** (target <= {TARGET_END_TO_END:g} s: "
        f"{'ok' if c2f['seconds'] <= TARGET_END_TO_END else 'SLOW'}); L-BFGS, {c2f['steps']} steps over the levels "
        f"({c2f['fine_steps']} at full size), final Gram loss {c2f['loss']:.3g}.",
        "",
        "### 3. Coarse-to-fine against single-scale synthesis at full size (1 thread: less exposed to the load)",
        "",
        f"The defaults (coarse-to-fine, {c2f['steps']} steps over the levels), then single-scale with 300 steps; "
        "'single-scale to match' is when the single-scale run first reaches the loss coarse-to-fine ends with; "
        "'reference' measures both results with the larger network of table 4 (large structures).",
        "",
        "| texture | coarse-to-fine s | its loss | its reference loss | single-scale s | its loss | "
        "its reference loss | single-scale to match | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for image, runs in e2e.items():
        fine, single = runs["coarse_to_fine"], runs["single"]
        reached = next((t for t, loss in single["curve"] if loss <= fine["loss"]), None)
        match, speedup = ((f"{reached:.1f} s", f"**{reached / fine['seconds']:.1f}x**") if reached else
                          ("never", f"**> {single['seconds'] / fine['seconds']:.1f}x**"))  # fmt: skip
        lines.append(f"| {image} | {fine['seconds']:.1f} | {fine['loss']:.3g} | {fine['reference']:.3g} | "
                     f"{single['seconds']:.1f} | {single['loss']:.3g} | {single['reference']:.3g} | {match} | "
                     f"{speedup} |")  # fmt: skip
    show()

    if not args.skip_networks:
        rows = run_worker("networks", 1, *common, *save)
        lines += [
            "",
            f"### 4. Networks: {args.size} x {args.size}, {args.steps} L-BFGS steps, single-scale, 1 thread",
            "",
            "Kernel sizes @ octaves (the image blurred and halved that many times), filters per branch. 'reference' "
            "is the Gram loss of the result measured by one larger random network (kernels 3, 5, 7, 11, 15, 23 at "
            "full resolution, 64 filters each, another seed), the same yardstick for every row; lower is better.",
            "",
            "| network | s/step | brick: own loss | brick: reference | gravel: own loss | gravel: reference |",
            "|---|---:|---:|---:|---:|---:|",
            *(f"| {name} | {r['brick']['per_step']:.3f} | {r['brick']['loss']:.3g} | {r['brick']['reference']:.3g} | "
              f"{r['gravel']['loss']:.3g} | {r['gravel']['reference']:.3g} |" for name, r in rows.items()),
        ]
        show()

    rows = run_worker("transfer", 2, *save)
    lines += [
        "",
        "### 5. Style transfer: chelsea in the style of coffee (both halved: 150 x 226 and 134 x 200), 2 threads",
        "",
        "Relative losses as `style_distance` and `content_distance` give them (the content image's own style "
        "distance for scale); the default content_weight 0.5, style_weight 1.",
        "",
        "| run | seconds | style loss | content loss |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {r['seconds']:.1f} | {r['style']:.3g} | {r['content']:.3g} |" for name, r in rows.items()),
    ]
    show()

    if not args.no_write:
        print(f"wrote {write_section('bench_neural.py', chr(10).join(lines) + chr(10))}")


def versions() -> str:
    import numpy

    try:
        import torch

        return f"NumPy {numpy.__version__}, PyTorch {torch.__version__}"
    except ImportError:
        return f"NumPy {numpy.__version__}, no PyTorch"


if __name__ == "__main__":
    main()

"""Benchmark: one full training step of each model, minigen against PyTorch, on the same model and batch.

    python bench/bench_models.py [--threads 1 2] [--repeats 20] [--models MLPGAN "DCGAN C=1" ...] [--no-write]

A *training step* is what ``minigen train`` runs per batch: forward, loss,
backward and the Adam update. For the GANs that is a discriminator step then a
generator step (``minigen.train.gan.GANTask.train_step``, reused as is); for the
VAEs the negative ELBO with reparameterised noise (``minigen.train.vae.VAETask``).
The PyTorch side is the same architecture, translated module by module from the
minigen model and loaded with its weights, trained by the same step written
with ``torch.nn`` (``torch_gan_step`` / ``torch_vae_step`` below).

Models and batches: MLPGAN and MLPVAE on 1x28x28 at batch 128; DCGAN on 1x32x32
(C=1) and 3x32x32 (C=3), ConvVAE and CNN-MSE on 1x28x28 at batch 64; "DCGAN 64" is
the 64x64 DCGAN of PyTorch's example (ngf = ndf = 64, nz = 100, 3x64x64, batch 64).
CNN-MSE's step is ``minigen.train.regression.RegressionTask``'s: MSE between G(z) and x.
"WGAN-GP" (1x32x32, batch 64) is ``minigen.train.wgan.WGANGPTask``'s step with n_critic = 1: one
critic step with the gradient penalty (a double backward through the critic) and one generator step.

Each (model, framework, device) runs in its own subprocess, so that the memory
figure belongs to it alone:

* time: median ms/step over ``--repeats`` steps after ``--warmup`` steps, in
  ``--rounds`` subprocesses per framework run alternately (minigen, torch,
  minigen, torch), so that a busy spell on a shared machine does not fall on
  one framework only; on a GPU the device is synchronised before each clock
  reading.
* memory, CPU: peak resident set size of the subprocess (VmHWM from
  /proc/self/status, the same figure as ``getrusage().ru_maxrss``) minus its
  size after the imports, i.e. the model, optimizer, data and everything the
  steps allocated; and the same peak minus the size once the model, its twin's
  weights and the batch exist ("steps MiB"): what the training steps themselves hold.
  GPU: CuPy's memory pool (bytes held) / PyTorch's ``max_memory_allocated``: the device
  memory of the steps.

Threads: NumPy's BLAS and PyTorch's intra-op pool get the same ``--threads``
(default: all cores; several values give a table each), set through
OMP/OPENBLAS/MKL_NUM_THREADS before either is imported and ``torch.set_num_threads``.
Multi-threaded timings are only meaningful on an otherwise idle machine: both
OpenBLAS and PyTorch's OpenMP pool spin-wait for their threads, and a step can
become tens of times slower when another process holds a core. The load average
at the start is printed for that reason.

When CuPy and a GPU are present, minigen on CuPy is also timed against PyTorch
CUDA; otherwise those rows are skipped and the output says so. The table is
printed and written to its section of bench/RESULTS.md (unless ``--no-write``) with the date,
CPU, core count and library versions.
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
from typing import Any

from results import write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# name -> (minigen model name, image shape, batch size)
MODELS = {
    "MLPGAN": ("gan", (1, 28, 28), 128),
    "DCGAN C=1": ("dcgan", (1, 32, 32), 64),
    "DCGAN C=3": ("dcgan", (3, 32, 32), 64),
    "MLPVAE": ("vae", (1, 28, 28), 128),
    "ConvVAE": ("conv-vae", (1, 28, 28), 64),
    "CNN-MSE": ("cnn-mse", (1, 28, 28), 64),
    "DCGAN 64": ("dcgan", (3, 64, 64), 64),
    "WGAN-GP": ("wgan-gp", (1, 32, 32), 64),
}
# the targets: minigen ms / torch ms at most this, every model on the CPU (1 and 2 threads), the DCGANs on a GPU
CPU_TARGET, GPU_TARGET = 1.0, 2.0
CPU_TARGETS = {"WGAN-GP": 1.2}  # issue 16's target for the step with a double backward
LR = {"gan": 2e-4, "dcgan": 2e-4, "vae": 1e-3, "conv-vae": 1e-3, "cnn-mse": 1e-3, "wgan-gp": 1e-4}  # minigen.train's


def set_threads(threads: int) -> None:
    """Cap every BLAS/OpenMP pool; must run before NumPy or PyTorch is imported (they read these at import)."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)


def rss_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MiB, from /proc/self/status (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


# ----------------------------------------------------------------------------- the PyTorch twin
def torch_twin(torch: Any, model: Any) -> Any:
    """The minigen ``model`` rebuilt in torch.nn module by module (same state-dict keys), with its weights."""
    tnn = torch.nn

    class AsImages(tnn.Module):  # minigen.models.base.AsImages: a reshape to (N, C, H, W)
        def __init__(self, shape: tuple[int, ...]) -> None:
            super().__init__()
            self.shape = shape

        def forward(self, x: Any) -> Any:
            return x.reshape(x.shape[0], *self.shape)

    def translate(module: Any) -> Any:
        kind = type(module).__name__
        children = list(module.named_children())
        if kind == "Sequential":
            return tnn.Sequential(*(translate(child) for _, child in children))
        if children:  # a model: its submodules by name
            return tnn.ModuleDict({name: translate(child) for name, child in children})
        if kind == "Linear":
            return tnn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
        if kind in ("Conv2d", "ConvTranspose2d"):
            extra = {"output_padding": module.output_padding} if kind == "ConvTranspose2d" else {}
            return getattr(tnn, kind)(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                                      module.padding, bias=module.bias is not None, **extra)  # fmt: skip
        if kind == "BatchNorm2d":
            return tnn.BatchNorm2d(module.num_features, module.eps, module.momentum)
        if kind == "Dropout":
            return tnn.Dropout(module.p)
        if kind == "LeakyReLU":
            return tnn.LeakyReLU(module.negative_slope)
        if kind in ("ReLU", "Tanh", "Sigmoid", "Identity"):
            return getattr(tnn, kind)()
        if kind == "Flatten":
            return tnn.Flatten(module.start_dim, module.end_dim)
        if kind == "Unflatten":
            return tnn.Unflatten(module.dim, module.unflattened_size)
        if kind == "AsImages":
            return AsImages(module.image_shape)
        raise NotImplementedError(f"torch_twin: no translation for {kind}")

    twin = translate(model)
    twin.load_state_dict({key: torch.from_numpy(value.numpy()) for key, value in model.state_dict().items()})
    return twin


def torch_gan_step(torch: Any, twin: Any, optimizers: tuple[Any, Any], x: Any, latent_dim: int) -> dict[str, Any]:
    """GANTask.train_step written with torch: D step on real and detached fakes, then G's non-saturating step."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    generator, discriminator = twin["generator"], twin["discriminator"]
    opt_g, opt_d = optimizers
    fake = generator(torch.randn(x.shape[0], latent_dim, device=x.device))
    real_logits = discriminator(x.reshape(fake.shape))
    fake_logits = discriminator(fake.detach())
    d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    discriminator.requires_grad_(False)
    logits = discriminator(fake)
    g_loss = bce(logits, torch.ones_like(logits))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    discriminator.requires_grad_(True)
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "d_real": real_logits.detach().sigmoid().mean(),
            "d_fake": fake_logits.detach().sigmoid().mean()}  # fmt: skip


def torch_wgan_step(torch: Any, twin: Any, optimizers: tuple[Any, Any], x: Any, latent_dim: int) -> dict[str, Any]:
    """WGANGPTask.train_step written with torch, with n_critic = 1: a critic step with the gradient penalty
    (a double backward), then a generator step."""
    generator, critic = twin["generator"], twin["discriminator"]
    opt_g, opt_c = optimizers
    n = x.shape[0]
    with torch.no_grad():
        fake = generator(torch.randn(n, latent_dim, device=x.device))
    real = x.reshape(fake.shape)
    real_score, fake_score = critic(real).mean(), critic(fake).mean()
    eps = torch.rand(n, 1, 1, 1, device=x.device)
    mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_()
    (slopes,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = (((slopes * slopes).reshape(n, -1).sum(dim=1) + 1e-12).sqrt() - 1).pow(2).mean()
    critic_loss = fake_score - real_score + 10 * penalty
    opt_c.zero_grad()
    critic_loss.backward()
    opt_c.step()
    critic.requires_grad_(False)
    g_loss = -critic(generator(torch.randn(n, latent_dim, device=x.device))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    critic.requires_grad_(True)
    return {"critic_loss": critic_loss.detach(), "wasserstein": (real_score - fake_score).detach(),
            "gradient_penalty": penalty.detach(), "g_loss": -fake_score.detach()}  # fmt: skip


def torch_regression_step(torch: Any, twin: Any, optimizer: Any, x: Any, latent_dim: int) -> dict[str, Any]:
    """RegressionTask.train_step written with torch: MSE between G(z) for fresh z and the batch."""
    fake = twin["generator"](torch.randn(x.shape[0], latent_dim, device=x.device))
    loss = torch.nn.functional.mse_loss(fake, x.reshape(fake.shape))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {"mse": loss.detach()}


def torch_vae_step(torch: Any, twin: Any, optimizer: Any, x: Any) -> dict[str, Any]:
    """VAETask.train_step written with torch: BCE summed over pixels + KL, averaged over the batch."""
    h = twin["encoder"](x)
    mu, logvar = twin["fc_mu"](h), twin["fc_logvar"](h)
    z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
    logits = twin["decoder"](z)
    n = x.shape[0]
    recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, x.reshape(logits.shape), reduction="sum") / n
    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum() / n
    total = recon + kl
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    return {"loss": total.detach(), "recon": recon.detach(), "kl": kl.detach()}


# ----------------------------------------------------------------------------- one measurement (a subprocess)
def measure(label: str, framework: str, device: str, repeats: int, warmup: int) -> dict[str, Any]:
    """Time ``repeats`` training steps of ``label`` on ``framework`` ("minigen" or "torch") and ``device``."""
    import numpy as np
    import torch

    import minigen
    from minigen.models import build_model

    name, shape, batch = MODELS[label]
    baseline = rss_mib("VmRSS")
    minigen.manual_seed(0)
    torch.manual_seed(0)
    model = build_model(name, shape)
    rng = np.random.default_rng(0)
    low, high = model.data_range
    images = (low + (high - low) * rng.random((batch, *shape))).astype(np.float32)  # stand-in for a batch of data

    if framework == "minigen":
        from types import SimpleNamespace

        from minigen.train.trainer import TASKS

        model = model.to(device)
        # n_critic = 1: each timed WGAN-GP step is one critic step (with its penalty) and one generator step
        config = SimpleNamespace(lr=LR[name], label_smoothing=0.0, likelihood="bernoulli", beta=1.0, gp_weight=10.0,
                                 n_critic=1)  # fmt: skip
        task = TASKS[model.kind](model, config)
        x = minigen.tensor(images, device=device)
        model.train()

        def step() -> dict[str, Any]:
            return task.train_step(x)

        if device == "cuda":
            import cupy

            synchronize = cupy.cuda.Device().synchronize
        else:
            synchronize = None
    else:
        twin = torch_twin(torch, model).to(device).train()
        x = torch.from_numpy(images).to(device)
        if model.kind in ("gan", "wgan-gp"):
            betas = (0.0, 0.9) if model.kind == "wgan-gp" else (0.5, 0.999)
            optimizers = (torch.optim.Adam(twin["generator"].parameters(), lr=LR[name], betas=betas),
                          torch.optim.Adam(twin["discriminator"].parameters(), lr=LR[name], betas=betas))  # fmt: skip
            adversarial_step = torch_wgan_step if model.kind == "wgan-gp" else torch_gan_step

            def step() -> dict[str, Any]:
                return adversarial_step(torch, twin, optimizers, x, model.latent_dim)
        elif model.kind == "regression":
            optimizer = torch.optim.Adam(twin.parameters(), lr=LR[name], betas=(0.5, 0.999))

            def step() -> dict[str, Any]:
                return torch_regression_step(torch, twin, optimizer, x, model.latent_dim)
        else:
            optimizer = torch.optim.Adam(twin.parameters(), lr=LR[name])

            def step() -> dict[str, Any]:
                return torch_vae_step(torch, twin, optimizer, x)

        synchronize = torch.cuda.synchronize if device == "cuda" else None
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()

    built = rss_mib("VmRSS")  # the model (and, for torch, its twin), the optimizers and the batch exist
    times, cpu_times, losses = [], [], []
    for i in range(warmup + repeats):
        if synchronize:
            synchronize()
        start, cpu_start = time.perf_counter(), time.process_time()
        out = step()
        if synchronize:
            synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        losses.append(out)
    first = {key: float(value.item()) for key, value in losses[0].items()}  # read after timing: no host sync inside

    steps_memory = None
    if device == "cpu":
        memory = rss_mib("VmHWM") - baseline
        steps_memory = rss_mib("VmHWM") - built
    elif framework == "minigen":
        import cupy

        memory = cupy.get_default_memory_pool().total_bytes() / 2**20
    else:
        memory = torch.cuda.max_memory_allocated() / 2**20
    return {"ms": [1000 * t for t in times], "cpu_ms": [1000 * t for t in cpu_times], "memory_mib": memory,
            "steps_mib": steps_memory, "first_losses": first, "threads": torch.get_num_threads()}  # fmt: skip


SAMPLES, SAMPLE_BATCH = 10_000, 256


def measure_sampling(label: str, framework: str) -> dict[str, Any]:
    """Draw SAMPLES images from ``label``'s generator in eval mode, SAMPLE_BATCH at a time, without a graph:
    the time, and the peak RSS above the size once the model exists (the images themselves included)."""
    import numpy as np
    import torch

    import minigen
    from minigen.models import build_model

    name, shape, _ = MODELS[label]
    minigen.manual_seed(0)
    model = build_model(name, shape).eval()
    if framework == "torch":
        generator = torch_twin(torch, model)["generator"].eval()
        latent_dim = model.latent_dim
        del model
    built = rss_mib("VmRSS")
    start = time.perf_counter()
    if framework == "minigen":
        images = model.sample(SAMPLES, batch_size=SAMPLE_BATCH).numpy()
    else:
        images = np.empty((SAMPLES, *shape), np.float32)
        with torch.no_grad():
            z = torch.randn(SAMPLES, latent_dim)
            for first in range(0, SAMPLES, SAMPLE_BATCH):
                images[first : first + SAMPLE_BATCH] = generator(z[first : first + SAMPLE_BATCH]).numpy()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": rss_mib("VmHWM") - built, "images_mib": images.nbytes / 2**20}


def run_child(label: str, framework: str, device: str, threads: int, args: argparse.Namespace) -> dict[str, Any] | str:
    """``measure`` in a fresh interpreter; its result, or the error text when it failed."""
    command = [sys.executable, __file__, "--child", json.dumps([label, framework, device]), "--threads",
               str(threads), "--repeats", str(args.repeats), "--warmup", str(args.warmup)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return (done.stderr.strip().splitlines() or ["failed"])[-1]
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- report
def machine() -> dict[str, str]:
    import numpy as np
    import torch

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "platform": platform.platform()}  # fmt: skip


def cuda_available() -> tuple[bool, str]:
    """(usable, why not): minigen needs CuPy and a GPU, the comparison needs PyTorch CUDA too."""
    import torch

    from minigen import backend

    if not backend.cuda_is_available():
        return False, "CuPy with a GPU is not available"
    if not torch.cuda.is_available():
        return False, "PyTorch has no CUDA here"
    return True, ""


def merge(earlier: dict[str, Any] | str | None, new: dict[str, Any] | str) -> dict[str, Any] | str:
    """Two rounds of the same measurement as one: step times pooled, the larger memory peak; failures kept."""
    if earlier is None or isinstance(earlier, str):
        return earlier or new
    if isinstance(new, str):
        return new
    pooled = {key: earlier[key] + new[key] for key in ("ms", "cpu_ms")}
    peaks = {key: max(earlier[key], new[key]) if new[key] is not None else None for key in ("memory_mib", "steps_mib")}
    return {**new, **pooled, **peaks}


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_table(rows: list[dict[str, Any]], device: str) -> list[str]:
    lines = [
        "| model | batch | minigen ms/step | torch ms/step | ratio | target | minigen CPU ms | torch CPU ms "
        "| CPU ratio | minigen peak MiB | torch peak MiB | minigen steps MiB | torch steps MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, theirs = row["minigen"], row["torch"]
        if isinstance(ours, str) or isinstance(theirs, str):
            lines.append(f"| {row['label']} | {row['batch']} | failed: {ours if isinstance(ours, str) else theirs} |")
            continue
        ours, theirs = ({**r, "ms": statistics.median(r["ms"]), "cpu_ms": statistics.median(r["cpu_ms"])}
                        for r in (ours, theirs))  # fmt: skip
        ratio = ours["ms"] / theirs["ms"]
        target = CPU_TARGETS.get(row["label"], CPU_TARGET) if device == "cpu" else (
            GPU_TARGET if "DCGAN" in row["label"] else None)
        verdict = "" if target is None else f"{target:g}x {'ok' if ratio <= target else 'MISSED'}"
        lines.append(
            f"| {row['label']} | {row['batch']} | {ours['ms']:.1f} | {theirs['ms']:.1f} | {ratio:.2f} | {verdict} "
            f"| {ours['cpu_ms']:.1f} | {theirs['cpu_ms']:.1f} | {ours['cpu_ms'] / theirs['cpu_ms']:.2f} "
            f"| {ours['memory_mib']:.0f} | {theirs['memory_mib']:.0f} "
            f"| {mib(ours['steps_mib'])} | {mib(theirs['steps_mib'])} |"
        )
    return lines


def sampling_table(args: argparse.Namespace) -> list[str]:
    """Sampling SAMPLES DCGAN images at 1 thread, minigen vs torch, each in its own subprocess."""
    lines = [
        f"### Sampling {SAMPLES:,} images without a graph, {SAMPLE_BATCH} at a time (eval mode, 1 thread)",
        "",
        "Peak MiB: the peak RSS above the size once the generator exists; it includes the images themselves.",
        "",
        "| model | minigen s | torch s | minigen peak MiB | torch peak MiB | the images MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in ("DCGAN C=1", "DCGAN 64"):
        ours, theirs = (run_child(label, framework, "sampling", 1, args) for framework in ("minigen", "torch"))
        if isinstance(ours, str) or isinstance(theirs, str):
            lines.append(f"| {label} | failed: {ours if isinstance(ours, str) else theirs} |")
            continue
        lines.append(f"| {label} | {ours['seconds']:.1f} | {theirs['seconds']:.1f} | {ours['peak_mib']:.0f} "
                     f"| {theirs['peak_mib']:.0f} | {ours['images_mib']:.0f} |")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[os.cpu_count()],
                        help="threads for NumPy's BLAS and PyTorch (several: one table each)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="subprocesses per framework, alternating")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS), metavar="MODEL",
                        help=f"any of {list(MODELS)}")  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--skip", nargs="*", default=[], choices=["sampling"], help="leave out the sampling table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

    if args.child:
        set_threads(args.threads[0])
        import torch

        torch.set_num_threads(args.threads[0])
        label, framework, device = json.loads(args.child)
        if device == "sampling":
            print(json.dumps(measure_sampling(label, framework)))
        else:
            print(json.dumps(measure(label, framework, device, repeats=args.repeats, warmup=args.warmup)))
        return

    info = machine()
    gpu, why_not = cuda_available()
    devices = ["cpu"] + (["cuda"] if gpu else [])
    header = [
        f"Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"Machine: {info['cpu']}, {info['cores']} cores; {info['platform']}",
        f"Python {info['python']}, NumPy {info['numpy']}, PyTorch {info['torch']}",
        f"Threads: {', '.join(map(str, args.threads))} (a table each), the same for NumPy's BLAS and PyTorch",
        f"Load average at the start: {' '.join(f'{load:.2f}' for load in os.getloadavg())} "
        "(another busy process makes the multi-threaded figures unreliable)",
        f"Median of {args.rounds} x {args.repeats} steps, in {args.rounds} subprocesses per framework alternating "
        f"minigen/torch, each after {args.warmup} warm-up steps; float32; Adam.",
        "Batch: 128 for MLPGAN and MLPVAE, 64 for the others. DCGAN 64: PyTorch's dcgan example, 3x64x64, "
        "ngf = ndf = 64.",
        "A step: forward, loss, backward, optimizer step (GAN: D step + G step as minigen.train.gan does it).",
        "Peak MiB, CPU: peak RSS (VmHWM) of a subprocess running only that framework, minus its RSS after imports; "
        "steps MiB: the same peak minus the RSS once the model, optimizer and batch exist.",
        "Peak MiB, GPU: CuPy memory pool bytes held / torch.cuda.max_memory_allocated.",
        "ratio = minigen ms / torch ms (wall clock; lower is better); target: the issue's bound for that ratio.",
        "CPU ms: the process's CPU time per step (time.process_time): at 1 thread it is what the step costs even "
        "when other processes compete for the cores; at more threads it sums every thread, spin-waiting included.",
    ]
    if not gpu:
        header.append(f"CUDA rows skipped: {why_not}.")
    print("\n".join(header))
    output = ["# minigen vs PyTorch: one training step", "", *(f"- {line}" for line in header)]
    for device in devices:
        for threads in args.threads if device == "cpu" else args.threads[:1]:
            rows = []
            for label in args.models:
                row = {"label": label, "batch": MODELS[label][2]}
                for framework in ("minigen", "torch") * args.rounds:  # alternating: a busy spell hits both
                    row[framework] = merge(row.get(framework), run_child(label, framework, device, threads, args))
                rows.append(row)
                print(f"  {device} {threads} thread(s) {label}: done", flush=True)
            table = format_table(rows, device)
            title = (
                f"CPU, {threads} thread(s): minigen on NumPy vs PyTorch CPU"
                if device == "cpu"
                else "GPU: minigen on CuPy vs PyTorch CUDA"
            )
            print(f"\n{title}\n" + "\n".join(table))
            output += ["", f"### {title}", "", *table]
    if "sampling" not in args.skip:
        lines = sampling_table(args)
        print("\n".join(lines))
        output += ["", *lines]
    if not args.no_write:
        report = "\n".join(output).replace("# minigen vs", "## minigen vs", 1)  # a section of RESULTS.md
        print(f"\nwritten to {write_section('bench_models.py', report)}")


if __name__ == "__main__":
    main()

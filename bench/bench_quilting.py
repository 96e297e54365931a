"""Image quilting on one core: a 256 x 256 texture from a 128 x 128 crop of each shipped image (target <= 5 s),
and one texture transfer (the chelsea photo rendered in the brick texture).

    python bench/bench_quilting.py [--repeats 3] [--save DIR]

Prints a table and writes its part of bench/RESULTS.md: seconds per texture (median of the repeats, after one warm-up)
and the gradient-energy ratio output / source (mean squared image gradient; near 1 means no visible seams).
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy loads
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from results import machine, write_section  # noqa: E402

from minigen.imaging.io import SAMPLE_IMAGES, sample_image, write_image  # noqa: E402
from minigen.imaging.texture import TRANSFER_BLOCKS, _default_patch, luminance, quilt, texture_transfer  # noqa: E402

TARGET_SECONDS = 5.0



def gradient_energy(image: np.ndarray) -> float:
    image = image.astype(np.float64)
    return float(np.mean(np.diff(image, axis=0) ** 2) + np.mean(np.diff(image, axis=1) ** 2))


def centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    return image[top : top + side, left : left + side]


def timed(function, repeats: int) -> tuple[float, object]:
    """The median wall time of ``repeats`` calls after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per texture (median reported)")
    parser.add_argument("--save", type=Path, help="also write the outputs as PNG files into this folder")
    args = parser.parse_args()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    rows = []
    print(f"{'image':10} {'source':>12} {'patch':>5} {'seconds':>8} {'target':>8} {'grad. energy out/src':>21}")
    for name in SAMPLE_IMAGES:
        source = centre_crop(sample_image(name), 128)
        seconds, out = timed(lambda source=source: quilt(source, (256, 256), rng=0), args.repeats)
        ratio = gradient_energy(out) / gradient_energy(source)
        verdict = "ok" if seconds <= TARGET_SECONDS else "SLOW"
        shape = "x".join(map(str, source.shape))
        rows.append((name, shape, _default_patch(source), seconds, verdict, ratio))
        print(f"{name:10} {shape:>12} {rows[-1][2]:>5} {seconds:8.3f} {verdict:>8} {ratio:21.3f}")
        if args.save:
            write_image(args.save / f"quilt_{name}.png", out)

    source, target = sample_image("brick"), sample_image("chelsea")
    first = max(2, min(_default_patch(source), min(target.shape[:2]) // TRANSFER_BLOCKS))  # as texture_transfer
    blocks = " -> ".join(str(max(2, round(first * (2 / 3) ** i))) for i in range(3))
    started = time.perf_counter()
    transferred = texture_transfer(source, target, rng=0)
    transfer_seconds = time.perf_counter() - started
    quilted = quilt(source, target.shape[:2], rng=0)
    target_luminance = luminance(target).ravel()
    correlation = np.corrcoef(luminance(transferred).ravel(), target_luminance)[0, 1]
    baseline = np.corrcoef(luminance(quilted).ravel(), target_luminance)[0, 1]
    print(f"texture_transfer(brick 256x256 -> chelsea {target.shape[0]}x{target.shape[1]}): {transfer_seconds:.2f} s, "
          f"luminance correlation with the target {correlation:.3f} (plain quilting: {baseline:.3f})")  # fmt: skip
    if args.save:
        write_image(args.save / "transfer_chelsea_in_brick.png", transferred)

    lines = [
        "# Image quilting (minigen/imaging/texture.py) on one core",
        "",
        f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- Machine: {machine()}",
        f"- Python {platform.python_version()}, NumPy {np.__version__}; 1 thread (OMP/OpenBLAS/MKL set before NumPy)",
        f"- Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "- Task: `quilt(crop, (256, 256), rng=0)` from the 128 x 128 centre crop of each shipped image, default "
        "blocks (patch = side / 4 = 32, overlap = 5: 10 x 10 blocks, 97 x 97 candidates each), float32; median of "
        f"{args.repeats} runs after a warm-up. Target: <= {TARGET_SECONDS:g} s.",
        "- Gradient energy: mean squared forward difference (down + across), output / source; near 1 means the "
        "seams do not add edges (brick, grass, gravel are textures; the other three are photographs).",
        "",
        "| image | source | patch | seconds | target | gradient energy out/src |",
        "|---|---|---:|---:|---|---:|",
        *(f"| {n} | {s} | {p} | {t:.3f} | {v} | {r:.3f} |" for n, s, p, t, v, r in rows),
        "",
        f"Texture transfer, `texture_transfer(brick, chelsea, rng=0)` (brick 256 x 256 grey, chelsea "
        f"{target.shape[0]} x {target.shape[1]} RGB; defaults: 3 passes, blocks {blocks}): "
        f"**{transfer_seconds:.1f} s**, once; correlation of the result's luminance with the target's "
        f"{correlation:.3f} (quilting the same size without the target: {baseline:.3f}).",
        "",
    ]
    report = "\n".join(lines).replace("# Image quilting", "## Image quilting", 1)  # a section of RESULTS.md
    print(f"wrote {write_section('bench_quilting.py', report)}")


if __name__ == "__main__":
    main()

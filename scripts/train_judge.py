"""Train the judge classifier that ships with minigen: ``minigen/metrics/judge_mnist.npz``.

Run once by a maintainer (469 s on one thread of a 2-core AMD EPYC); the result is the same for the same
seed on the same machine::

    OMP_NUM_THREADS=1 python scripts/train_judge.py            # mnist-embedded, seed 0
    python scripts/train_judge.py --dataset fashion-mnist --out judge_fashion.npz

The judge (``minigen.metrics.Judge``) trains on the dataset's training split (4,500 digits for the embedded
MNIST) with random rotations, zooms, shifts, blur, fading and speckles (``minigen.metrics.judge.jitter``),
then is scored on the test split: its accuracy and its judge score of the real test images are stored in the
file beside the weights, and ``tests/test_metrics.py`` checks them again.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from minigen.data import load_dataset
from minigen.metrics import class_accuracy, judge_outputs, judge_score, train_judge
from minigen.metrics.judge import SHIPPED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist-embedded")
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--clean-epochs", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=SHIPPED["mnist-embedded"])
    args = parser.parse_args()

    images, labels = load_dataset(args.dataset, "train")
    test_images, test_labels = load_dataset(args.dataset, "test")
    started = time.perf_counter()
    judge = train_judge(images, labels, epochs=args.epochs, seed=args.seed, clean_epochs=args.clean_epochs,
                        progress=True)
    seconds = time.perf_counter() - started
    accuracy, per_class = class_accuracy(judge, test_images, test_labels)
    score = judge_score(judge_outputs(judge, test_images)[0])
    judge.save(args.out, dataset=args.dataset, test_accuracy=accuracy, test_judge_score=score, epochs=args.epochs,
               clean_epochs=args.clean_epochs,
               seed=args.seed, train_images=len(images), test_images=len(test_images))  # fmt: skip
    print(f"{args.dataset}: {len(images)} training images, {args.epochs} epochs in {seconds:.0f} s; "
          f"test accuracy {accuracy:.2%} (per class from {per_class.min():.0%} to {per_class.max():.0%}), "
          f"judge score of the real test images {score:.3f}; wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()

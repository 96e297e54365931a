"""Every metric of a generative model (or of real images) in one dict, as ``minigen eval`` prints it.

:func:`evaluate_model` draws ``n`` samples and reads them with the dataset's judge: judge score, class
coverage, Fréchet distance, precision and recall against the training images' features, the memorisation
check, and for a VAE the ELBO and the importance-weighted log-likelihood of the test images.
:func:`evaluate_real` gives the same numbers for the real test images: the row to compare with.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigen import backend
from minigen.data.transforms import to_unit
from minigen.tensor import Tensor

from .judge import judge_outputs, load_judge
from .likelihood import binarize, bits_per_dim, importance_weighted
from .scores import class_coverage, frechet_distance, judge_score, memorisation, nearest_distances, precision_recall

__all__ = ["REFERENCE_IMAGES", "LIKELIHOOD_IMAGES", "evaluate_model", "evaluate_real", "real_reference"]

REFERENCE_IMAGES = 10_000  # training images the samples are compared with (all 4,500 of the embedded set)
LIKELIHOOD_IMAGES = 1_000  # test images a VAE's likelihood is measured on (all 500 of the embedded set)


def real_reference(dataset: str, judge: Any, device: str = "cpu") -> dict[str, Any]:
    """The dataset's training and test images in [0, 1] on ``device`` (at most REFERENCE_IMAGES training
    images, the first ones), the judge's features of the training ones and each test image's distance to its
    nearest training image."""
    from minigen.data import load_dataset

    train, _ = load_dataset(dataset, "train")
    test, test_labels = load_dataset(dataset, "test")
    train, test = (backend.to_device(_unit(images), device) for images in (train[:REFERENCE_IMAGES], test))
    return {"train": train, "test": test, "test_labels": test_labels, "train_features": judge_outputs(judge, train)[1],
            "test_to_train": nearest_distances(test.reshape(len(test), -1), train.reshape(len(train), -1))}


def _unit(images: np.ndarray) -> np.ndarray:
    """A dataset's uint8 images, (N, H, W) grey or (N, C, H, W) colour (load_dataset's layouts), as float32
    (N, C, H, W) in [0, 1]."""
    images = to_unit(images)
    return images[:, None] if images.ndim == 3 else images


def _scores(images: Any, judge: Any, reference: dict[str, Any], asked: Any = None) -> dict[str, Any]:
    """The judge's metrics of ``images`` (N, C, H, W) in [0, 1] against the reference's training images; with the
    classes ``asked`` for, the share read as asked (``label_accuracy``)."""
    probs, features = judge_outputs(judge, images)
    covered, kl, histogram = class_coverage(probs)
    precision, recall = precision_recall(reference["train_features"], features)
    copies = memorisation(images, reference["train"], reference["test"], reference["test_to_train"])
    return {"n": len(images), "judge_score": judge_score(probs), "classes_covered": covered,
            "class_kl": kl, "class_histogram": backend.to_numpy(histogram).tolist(),
            "frechet": frechet_distance(reference["train_features"], features), "precision": precision,
            "recall": recall, "nearest_train_median": copies["samples_median"],
            "test_nearest_train_median": copies["test_median"], "copies": copies["copies"],
            "reference_images": len(reference["train"]),
            **({} if asked is None else {"label_accuracy": float((probs.argmax(axis=1) == asked).mean())})}  # fmt: skip


def as_unit_images(images: Any, data_range: tuple[float, float], shape: tuple[int, int, int]) -> Any:
    """A model's images (N, C, H', W') in ``data_range`` as (N, C, H, W) in [0, 1], their padding cropped to
    ``shape`` (a DCGAN draws 28x28 digits padded to 32x32)."""
    low, high = data_range
    images = images.data if isinstance(images, Tensor) else images
    xp = backend.get_array_module(images)
    height, width = images.shape[2] - shape[1], images.shape[3] - shape[2]
    images = images[:, :, height // 2 : height // 2 + shape[1], width // 2 : width // 2 + shape[2]]
    return xp.clip((images - low) / (high - low), 0, 1).astype(xp.float32)


def evaluate_model(model: Any, dataset: str, n: int = 10_000, k: int = 1000, likelihood: str = "bernoulli",
                   seed: int = 0, judge: Any = None, reference: dict[str, Any] | None = None,
                   progress: bool = False) -> dict[str, Any]:  # fmt: skip
    """The metrics of ``model`` (a :class:`~minigen.models.base.GenerativeModel`) trained on ``dataset``.

    ``n`` samples (a conditional model's in turn from each class, with ``label_accuracy``: the share the judge
    reads as the class asked for) are read by the dataset's judge; a VAE's
    ``elbo_nats`` and ``nll_nats`` (``k`` importance samples) are the means over the binarised test images
    (:func:`~.likelihood.binarize`) for the Bernoulli decoder, over the grey ones for the Gaussian decoder
    (with ``bits_per_dim``). ``judge`` and ``reference`` may be passed to skip loading them again.
    """
    from minigen.data.registry import dataset_spec
    from minigen.models.base import VAE
    from minigen.random import fork_rng, manual_seed

    if not isinstance(n, int) or n < 10:
        raise ValueError(f"n: {n!r} (expected an int >= 10 samples)")
    device, _ = model.parameter_device_dtype()
    shape = dataset_spec(dataset).shape
    judge = load_judge(dataset, device, progress)[0] if judge is None else judge
    reference = real_reference(dataset, judge, device) if reference is None else reference
    was_training = model.training
    model.eval()
    try:
        with fork_rng():  # the caller's generators (a training run's) go on as if nothing was drawn
            manual_seed(seed)
            samples = as_unit_images(model.sample(n), model.data_range, shape)
    finally:
        model.train(was_training)
    asked = backend.get_array_module(samples).arange(n) % model.num_classes if model.conditional else None
    result = _scores(samples, judge, reference, asked)  # sample(n) drew image i for class i mod num_classes
    if isinstance(model, VAE):
        result.update(_likelihood(model, reference, k, likelihood, seed))
    return result


def _likelihood(model: Any, reference: dict[str, Any], k: int, likelihood: str, seed: int) -> dict[str, Any]:
    """A VAE's ELBO and importance-weighted log-likelihood, as negative nats per test image."""
    images = reference["test"][:LIKELIHOOD_IMAGES]
    labels = reference["test_labels"][:LIKELIHOOD_IMAGES] if model.conditional else None
    if likelihood == "bernoulli":
        images = binarize(images, seed)
    found = importance_weighted(model, images, k=k, labels=labels, likelihood=likelihood, seed=seed)
    result = {"elbo_nats": -float(found["elbo"].mean()), "nll_nats": -float(found["iwae"].mean()),
              "likelihood_k": k, "likelihood_images": len(images),
              "likelihood_data": "binarised test images" if likelihood == "bernoulli" else "test images"}
    if likelihood == "gaussian":
        result["bits_per_dim"] = bits_per_dim(result["nll_nats"], math.prod(images.shape[1:]))
        result["sigma"] = found["sigma"]
    return result


def evaluate_real(dataset: str, judge: Any = None, device: str = "cpu", progress: bool = False) -> dict[str, Any]:
    """The same metrics for the dataset's real test images against its training images: the reference row."""
    judge = load_judge(dataset, device, progress)[0] if judge is None else judge
    reference = real_reference(dataset, judge, device)
    return _scores(reference["test"], judge, reference)

"""Measuring generative models: a judge classifier and what it says of the samples.

- :mod:`.judge`: a small CNN classifier trained by minigen (the "judge"; MNIST's ships with minigen),
  its class probabilities and features, and the share of a conditional model's images in the class asked.
- :mod:`.scores`: judge score, class coverage, Fréchet distance, precision/recall, memorisation check.
- :mod:`.likelihood`: a VAE's importance-weighted log-likelihood beside its ELBO.
- :mod:`.evaluate`: all of them for a model or for real images, as ``minigen eval`` prints them.
"""

from .evaluate import evaluate_model, evaluate_real
from .judge import Judge, class_accuracy, judge_outputs, judge_predictions, load_judge, train_judge
from .likelihood import binarize, bits_per_dim, importance_weighted
from .scores import (
    class_coverage,
    frechet_distance,
    gaussian_fit,
    judge_score,
    memorisation,
    nearest_distances,
    precision_recall,
)

__all__ = ["Judge", "binarize", "bits_per_dim", "class_accuracy", "class_coverage", "evaluate_model",
           "evaluate_real", "frechet_distance", "gaussian_fit", "importance_weighted", "judge_outputs",
           "judge_predictions", "judge_score", "load_judge", "memorisation", "nearest_distances",
           "precision_recall", "train_judge"]  # fmt: skip

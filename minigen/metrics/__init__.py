"""Measuring generative models: a judge classifier and what it says of the samples.

- :mod:`.judge`: a small CNN classifier trained by minigen (the "judge"), and the share
  of generated images it puts in the class they were asked for (conditional models).
"""

from .judge import Judge, class_accuracy, judge_predictions, train_judge

__all__ = ["Judge", "class_accuracy", "judge_predictions", "train_judge"]

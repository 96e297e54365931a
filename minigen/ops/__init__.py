"""Differentiable functions, one file per family. Each is a :class:`minigen.tensor.Function`
subclass (forward and backward side by side) plus a small public function that applies it."""

"""``torch.backends.cudnn``'s switches, accepted so that PyTorch scripts run unchanged.

minigen does not call cuDNN: convolutions are im2col + matmul on NumPy or CuPy, with one fixed algorithm,
so ``benchmark`` and ``deterministic`` change nothing and ``is_available()`` is False.
"""

benchmark = False
deterministic = False
enabled = True


def is_available() -> bool:
    """False: minigen's convolutions never use cuDNN."""
    return False


def version() -> None:
    """None, as PyTorch reports when cuDNN is not available."""
    return None

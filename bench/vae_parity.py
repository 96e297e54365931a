"""The 784-400-20 MLP VAE on the embedded MNIST: minigen against PyTorch, same start, same batches.

    python bench/vae_parity.py [--epochs 10] [--seed 0] [--threads N]

Both models start from the same weights (minigen's state dict copied into an
equivalent ``torch.nn`` model with the same key names), see the same batches in
the same order (first 4,500 images to train, shuffled by one NumPy generator,
batch 128; last 500 to test), and train with Adam (lr 1e-3) for 10 epochs, in
float32. Two runs:

* "same noise": every batch's epsilon (the reparameterisation noise) is drawn
  once on the host and given to both, so the two runs differ only by floating
  point rounding;
* "own noise": each library draws its own epsilon (minigen.random.randn,
  torch.randn), as in real use; the gap then includes sampling noise.

Printed: each run's test loss (the negative ELBO per image: BCE summed over
pixels plus KL, with one fixed epsilon per test image shared by both models),
the relative difference (target: within 2%), and the training time per epoch
(the median over epochs; the two libraries alternate epoch by epoch, so a
busy machine slows both alike). NumPy's BLAS threads follow OMP_NUM_THREADS.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402
import torch  # noqa: E402

import minigen  # noqa: E402
from minigen import optim  # noqa: E402
from minigen.data import load_dataset  # noqa: E402
from minigen.models import MLPVAE  # noqa: E402

BATCH, LR, LATENT, HIDDEN = 128, 1e-3, 20, 400


class TorchVAE(torch.nn.Module):
    """The PyTorch twin of ``MLPVAE((1, 28, 28), 20, hidden=(400,))``: same layers, same state-dict keys."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, HIDDEN), nn.ReLU())
        self.fc_mu = nn.Linear(HIDDEN, LATENT)
        self.fc_logvar = nn.Linear(HIDDEN, LATENT)
        self.decoder = nn.Sequential(
            nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 784), nn.Unflatten(1, (1, 28, 28))
        )

    def loss(self, x: torch.Tensor, eps: torch.Tensor | None) -> torch.Tensor:
        h = self.encoder(x)
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        eps = torch.randn_like(mu) if eps is None else eps
        logits = self.decoder(mu + torch.exp(0.5 * logvar) * eps)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kl) / x.shape[0]


def minigen_loss(model: MLPVAE, x: minigen.Tensor, eps: np.ndarray | None) -> minigen.Tensor:
    """The negative ELBO per image, ``model.loss(x)[0]``, with epsilon taken from ``eps`` when given."""
    return model.loss(x, eps=None if eps is None else minigen.tensor(eps))[0]


def batches(n: int, epochs: int, seed: int) -> list[list[np.ndarray]]:
    """The shuffled batch indices of every epoch, from one seeded generator."""
    rng = np.random.default_rng(seed)
    return [np.array_split(order, range(BATCH, n, BATCH)) for order in (rng.permutation(n) for _ in range(epochs))]


def run(same_noise: bool, epochs: int, seed: int, train: np.ndarray, test: np.ndarray) -> dict[str, float]:
    minigen.manual_seed(seed)
    torch.manual_seed(seed)
    model = MLPVAE((1, 28, 28), latent_dim=LATENT, hidden=(HIDDEN,))
    twin = TorchVAE()
    twin.load_state_dict({key: torch.from_numpy(value.numpy().copy()) for key, value in model.state_dict().items()})
    opt = optim.Adam(model.parameters(), lr=LR)
    twin_opt = torch.optim.Adam(twin.parameters(), lr=LR)

    noise = np.random.default_rng(seed + 1)
    schedule = batches(len(train), epochs, seed)
    seconds: dict[str, list[float]] = {"minigen": [], "torch": []}
    for epoch in schedule:
        epoch_eps = [noise.standard_normal((len(index), LATENT), dtype=np.float32) for index in epoch]
        start = time.perf_counter()
        for index, eps in zip(epoch, epoch_eps):
            opt.zero_grad()
            loss = minigen_loss(model, minigen.tensor(train[index]), eps if same_noise else None)
            loss.backward()
            opt.step()
        seconds["minigen"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for index, eps in zip(epoch, epoch_eps):
            twin_opt.zero_grad()
            loss = twin.loss(torch.from_numpy(train[index]), torch.from_numpy(eps) if same_noise else None)
            loss.backward()
            twin_opt.step()
        seconds["torch"].append(time.perf_counter() - start)

    test_eps = np.random.default_rng(seed + 2).standard_normal((len(test), LATENT), dtype=np.float32)
    with minigen.no_grad():
        ours = minigen_loss(model, minigen.tensor(test), test_eps).item()
    with torch.no_grad():
        theirs = twin.loss(torch.from_numpy(test), torch.from_numpy(test_eps)).item()
    return {
        "minigen": ours,
        "torch": theirs,
        "relative": abs(ours - theirs) / abs(theirs),
        "minigen_s": statistics.median(seconds["minigen"]),
        "torch_s": statistics.median(seconds["torch"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    def pixels(split: str) -> np.ndarray:
        images, _ = load_dataset("mnist-embedded", split=split)
        return (images.astype(np.float32) / 255).reshape(-1, 1, 28, 28)

    train, test = pixels("train"), pixels("test")
    print(
        f"784-{HIDDEN}-{LATENT} VAE, embedded MNIST {len(train)} train / {len(test)} test, batch {BATCH}, "
        f"Adam lr {LR}, {args.epochs} epochs, float32; {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, numpy {np.__version__}"
    )
    print(
        f"{'noise':<11}{'minigen test loss':>19}{'torch test loss':>17}{'rel. diff':>11}"
        f"{'minigen s/epoch':>17}{'torch s/epoch':>15}"
    )
    for same_noise in (True, False):
        r = run(same_noise, args.epochs, args.seed, train, test)
        print(
            f"{'same' if same_noise else 'own':<11}{r['minigen']:>19.3f}{r['torch']:>17.3f}{r['relative']:>10.2%}"
            f"{r['minigen_s']:>17.3f}{r['torch_s']:>15.3f}"
        )


if __name__ == "__main__":
    main()

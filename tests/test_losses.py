"""Losses: gradient checks (float64, every device) and PyTorch parity (values and gradients)."""

import numpy as np
import pytest

import minigen
from minigen.nn import losses as L

REDUCTIONS = ["mean", "sum", "none"]


def leaf(array, device, requires_grad=True):
    return minigen.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, device=device)


def torch_leaf(torch, array, requires_grad=True):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def assert_parity(ours, theirs, our_leaves, their_leaves, atol=1e-12, grad_rtol=1e-10):
    """Same values, and the same gradients of sum(weights * loss) with respect to each leaf."""
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=atol)
    weights = np.random.default_rng(1).standard_normal(ours.shape)
    (ours * minigen.tensor(weights, device=ours.device)).sum().backward()
    (theirs * theirs.new_tensor(weights)).sum().backward()
    for mine, reference in zip(our_leaves, their_leaves):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=grad_rtol, atol=atol)


# ------------------------------------------------------------------------------ gradcheck
def test_mse_gradcheck(device):
    rng = np.random.default_rng(0)
    x, t = leaf(rng.standard_normal((3, 4)), device), leaf(rng.standard_normal((3, 4)), device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(lambda a, b, r=reduction: L.mse_loss(a, b, reduction=r), x, t)


def test_bce_gradcheck(device):
    rng = np.random.default_rng(0)
    p, t = leaf(rng.uniform(0.05, 0.95, (3, 4)), device), leaf(rng.uniform(0, 1, (3, 4)), device)
    w = leaf(rng.uniform(0.5, 2, (4,)), device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(lambda a, b, r=reduction: L.binary_cross_entropy(a, b, reduction=r), p, t)
    minigen.gradcheck(lambda a, b, c: L.binary_cross_entropy(a, b, weight=c), p, t, w)


def test_bce_with_logits_gradcheck(device):
    rng = np.random.default_rng(0)
    x, t = leaf(rng.standard_normal((3, 4)) * 4, device), leaf(rng.uniform(0, 1, (3, 4)), device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(lambda a, b, r=reduction: L.binary_cross_entropy_with_logits(a, b, reduction=r), x, t)


def test_cross_entropy_gradcheck(device):
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((5, 3)), device)
    labels = minigen.tensor(np.array([0, 2, 1, 2, 0]), device=device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(lambda a, r=reduction: L.cross_entropy(a, labels, reduction=r), x)
    spatial = leaf(rng.standard_normal((2, 3, 2, 2)), device)
    spatial_labels = minigen.tensor(rng.integers(0, 3, (2, 2, 2)), device=device)
    minigen.gradcheck(lambda a: L.cross_entropy(a, spatial_labels, reduction="none"), spatial)


def test_gaussian_kl_gradcheck(device):
    rng = np.random.default_rng(0)
    mu, logvar = leaf(rng.standard_normal((3, 4)), device), leaf(rng.standard_normal((3, 4)), device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(lambda a, b, r=reduction: L.gaussian_kl(a, b, reduction=r), mu, logvar)


# ----------------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_matches_torch(torch, reduction):
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    ours, theirs = [leaf(x, "cpu"), leaf(t, "cpu")], [torch_leaf(torch, x), torch_leaf(torch, t)]
    assert_parity(
        L.mse_loss(*ours, reduction=reduction),
        torch.nn.functional.mse_loss(*theirs, reduction=reduction),
        ours, theirs,
    )  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch_including_0_and_1(torch, reduction):
    # probabilities at, and within a hair of, both ends: the clamp at -100 and the 1e-12 floor matter here
    p = np.array([[0.0, 1e-300, 1e-12, 0.3], [0.5, 1 - 1e-12, 1 - 1e-16, 1.0]])
    t = np.array([[0.0, 1.0, 0.2, 0.7], [1.0, 0.0, 0.4, 1.0]])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    ours, theirs = [leaf(p, "cpu")], [torch_leaf(torch, p)]
    assert_parity(
        L.binary_cross_entropy(ours[0], t, weight=w, reduction=reduction),
        torch.nn.functional.binary_cross_entropy(
            theirs[0], torch.tensor(t), weight=torch.tensor(w), reduction=reduction
        ),
        # PyTorch's 1e-12 floor on x (1 - x) is a float32 constant (9.99999996e-13), ours is 1e-12 exactly:
        # the saturated gradients (~1e12) differ by 4e-9 relative
        ours, theirs, atol=1e-9, grad_rtol=1e-8,
    )  # fmt: skip


def test_bce_target_gradient_matches_torch(torch):
    rng = np.random.default_rng(3)
    p, t = rng.uniform(0.01, 0.99, (3, 4)), rng.uniform(0, 1, (3, 4))
    ours, theirs = [leaf(p, "cpu"), leaf(t, "cpu")], [torch_leaf(torch, p), torch_leaf(torch, t)]
    assert_parity(L.binary_cross_entropy(*ours), torch.nn.functional.binary_cross_entropy(*theirs), ours, theirs)


def test_bce_is_finite_at_0_and_1():
    p = leaf([0.0, 1.0, 0.0, 1.0], "cpu")
    loss = L.binary_cross_entropy(p, np.array([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad.numpy()).all()


def test_bce_refuses_values_outside_0_1():
    with pytest.raises(ValueError, match=r"probability in \[0, 1\].*with_logits"):
        L.binary_cross_entropy(leaf([0.5, 1.5], "cpu"), np.array([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch_at_100(torch, reduction):
    x = np.array([[-100.0, 100.0, -30.0, 0.0], [2.5, -1.0, 100.0, -100.0]])
    t = np.array([[1.0, 0.0, 0.3, 0.5], [1.0, 0.0, 1.0, 0.0]])
    ours, theirs = [leaf(x, "cpu"), leaf(t, "cpu")], [torch_leaf(torch, x), torch_leaf(torch, t)]
    loss = L.binary_cross_entropy_with_logits(*ours, reduction=reduction)
    assert np.isfinite(loss.numpy()).all()
    assert_parity(
        loss, torch.nn.functional.binary_cross_entropy_with_logits(*theirs, reduction=reduction), ours, theirs
    )


def test_bce_with_logits_is_exact_at_100():
    x = leaf([100.0, -100.0, 100.0, -100.0], "cpu")
    loss = L.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0, 0.0]), reduction="none")
    # log(1 + e^100) = 100 + log(1 + e^-100) = 100 (to double precision); the right answers give e^-100
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, np.exp(-100.0), np.exp(-100.0)], rtol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(torch, reduction):
    rng = np.random.default_rng(4)
    for shape, label_shape in [((6, 4), (6,)), ((2, 3, 4, 5), (2, 4, 5))]:
        x, labels = rng.standard_normal(shape) * 3, rng.integers(0, shape[1], label_shape)
        ours, theirs = [leaf(x, "cpu")], [torch_leaf(torch, x)]
        assert_parity(
            L.cross_entropy(ours[0], labels, reduction=reduction),
            torch.nn.functional.cross_entropy(theirs[0], torch.tensor(labels), reduction=reduction),
            ours, theirs,
        )  # fmt: skip


def test_cross_entropy_checks_labels():
    x = leaf(np.zeros((2, 3)), "cpu")
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        L.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        L.cross_entropy(x, np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer"):
        L.cross_entropy(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        L.cross_entropy(x, np.array([0, 1, 2]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_kl_matches_closed_form_in_torch(torch, reduction):
    rng = np.random.default_rng(5)
    mu, logvar = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    ours, theirs = [leaf(mu, "cpu"), leaf(logvar, "cpu")], [torch_leaf(torch, mu), torch_leaf(torch, logvar)]
    # torch.distributions computes KL(N(mu, sigma) || N(0, 1)) independently of our formula
    normal = torch.distributions.Normal
    per_sample = torch.distributions.kl_divergence(
        normal(theirs[0], torch.exp(0.5 * theirs[1])), normal(torch.zeros(4, 3), torch.ones(4, 3))
    ).sum(dim=1)
    reference = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    assert_parity(L.gaussian_kl(*ours, reduction=reduction), reference, ours, theirs, atol=1e-11)


def test_gaussian_kl_is_zero_for_the_prior():
    zeros = leaf(np.zeros((2, 5)), "cpu")
    assert L.gaussian_kl(zeros, zeros, reduction="sum").item() == 0.0


def test_shape_mismatch_and_bad_reduction_are_refused():
    x = leaf(np.zeros((4, 1)), "cpu")
    with pytest.raises(ValueError, match=r"target of shape \(4,\) for an input of shape \(4, 1\)"):
        L.mse_loss(x, np.zeros(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        L.mse_loss(x, np.zeros((4, 1)), reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        L.MSELoss(reduction="batchmean")


# ----------------------------------------------------------------------------- Modules
def test_loss_modules_match_functions(device):
    rng = np.random.default_rng(6)
    x, t = leaf(rng.standard_normal((3, 2)), device), leaf(rng.uniform(0, 1, (3, 2)), device)
    p = leaf(rng.uniform(0.1, 0.9, (3, 2)), device)
    weight = minigen.tensor(np.array([1.0, 3.0]), device=device)
    labels = minigen.tensor(np.array([1, 0, 1]), device=device)
    cases = [
        (L.MSELoss(reduction="sum"), x, t, L.mse_loss(x, t, reduction="sum")),
        (L.BCELoss(weight=weight), p, t, L.binary_cross_entropy(p, t, weight=weight)),
        (L.BCEWithLogitsLoss(reduction="none"), x, t, L.binary_cross_entropy_with_logits(x, t, reduction="none")),
        (L.CrossEntropyLoss(), x, labels, L.cross_entropy(x, labels)),
    ]
    for module, a, b, expected in cases:
        np.testing.assert_allclose(module(a, b).numpy(), expected.numpy(), rtol=1e-15)
    assert repr(L.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    assert repr(L.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_float32_stays_float32(device):
    x = minigen.tensor(np.array([[0.5, -2.0]], dtype=np.float32), requires_grad=True, device=device)
    t = np.array([[1.0, 0.0]], dtype=np.float32)
    for loss in (L.mse_loss(x, t), L.binary_cross_entropy_with_logits(x, t), L.cross_entropy(x, np.array([1]))):
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32

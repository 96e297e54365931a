"""Losses: gradient checks (float64, every device) and PyTorch parity (values and gradients)."""

import numpy as np
import pytest

import minigen
from minigen import functional as F
from minigen import nn
from minigen.nn.activation import LogSoftmax, Softmax
from minigen.ops import losses as L

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


def test_bce_with_logits_pos_weight_gradcheck(device):
    rng = np.random.default_rng(0)
    x, t = leaf(rng.standard_normal((3, 4)) * 4, device), leaf(rng.uniform(0, 1, (3, 4)), device)
    pos_weight, weight = leaf(rng.uniform(0.5, 3, (4,)), device), leaf(rng.uniform(0.5, 2, (3, 1)), device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(
            lambda a, b, p, w, r=reduction: L.binary_cross_entropy_with_logits(a, b, w, r, pos_weight=p),
            x, t, pos_weight, weight,
        )  # fmt: skip


def test_cross_entropy_weight_ignore_index_label_smoothing_gradcheck(device):
    # the class weights are differentiated too: the weighted mean divides by a sum of them
    rng = np.random.default_rng(0)
    x, weight = leaf(rng.standard_normal((6, 3)), device), leaf(rng.uniform(0.5, 2, (3,)), device)
    labels = minigen.tensor(np.array([0, 2, -100, 1, 2, 0]), device=device)
    for reduction in REDUCTIONS:
        for smoothing in (0.0, 0.3):
            minigen.gradcheck(
                lambda a, w, r=reduction, e=smoothing: L.cross_entropy(a, labels, w, reduction=r, label_smoothing=e),
                x, weight,
            )  # fmt: skip
    spatial = leaf(rng.standard_normal((2, 3, 2, 2)), device)
    spatial_labels = minigen.tensor(np.array([[[0, 1], [2, 1]], [[1, 1], [0, 2]]]), device=device)
    minigen.gradcheck(lambda a: L.cross_entropy(a, spatial_labels, ignore_index=1, label_smoothing=0.1), spatial)


def test_nll_loss_gradcheck(device):
    rng = np.random.default_rng(0)
    log_probs, weight = leaf(rng.standard_normal((5, 3)), device), leaf(rng.uniform(0.5, 2, (3,)), device)
    labels = minigen.tensor(np.array([2, 0, 1, 2, 1]), device=device)
    for reduction in REDUCTIONS:
        minigen.gradcheck(
            lambda a, w, r=reduction: L.nll_loss(a, labels, w, ignore_index=2, reduction=r), log_probs, weight
        )


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


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_pos_weight_matches_torch(torch, reduction):
    x = np.array([[-100.0, 100.0, -30.0, 0.0], [2.5, -1.0, 100.0, -100.0], [0.3, -0.7, 1.2, 4.0]])
    t = np.array([[1.0, 0.0, 0.3, 0.5], [1.0, 0.0, 1.0, 0.0], [0.2, 0.9, 0.0, 1.0]])
    pos_weight, weight = np.array([0.5, 2.0, 3.0, 1.0]), np.array([[1.0], [0.5], [2.0]])
    # PyTorch differentiates neither weight nor pos_weight (ours does both: see the gradcheck above)
    ours, theirs = [leaf(x, "cpu"), leaf(t, "cpu")], [torch_leaf(torch, x), torch_leaf(torch, t)]
    loss = L.binary_cross_entropy_with_logits(*ours, weight, reduction, pos_weight=pos_weight)
    assert np.isfinite(loss.numpy()).all()
    reference = torch.nn.functional.binary_cross_entropy_with_logits(
        *theirs, torch.tensor(weight), reduction=reduction, pos_weight=torch.tensor(pos_weight)
    )
    assert_parity(loss, reference, ours, theirs, atol=1e-11)


def test_bce_with_logits_pos_weight_is_exact_at_100():
    x = leaf([100.0, -100.0, 100.0, -100.0], "cpu")
    pos_weight = minigen.tensor([3.0, 3.0, 3.0, 3.0], dtype="float64")
    loss = L.binary_cross_entropy_with_logits(
        x, np.array([0.0, 1.0, 1.0, 0.0]), reduction="none", pos_weight=pos_weight
    )
    # 3 (-log sigmoid) for the positives, -log(1 - sigmoid) for the negatives: the small ones are e^-100, not 0
    np.testing.assert_allclose(loss.numpy(), [100.0, 300.0, 3 * np.exp(-100.0), np.exp(-100.0)], rtol=1e-15)


CLASS_WEIGHT = np.array([0.5, 2.0, 1.5, 1.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_options_match_torch(torch, reduction, smoothing, weighted):
    rng = np.random.default_rng(7)
    weight = CLASS_WEIGHT if weighted else None
    for shape, label_shape in [((7, 4), (7,)), ((2, 4, 3, 2), (2, 3, 2))]:
        x, labels = rng.standard_normal(shape) * 3, rng.integers(0, shape[1], label_shape)
        labels.reshape(-1)[[1, 4]] = -100  # PyTorch's default ignore_index
        for ignore_index, target in [(-100, labels), (2, np.where(labels < 0, 2, labels))]:
            ours, theirs = [leaf(x, "cpu")], [torch_leaf(torch, x)]
            assert_parity(
                L.cross_entropy(ours[0], target, weight, ignore_index, reduction, label_smoothing=smoothing),
                torch.nn.functional.cross_entropy(
                    theirs[0], torch.tensor(target), None if weight is None else torch.tensor(weight),
                    ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing,
                ),
                ours, theirs,
            )  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(torch, reduction):
    rng = np.random.default_rng(8)
    for shape, label_shape in [((6, 4), (6,)), ((2, 4, 3), (2, 3))]:
        log_probs, labels = rng.standard_normal(shape), rng.integers(0, shape[1], label_shape)
        labels.reshape(-1)[0] = -100
        for weight in (None, CLASS_WEIGHT):
            ours, theirs = [leaf(log_probs, "cpu")], [torch_leaf(torch, log_probs)]
            torch_weight = None if weight is None else torch.tensor(weight)
            assert_parity(
                L.nll_loss(ours[0], labels, weight, reduction=reduction),
                torch.nn.functional.nll_loss(theirs[0], torch.tensor(labels), torch_weight, reduction=reduction),
                ours, theirs,
            )  # fmt: skip


def test_cross_entropy_label_smoothing_gradient_is_softmax_minus_smoothed_target():
    rng = np.random.default_rng(9)
    x, labels, eps = leaf(rng.standard_normal((5, 4)), "cpu"), np.array([0, 3, 1, 1, 2]), 0.2
    L.cross_entropy(x, labels, reduction="sum", label_smoothing=eps).backward()
    probabilities = np.exp(x.numpy()) / np.exp(x.numpy()).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), probabilities - ((1 - eps) * np.eye(4)[labels] + eps / 4), atol=1e-15)


def test_nll_loss_ignores_minus_infinity_at_ignored_targets():
    log_probs = leaf([[-np.inf, -0.5], [-1.0, -np.inf]], "cpu")
    loss = L.nll_loss(log_probs, np.array([-100, 0]))  # row 0 is ignored: its -inf must not make nan
    assert loss.item() == 1.0
    loss.backward()
    np.testing.assert_array_equal(log_probs.grad.numpy(), [[0.0, 0.0], [-1.0, 0.0]])


def test_cross_entropy_every_target_ignored_is_nan_as_in_torch(torch):
    x = np.random.default_rng(10).standard_normal((3, 4))
    everything_ignored = np.full(3, -100)
    reference = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(everything_ignored))
    assert torch.isnan(reference)
    with np.errstate(invalid="ignore"):
        assert np.isnan(L.cross_entropy(leaf(x, "cpu"), everything_ignored).item())
    assert L.cross_entropy(leaf(x, "cpu"), everything_ignored, reduction="sum").item() == 0.0


def test_weights_and_options_are_checked():
    x = leaf(np.zeros((2, 3)), "cpu")
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) for 3 classes; expected \(3,\)"):
        L.cross_entropy(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"nll_loss: weight of shape \(3, 1\)"):
        L.nll_loss(x, np.array([0, 1]), weight=np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        L.cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got -0.1"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)
    with pytest.raises(ValueError, match=r"in \[0, 3\) for 3 classes, or equal ignore_index=5; got labels from -100"):
        L.cross_entropy(x, np.array([-100, 1]), ignore_index=5)
    logits = leaf(np.zeros((4, 3)), "cpu")
    with pytest.raises(
        ValueError, match=r"pos_weight of shape \(4,\) does not broadcast to the input's shape \(4, 3\)"
    ):
        L.binary_cross_entropy_with_logits(logits, np.zeros((4, 3)), pos_weight=np.ones(4))
    column = leaf(np.zeros((4, 1)), "cpu")
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) does not broadcast to the input's shape \(4, 1\)"):
        L.binary_cross_entropy_with_logits(column, np.zeros((4, 1)), weight=np.ones(4))  # would make (4, 4)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight of shape \(2, 4, 1\)"):
        L.binary_cross_entropy(column, np.zeros((4, 1)), weight=np.ones((2, 4, 1)))


def test_softmax_dim_and_its_axis_alias():
    x = leaf(np.random.default_rng(11).standard_normal((2, 3)), "cpu")
    by_dim, by_axis = F.softmax(x, dim=0), x.softmax(axis=0)
    np.testing.assert_array_equal(by_dim.numpy(), by_axis.numpy())
    np.testing.assert_allclose(by_dim.numpy().sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(F.log_softmax(x, 0, axis=0).numpy(), x.log_softmax(dim=0).numpy())  # agreeing
    with pytest.raises(TypeError, match="got dim=1 and axis=0; axis is an alias of dim"):
        F.softmax(x, dim=1, axis=0)
    with pytest.raises(ValueError, match=r"log_softmax: dim=2 is not an axis of a tensor of shape \(2, 3\)"):
        x.log_softmax(2)
    with pytest.raises(ValueError, match=r"softmax: dim=\(0, 1\)"):
        F.softmax(x, dim=(0, 1))
    assert repr(Softmax(dim=1)) == "Softmax(dim=1)" and repr(LogSoftmax()) == "LogSoftmax(dim=-1)"


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
        nn.MSELoss(reduction="batchmean")


# ----------------------------------------------------------------------------- Modules
def test_loss_modules_match_functions(device):
    rng = np.random.default_rng(6)
    x, t = leaf(rng.standard_normal((3, 2)), device), leaf(rng.uniform(0, 1, (3, 2)), device)
    p = leaf(rng.uniform(0.1, 0.9, (3, 2)), device)
    weight = minigen.tensor(np.array([1.0, 3.0]), device=device)
    labels = minigen.tensor(np.array([1, 0, 1]), device=device)
    cases = [
        (nn.MSELoss(reduction="sum"), x, t, L.mse_loss(x, t, reduction="sum")),
        (nn.BCELoss(weight=weight), p, t, L.binary_cross_entropy(p, t, weight=weight)),
        (nn.BCEWithLogitsLoss(reduction="none"), x, t, L.binary_cross_entropy_with_logits(x, t, reduction="none")),
        (nn.CrossEntropyLoss(), x, labels, L.cross_entropy(x, labels)),
        (
            nn.BCEWithLogitsLoss(weight=weight, pos_weight=minigen.tensor(np.array([2.0, 0.5]), device=device)),
            x,
            t,
            L.binary_cross_entropy_with_logits(x, t, weight, pos_weight=np.array([2.0, 0.5])),
        ),
        (
            nn.CrossEntropyLoss(weight=weight, ignore_index=0, reduction="sum", label_smoothing=0.1),
            x,
            labels,
            L.cross_entropy(x, labels, weight, 0, "sum", 0.1),
        ),
        (nn.NLLLoss(weight=weight, ignore_index=1), x, labels, L.nll_loss(x, labels, weight, ignore_index=1)),
    ]
    for module, a, b, expected in cases:
        np.testing.assert_allclose(module(a, b).numpy(), expected.numpy(), rtol=1e-15)
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss()"  # PyTorch shows no reduction
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    module = nn.BCEWithLogitsLoss(pos_weight=minigen.tensor([2.0, 0.5]))
    assert "pos_weight" in module.state_dict() and "weight" not in module.state_dict()  # buffers, as in PyTorch


def test_float32_stays_float32(device):
    x = minigen.tensor(np.array([[0.5, -2.0]], dtype=np.float32), requires_grad=True, device=device)
    t = np.array([[1.0, 0.0]], dtype=np.float32)
    losses = (
        L.mse_loss(x, t), L.binary_cross_entropy_with_logits(x, t), L.cross_entropy(x, np.array([1])),
        L.binary_cross_entropy_with_logits(x, t, pos_weight=[2.0, 1.0]),
        L.cross_entropy(x, np.array([1]), weight=[1.0, 3.0], label_smoothing=0.1),
    )  # fmt: skip
    for loss in losses:
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32

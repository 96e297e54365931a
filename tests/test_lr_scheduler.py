"""Learning-rate schedulers: the same rates as PyTorch's, epoch by epoch; exact resumption; bad settings refused."""

import math
import pickle

import numpy as np
import pytest

import minigen
from minigen import optim
from minigen.optim import lr_scheduler

LRS = (0.1, 0.02)  # two parameter groups with their own rates


def halving(epoch):
    return 0.5 ** (epoch // 4)


def warmup(epoch):
    return min(1.0, (epoch + 1) / 5)


class Warmup:
    """A callable object: LambdaLR saves its __dict__ (unlike a function's)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


SCHEDULERS = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=5, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[2, 5, 11], gamma=0.5)),
    ("MultiStepLR", dict(milestones=[8, 3, 8])),  # unsorted, and 8 twice: gamma**2 there, as PyTorch's Counter
    ("ExponentialLR", dict(gamma=0.9)),
    ("ExponentialLR", dict(gamma=1.05)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),  # seven half-cycles in 50 epochs: past each bottom
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=halving)),
    ("LambdaLR", dict(lr_lambda=[warmup, lambda epoch: 0.95**epoch])),
    ("LambdaLR", dict(lr_lambda=Warmup(12))),  # still warming up when resumed at epoch 7
]


def _label(value):
    if isinstance(value, list):
        return ",".join(map(_label, value))
    return getattr(value, "__name__", type(value).__name__ if callable(value) else str(value))


IDS = [f"{name}-{'-'.join(f'{k}={_label(v)}' for k, v in kwargs.items())}" for name, kwargs in SCHEDULERS]
EPOCHS = 50


def groups(module, make):
    return [{"params": [make(np.ones(2))]}, {"params": [make(np.ones(3))], "lr": LRS[1]}]


def minigen_optimizer(lr=LRS[0]):
    return optim.SGD(groups(minigen, lambda a: minigen.tensor(a, requires_grad=True)), lr=lr, momentum=0.9)


def rates(optimizer, scheduler, epochs):
    """The groups' rates after construction and after each of ``epochs`` scheduler steps."""
    seen = [[group["lr"] for group in optimizer.param_groups]]
    assert scheduler.get_last_lr() == seen[-1]
    for _ in range(epochs):
        optimizer.step()  # no gradients: nothing moves, but PyTorch wants the optimizer stepped first
        scheduler.step()
        seen.append([group["lr"] for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == seen[-1]
    return seen


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=IDS)
def test_rates_match_torch_epoch_by_epoch(torch, name, kwargs):
    ours = minigen_optimizer()
    theirs = torch.optim.SGD(groups(torch, lambda a: torch.tensor(a, requires_grad=True)), lr=LRS[0], momentum=0.9)
    our_scheduler = getattr(lr_scheduler, name)(ours, **kwargs)
    their_scheduler = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    assert [g["initial_lr"] for g in ours.param_groups] == list(LRS) == our_scheduler.base_lrs
    assert our_scheduler.last_epoch == their_scheduler.last_epoch == 0
    mine, reference = rates(ours, our_scheduler, EPOCHS), rates(theirs, their_scheduler, EPOCHS)
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=0)
    assert our_scheduler.last_epoch == their_scheduler.last_epoch == EPOCHS
    assert len({tuple(r) for r in mine}) > 1  # the schedule does change the rates


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=IDS)
def test_continuing_with_last_epoch_matches_torch(torch, name, kwargs):
    """PyTorch's other way to resume: groups that hold 'initial_lr', and last_epoch given."""
    ours = minigen_optimizer()
    theirs = torch.optim.SGD(groups(torch, lambda a: torch.tensor(a, requires_grad=True)), lr=LRS[0], momentum=0.9)
    for optimizer in (ours, theirs):
        for group, lr in zip(optimizer.param_groups, (0.07, 0.03)):
            group["initial_lr"], group["lr"] = group["lr"], lr
    mine = rates(ours, getattr(lr_scheduler, name)(ours, last_epoch=5, **kwargs), 20)
    reference = rates(theirs, getattr(torch.optim.lr_scheduler, name)(theirs, last_epoch=5, **kwargs), 20)
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=IDS)
def test_state_dicts_resume_exactly(name, kwargs):
    straight_optimizer = minigen_optimizer()
    straight = rates(straight_optimizer, getattr(lr_scheduler, name)(straight_optimizer, **kwargs), 20)

    optimizer = minigen_optimizer()
    scheduler = getattr(lr_scheduler, name)(optimizer, **kwargs)
    first = rates(optimizer, scheduler, 7)
    saved = pickle.dumps((optimizer.state_dict(), scheduler.state_dict()))  # as to a file: no lambdas in it
    if name == "LambdaLR" and isinstance(kwargs["lr_lambda"], Warmup):
        kwargs = dict(lr_lambda=Warmup(1))  # its saved __dict__ (epochs=12) must be restored

    resumed_optimizer = minigen_optimizer(lr=123.0)  # the rates must come from the state dicts
    resumed = getattr(lr_scheduler, name)(resumed_optimizer, **kwargs)  # built before loading, as PyTorch advises
    optimizer_state, scheduler_state = pickle.loads(saved)
    resumed_optimizer.load_state_dict(optimizer_state)
    resumed.load_state_dict(scheduler_state)
    assert resumed.last_epoch == 7 and resumed.get_last_lr() == first[-1]
    assert first + rates(resumed_optimizer, resumed, 13)[1:] == straight


def test_two_schedulers_on_one_optimizer_match_torch(torch):
    """The second keeps the 'initial_lr' the first stored (setdefault), so its base rates are the original ones."""
    ours = minigen_optimizer()
    theirs = torch.optim.SGD(groups(torch, lambda a: torch.tensor(a, requires_grad=True)), lr=LRS[0], momentum=0.9)
    our_schedulers = [lr_scheduler.LambdaLR(ours, warmup), lr_scheduler.CosineAnnealingLR(ours, T_max=4)]
    their_schedulers = [
        torch.optim.lr_scheduler.LambdaLR(theirs, warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=4),
    ]
    assert our_schedulers[1].base_lrs == list(LRS)
    for _ in range(20):
        for optimizer, schedulers in ((ours, our_schedulers), (theirs, their_schedulers)):
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
        mine, reference = ([g["lr"] for g in o.param_groups] for o in (ours, theirs))
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=0)


def test_lambda_state_dict_leaves_functions_out():
    state = lr_scheduler.LambdaLR(minigen_optimizer(), [halving, Warmup(3)]).state_dict()
    assert state["lr_lambdas"] == [None, {"epochs": 3}]
    assert "optimizer" not in state and state["last_epoch"] == 0 and state["base_lrs"] == list(LRS)


def test_the_optimizer_steps_with_the_scheduled_rate(torch):
    """SGD reads group['lr'] at each step: the parameters follow PyTorch's under a schedule."""
    ours = minigen.tensor([1.0, -2.0], requires_grad=True, dtype="float64")
    theirs = torch.tensor([1.0, -2.0], requires_grad=True)
    our_optimizer, their_optimizer = optim.SGD([ours], lr=0.5), torch.optim.SGD([theirs], lr=0.5)
    our_scheduler = lr_scheduler.StepLR(our_optimizer, step_size=2, gamma=0.1)
    their_scheduler = torch.optim.lr_scheduler.StepLR(their_optimizer, step_size=2, gamma=0.1)
    for _ in range(5):
        ours.grad = minigen.tensor(ours.numpy() ** 3)
        theirs.grad = theirs.detach() ** 3
        our_optimizer.step()
        their_optimizer.step()
        our_scheduler.step()
        their_scheduler.step()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-14)
    assert not np.allclose(ours.numpy(), [1.0, -2.0])


def test_get_last_lr_is_a_copy_and_the_cosine_closed_form_holds():
    optimizer = minigen_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)
    scheduler.get_last_lr()[0] = 5.0
    assert optimizer.param_groups[0]["lr"] == LRS[0]
    for epoch in range(1, 31):
        scheduler.step()
        expected = 0.01 + (LRS[0] - 0.01) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert abs(scheduler.get_last_lr()[0] - expected) < 1e-12, epoch
    assert "CosineAnnealingLR(last_epoch=30" in repr(scheduler)


def _optimizer():
    return optim.SGD([minigen.tensor([1.0], requires_grad=True)], lr=0.1)


BAD = [
    ("StepLR step_size 0", lambda: lr_scheduler.StepLR(_optimizer(), 0), ValueError, r"StepLR: invalid step_size=0"),
    ("StepLR step_size 1.5", lambda: lr_scheduler.StepLR(_optimizer(), 1.5), ValueError, r"=1\.5 \(expected an int"),
    ("StepLR gamma < 0", lambda: lr_scheduler.StepLR(_optimizer(), 2, -0.1), ValueError, r"StepLR: invalid gamma=-0"),
    ("ExponentialLR nan", lambda: lr_scheduler.ExponentialLR(_optimizer(), math.nan), ValueError, r"invalid gamma=nan"),
    ("ExponentialLR no gamma", lambda: lr_scheduler.ExponentialLR(_optimizer()), TypeError, r"gamma"),
    ("Cosine T_max 0", lambda: lr_scheduler.CosineAnnealingLR(_optimizer(), 0), ValueError, r"invalid T_max=0"),
    ("Cosine eta_min", lambda: lr_scheduler.CosineAnnealingLR(_optimizer(), 5, -1e-3), ValueError, r"eta_min=-0\.001"),
    ("MultiStep negative", lambda: lr_scheduler.MultiStepLR(_optimizer(), [3, -1]), ValueError, r"milestone=-1"),
    ("MultiStep gamma 0", lambda: lr_scheduler.MultiStepLR(_optimizer(), [3], 0), ValueError, r"gamma=0 \(expected"),
    ("Lambda count", lambda: lr_scheduler.LambdaLR(_optimizer(), [halving] * 2), ValueError, r"expected 1 lr_lambdas"),
    ("Lambda number", lambda: lr_scheduler.LambdaLR(_optimizer(), 0.5), TypeError, r"must be a function"),
    ("not an optimizer", lambda: lr_scheduler.StepLR(object(), 3), TypeError, r"object is not an Optimizer"),
    ("last_epoch fresh", lambda: lr_scheduler.StepLR(_optimizer(), 3, last_epoch=4), KeyError, r"no 'initial_lr'"),
    ("last_epoch -2", lambda: lr_scheduler.StepLR(_optimizer(), 3, last_epoch=-2), ValueError, r"last_epoch=-2"),
    ("load garbage", lambda: lr_scheduler.StepLR(_optimizer(), 3).load_state_dict([1]), ValueError, r"got list"),
]


@pytest.mark.parametrize("name, make, error, match", BAD, ids=[b[0] for b in BAD])
def test_bad_settings_are_refused_in_one_line(name, make, error, match):
    with pytest.raises(error, match=match) as caught:
        make()
    assert "\n" not in str(caught.value)


def test_the_module_is_reachable_as_in_torch():
    assert optim.lr_scheduler.StepLR is lr_scheduler.StepLR
    assert issubclass(lr_scheduler.CosineAnnealingLR, lr_scheduler.LRScheduler)

"""Forward and backward of every case in op_cases.py match PyTorch in float64."""

import numpy as np
import pytest
from op_cases import CASES

import minigen as mg
from minigen import backend


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matches_pytorch(case, device, torch):
    arrays = case.arrays(seed=1)
    ours = [mg.Tensor(backend.to_device(a, device), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    output, expected = case.minigen(*ours), case.torch(*theirs)
    np.testing.assert_allclose(output.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)

    weights = np.random.default_rng(2).standard_normal(expected.shape)  # dL/d(output)
    output.backward(mg.tensor(weights, device=device))
    expected.backward(torch.tensor(weights))
    for position, (mine, reference) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(
            mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"gradient of input {position}"
        )

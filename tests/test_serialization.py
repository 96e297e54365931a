"""Checkpoints: round trips, atomic writes, refusal of pickles and of broken files, devices."""

import builtins
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import minigen
from minigen import backend, nn, optim
from minigen.serialization import CheckpointError, load, save


def nested_checkpoint():
    rng = np.random.default_rng(7)
    rng.standard_normal(3)  # a state other than the seed's
    return {
        "model": {
            "fc.weight": minigen.tensor(rng.standard_normal((3, 2)).astype(np.float32)),
            "fc.bias": minigen.tensor(rng.standard_normal(3), requires_grad=True),
        },
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": minigen.tensor(np.ones(2)), "momentum_buffer": None}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1]}],
        },
        "epoch": 3,
        "rng": rng.bit_generator.state,  # PCG64: 128-bit integers
        "big": -(2**200),
        "raw": np.arange(6, dtype=np.int32).reshape(2, 3),
        "mask": np.array([True, False]),
        "scalar_array": np.array(2.5),
        "empty_array": np.zeros((0, 4), dtype=np.float32),
        "numpy_scalar": np.float32(0.25),
        "name": "dcgan",
        "unicode": "épreuve ✓",
        "nothing": None,
        "floats": [0.1, float("inf"), -0.0],
        "nested": [[1, [2, (3, "x")]], {}],
        "$dollar": {"$tensor": "not a tensor"},
        "odd keys": {1: "int", 2.5: "float", None: "none", (1, "a"): "tuple", False: "bool"},
        "file": np.ones(1),  # a name numpy.savez would refuse (it clashes with its own argument)
    }


def test_nested_round_trip(tmp_path):
    original = nested_checkpoint()
    path = tmp_path / "checkpoint.npz"
    save(original, path)
    loaded = load(path)

    assert set(loaded) == set(original)
    weight = loaded["model"]["fc.weight"]
    assert isinstance(weight, minigen.Tensor) and weight.dtype == np.float32 and not weight.requires_grad
    np.testing.assert_array_equal(weight.numpy(), original["model"]["fc.weight"].numpy())
    assert loaded["model"]["fc.bias"].requires_grad and loaded["model"]["fc.bias"].dtype == np.float64
    state = loaded["optimizer"]["state"]
    assert list(state) == [0] and state[0]["step"] == 3 and state[0]["momentum_buffer"] is None
    assert loaded["optimizer"]["param_groups"] == [
        {"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1]}
    ]
    for key in ("raw", "mask", "scalar_array", "empty_array", "file"):
        assert type(loaded[key]) is np.ndarray  # raw arrays stay raw arrays
        assert loaded[key].dtype == original[key].dtype and loaded[key].shape == original[key].shape
        np.testing.assert_array_equal(loaded[key], original[key])
    for key in ("epoch", "big", "name", "unicode", "nothing", "nested", "$dollar", "odd keys", "rng"):
        assert loaded[key] == original[key], key
    assert loaded["numpy_scalar"] == 0.25
    assert loaded["floats"][:2] == [0.1, float("inf")] and np.signbit(loaded["floats"][2])

    # the 128-bit generator state restores the same stream
    restored = np.random.default_rng()
    restored.bit_generator.state = loaded["rng"]
    expected = np.random.default_rng()
    expected.bit_generator.state = original["rng"]
    np.testing.assert_array_equal(restored.standard_normal(5), expected.standard_normal(5))


def test_the_file_is_a_plain_npz(tmp_path):
    path = tmp_path / "ckpt"  # no extension added
    save({"model": {"w": minigen.tensor([1.0, 2.0])}, "epoch": 1}, path)
    assert os.listdir(tmp_path) == ["ckpt"]
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["0", "__structure__"]  # arrays are numbered; keys stay in the structure
        assert archive["__structure__"].dtype == np.uint8
        np.testing.assert_array_equal(archive["0"], [1.0, 2.0])


def test_save_refuses_what_it_cannot_store_without_pickling(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['a'\]\[1\] is a set"):
        save({"a": [1, {2}]}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="array of Python objects"):
        save({"a": np.array([{}, []], dtype=object)}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1, "w": np.ones(3)}, path)

    def failing_replace(source, destination):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        save({"epoch": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["checkpoint.npz"]  # no temporary file left behind
    previous = load(path)
    assert previous["epoch"] == 1
    np.testing.assert_array_equal(previous["w"], np.ones(3))


class _LeavesAMark:
    """An object whose unpickling creates a file: proof that a loader ran pickled code."""

    def __init__(self, mark):
        self.mark = str(mark)

    def __reduce__(self):
        return (builtins.open, (self.mark, "w"))


def test_pickled_npz_is_refused_without_unpickling(tmp_path):
    mark = tmp_path / "unpickled"
    path = tmp_path / "evil.npz"
    np.savez(path, weights=np.array([_LeavesAMark(mark)], dtype=object))
    with pytest.raises(CheckpointError, match=r"evil\.npz: entry 'weights' holds pickled Python objects"):
        load(path)
    assert not mark.exists()


def test_plain_pickle_is_refused_without_unpickling(tmp_path):
    mark = tmp_path / "unpickled"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": _LeavesAMark(mark)}))
    with pytest.raises(CheckpointError, match=r"model\.pkl is not a minigen checkpoint: not an \.npz"):
        load(path)
    assert not mark.exists()


def test_broken_and_foreign_files_are_refused(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(CheckpointError, match="garbage.npz is not a minigen checkpoint"):
        load(garbage)

    good = tmp_path / "good.npz"
    save({"w": np.arange(1000.0), "epoch": 1}, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated.npz is truncated or corrupt"):
        load(truncated)

    corrupted = tmp_path / "corrupted.npz"
    data = bytearray(good.read_bytes())
    data[len(data) // 3] ^= 0xFF  # one flipped byte inside the array's data: the zip CRC catches it
    corrupted.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted.npz is truncated or corrupt"):
        load(corrupted)

    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, w=np.ones(2))
    with pytest.raises(CheckpointError, match="foreign.npz is an .npz archive but not a minigen checkpoint"):
        load(foreign)

    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")
    assert zipfile.is_zipfile(good)


def test_device_round_trip(tmp_path, device):
    weight = minigen.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device=device)
    path = tmp_path / "checkpoint.npz"
    save({"w": weight, "raw": np.arange(3), "step": 4}, path)  # saved from the device
    for target in ("cpu", device):
        loaded = load(path, device=target)
        assert loaded["w"].device == target and loaded["w"].dtype == np.float32
        np.testing.assert_array_equal(loaded["w"].numpy(), weight.numpy())
        assert type(loaded["raw"]) is np.ndarray and loaded["step"] == 4


def train_steps(model, optimizer, steps):
    for _ in range(steps):
        x = minigen.randn(4, 3)
        loss = (model(x) * model(x)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_training_resumes_exactly_from_a_checkpoint(tmp_path):
    """Model, optimizer and random state saved after 3 steps; 3 more steps match an uninterrupted run."""
    minigen.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.5, 0.999))
    train_steps(model, optimizer, 3)
    path = tmp_path / "checkpoint.npz"
    save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
         "rng": minigen.random.get_rng_state()},
        path,
    )  # fmt: skip
    train_steps(model, optimizer, 3)

    minigen.manual_seed(123)  # a different start, overwritten by the checkpoint
    resumed = nn.Linear(3, 2)
    resumed_optimizer = optim.Adam(resumed.parameters())
    checkpoint = load(path)
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    minigen.random.set_rng_state(checkpoint["rng"])
    assert checkpoint["epoch"] == 3
    train_steps(resumed, resumed_optimizer, 3)
    for (name, mine), reference in zip(resumed.state_dict().items(), model.state_dict().values()):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy(), err_msg=name)


# ------------------------------------------------------------------ torch.save / torch.load's face
def small_training_state():
    minigen.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    train_steps(model, optimizer, 2)
    return model, optimizer


@pytest.mark.parametrize("name", ["model.pt", "ckpt.pth", "weights", "state.tar"])
def test_pytorch_file_names_are_written_as_given(tmp_path, name):
    model, optimizer = small_training_state()
    path = tmp_path / name
    minigen.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 2}, path)
    assert os.listdir(tmp_path) == [name]  # no ".npz" appended, no temporary left
    with np.load(path, allow_pickle=False) as archive:  # an .npz under any name
        assert "__structure__" in archive.files
    checkpoint = minigen.load(path, map_location="cpu", weights_only=True)
    restored = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    restored.load_state_dict(checkpoint["model"])
    optim.Adam(restored.parameters()).load_state_dict(checkpoint["optimizer"])
    for (key, mine), theirs in zip(restored.state_dict().items(), model.state_dict().values()):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy(), err_msg=key)
    assert checkpoint["epoch"] == 2 and minigen.load(str(path), weights_only=False)["epoch"] == 2


def test_save_and_load_through_file_objects(tmp_path):
    buffer = io.BytesIO()
    minigen.save({"w": minigen.tensor([1.0, 2.0]), "n": 3}, buffer)
    buffer.seek(0)
    loaded = minigen.load(buffer)
    np.testing.assert_array_equal(loaded["w"].numpy(), [1.0, 2.0])
    assert loaded["n"] == 3
    with open(tmp_path / "f.pt", "wb") as file:
        minigen.save([minigen.zeros(2)], file)
    with open(tmp_path / "f.pt", "rb") as file:
        assert minigen.load(file)[0].shape == (2,)
    with pytest.raises(CheckpointError, match=r"^<file object> is not a minigen checkpoint"):
        minigen.load(io.BytesIO(b"not a checkpoint"))


def test_map_location_forms(tmp_path, device):
    path = tmp_path / "ckpt.pt"
    save({"w": minigen.tensor([1.0, 2.0], device=device), "cpu": minigen.tensor([3.0])}, path)
    where = {name: t.device for name, t in load(path).items()}
    assert where == {"w": "cpu", "cpu": "cpu"}  # None: the CPU, whatever the saved device
    for target in ("cpu", device, minigen.device(device), backend.get_device(device)):
        assert {t.device for t in load(path, map_location=target).values()} == {device if target != "cpu" else "cpu"}
    assert load(path, device=device)["w"].device == device  # the older keyword

    saved_as = "cuda:0" if device == "cuda" else device  # as PyTorch names the location
    moved = load(path, map_location={saved_as: "cpu"})
    assert moved["w"].device == "cpu" and moved["cpu"].device == "cpu"
    kept = load(path, map_location={"cpu": "cpu"})  # unmapped locations stay where they were saved
    assert kept["w"].device == device

    seen = []

    def on_cpu(storage, location):
        seen.append(location)
        return storage

    assert load(path, map_location=on_cpu)["w"].device == "cpu" and sorted(seen) == sorted([saved_as, "cpu"])
    assert load(path, map_location=lambda storage, location: storage.to(device))["cpu"].device == device
    assert load(path, map_location=lambda storage, location: None)["w"].device == device  # None: the saved device
    np.testing.assert_array_equal(load(path, map_location=on_cpu)["w"].numpy(), [1.0, 2.0])

    def broken(storage, location):
        raise ZeroDivisionError("the user's own error")

    with pytest.raises(ZeroDivisionError, match="the user's own error"):  # not hidden behind "malformed"
        load(path, map_location=broken)
    with pytest.raises(TypeError, match="map_location returned a str"):
        load(path, map_location=lambda storage, location: "cpu")
    with pytest.raises(TypeError, match="map_location must be a device"):
        load(path, map_location=3)
    with pytest.raises(TypeError, match="give one"):
        load(path, map_location="cpu", device="cpu")
    with pytest.raises(TypeError, match="weights_only must be a bool"):
        load(path, weights_only="yes")


@pytest.mark.skipif(backend.cuda_is_available(), reason="checks the message on a machine without CUDA")
def test_map_location_cuda_without_a_gpu_fails_before_reading(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"w": minigen.zeros(2)}, path)
    for target in ("cuda", "cuda:0", minigen.device("cuda")):
        with pytest.raises(RuntimeError, match="device 'cuda' requested but CUDA is not usable"):
            load(path, map_location=target)


def test_pytorch_checkpoints_are_refused_without_unpickling_and_say_how_to_convert(tmp_path, torch):
    mark = tmp_path / "unpickled"
    state = {"weight": torch.ones(2, 3), "evil": _LeavesAMark(mark)}
    zipped, legacy = tmp_path / "model.pt", tmp_path / "legacy.pth"
    torch.save(state, zipped)
    torch.save(state, legacy, _use_new_zipfile_serialization=False)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    cases = [(zipped, r"model\.pt is a PyTorch checkpoint \(torch\.save's zip of pickles\)"),
             (legacy, r"legacy\.pth is not a minigen checkpoint: .* PyTorch checkpoint in torch\.save's legacy pickle"),
             (buffer, r"<file object> is a PyTorch checkpoint")]  # fmt: skip
    for source, message in cases:
        with pytest.raises(CheckpointError, match=message) as error:
            minigen.load(source)
        text = str(error.value)
        assert "\n" not in text and "never unpickles" in text and "minigen.save(torch.load(" in text
    assert not mark.exists()


def test_the_suggested_conversion_of_a_pytorch_state_dict_works(tmp_path, torch):
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    torch_model(torch.randn(5, 3))  # moves the running statistics
    torch.save(torch_model.state_dict(), tmp_path / "model.pt")
    with pytest.raises(CheckpointError) as error:
        minigen.load(tmp_path / "model.pt")
    assert f"torch.load('{tmp_path / 'model.pt'}', map_location='cpu', weights_only=True)" in str(error.value)

    minigen.save(torch.load(tmp_path / "model.pt", map_location="cpu", weights_only=True), tmp_path / "model.pt.npz")
    state = minigen.load(tmp_path / "model.pt.npz")
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    model.load_state_dict(state)
    assert isinstance(state["1.num_batches_tracked"], minigen.Tensor) and state["1.num_batches_tracked"].item() == 1
    for key, value in torch_model.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    with pytest.raises(TypeError, match="torch tensor of dtype torch.bfloat16"):
        minigen.save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "x.pt")


def test_a_plain_pickle_says_what_it_is(tmp_path):
    path = tmp_path / "data.pkl"
    path.write_bytes(pickle.dumps({"w": [1, 2]}, protocol=4))
    with pytest.raises(CheckpointError, match=r"not an \.npz \(zip\) archive: it is a Python pickle, and minigen"):
        load(path)

"""Hostile and unlucky files: crafted checkpoints, awkward keys, interrupted writes and downloads.

A file from elsewhere is data, not a program: whatever it declares, loading it gives the object or a
one-line error, never a huge allocation, a MemoryError or a traceback. An interrupted write leaves the
previous file and no temporary behind, and temporaries left by a killed process are collected.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import urllib.request
import zipfile

import numpy as np
import pytest

import minigen
from minigen import nn, serialization
from minigen.data import download
from minigen.serialization import CheckpointError, load, save
from minigen.train import ConfigError, TrainConfig, load_checkpoint, model_from_checkpoint
from minigen.train.checkpoint import CHECKPOINT_FORMAT

MB = 1 << 20


# --------------------------------------------------------------------------- crafting archives
def npy_header(shape, descr="<f4", fortran_order=False):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran_order, "shape": shape})
    return buffer.getvalue()


def structure(root):
    text = json.dumps({"format": "minigen-checkpoint", "version": 1, "root": root}).encode()
    return npy_header((len(text),), "|u1") + text


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """``members``: name -> bytes, or name -> an iterable of byte chunks (streamed, for large members)."""
    with zipfile.ZipFile(path, "w", compression=compression, allowZip64=True) as archive:
        for name, content in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in [content] if isinstance(content, bytes) else content:
                    member.write(chunk)
    return path


def load_measured(path, **kwargs):
    """``load(path)`` under tracemalloc: (the error it raised, the peak of traced memory in bytes)."""
    tracemalloc.start()
    try:
        load(path, **kwargs)
    except Exception as error:  # noqa: BLE001  (the test looks at the kind of error)
        caught = error
    else:
        caught = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return caught, peak


def assert_one_line(error, kind, *parts):
    assert isinstance(error, kind), f"{type(error).__name__}: {error}"
    message = str(error)
    assert "\n" not in message, message
    for part in parts:
        assert part in message, message


# --------------------------------------------------------------------------- 1. declared sizes
def test_an_array_declaring_a_billion_elements_is_refused_before_allocating(tmp_path):
    path = write_zip(tmp_path / "liar.npz", {
        "__structure__.npy": structure({"w": {"$tensor": "w"}}),
        "w.npy": npy_header((10**9,)) + b"\0" * 16,  # declares 4 GB, holds 16 bytes
    })  # fmt: skip
    error, peak = load_measured(path)
    assert_one_line(error, CheckpointError, "liar.npz", "'w'", "(1000000000,)", "4000000000 bytes", "16")
    assert peak < 10 * MB


def test_a_zip_bomb_is_refused_unless_allowed(tmp_path):
    count = 16 * MB  # float32 zeros: 64 MB that deflate to about 64 KB
    chunks = [npy_header((count,))] + [bytes(MB)] * (count * 4 // MB)
    path = write_zip(tmp_path / "bomb.npz", {
        "__structure__.npy": structure({"w": {"$array": "w"}}),
        "w.npy": chunks,
    }, compression=zipfile.ZIP_DEFLATED)  # fmt: skip
    assert path.stat().st_size < MB
    error, peak = load_measured(path)
    assert_one_line(error, CheckpointError, "bomb.npz", "max_bytes", str(count * 4))
    assert peak < 10 * MB
    assert load(path, max_bytes=100 * MB)["w"].shape == (count,)  # a caller who trusts the file may allow it


def test_an_entry_holding_more_data_than_it_declares_is_refused(tmp_path):
    path = write_zip(tmp_path / "padded.npz", {
        "__structure__.npy": structure({"w": {"$array": "w"}}),
        "w.npy": npy_header((3,)) + bytes(100),
    })  # fmt: skip
    with pytest.raises(CheckpointError, match=r"padded\.npz: entry 'w' declares .* \(3,\) \(12 bytes\)"):
        load(path)


@pytest.mark.parametrize(
    ("root", "what"),
    [
        ("[" * 100_000 + "]" * 100_000, "deep nesting"),
        ({"$dict": 5}, "a $dict that is not a list of pairs"),
        ({"$tensor": ["w"]}, "an array reference that is not a name"),
        ({"$dict": [[[1, 2], "list key"]]}, "an unhashable key"),
    ],
)
def test_a_malformed_structure_is_a_checkpoint_error(tmp_path, root, what):
    if isinstance(root, str):  # raw JSON text
        text = ('{"format": "minigen-checkpoint", "version": 1, "root": ' + root + "}").encode()
        entry = npy_header((len(text),), "|u1") + text
    else:
        entry = structure(root)
    path = write_zip(tmp_path / "odd.npz", {"__structure__.npy": entry})
    with pytest.raises(CheckpointError, match=r"odd\.npz") as error:
        load(path)
    assert "\n" not in str(error.value), what


def fake_checkpoint(path, config, model=None):
    save({"format": CHECKPOINT_FORMAT, "config": json.dumps(config), "model": model or {}, "optimizers": {},
          "epoch": 0, "step": 0, "rng": "{}", "loader": {}, "history": {}}, path)  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ({"latent_dim": 10**9}, "latent_dim"),
        ({"latent_dim": 1e9}, "latent_dim"),
        ({"latent_dim": True}, "latent_dim"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"model": "no-such-model"}, "no-such-model"),
        ({"model": ["vae"]}, "model"),
        ({"batch_size": -3}, "batch_size"),
        ({"dataset": {"a": 1}}, "dataset"),
    ],
)
def test_a_checkpoint_whose_config_is_out_of_range_is_refused_on_loading(tmp_path, setting, shown):
    path = fake_checkpoint(tmp_path / "checkpoint.npz", {**json.loads(TrainConfig().to_json()), **setting})
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as error:
            load_checkpoint(path)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert_one_line(error.value, ConfigError, str(path), shown)
    assert peak < 50 * MB


def test_weights_that_do_not_fit_the_config_name_the_key_and_both_shapes(tmp_path):
    config = TrainConfig(model="vae", latent_dim=4)
    weights = minigen.models.build_model("vae", (1, 28, 28), latent_dim=8).state_dict()
    path = fake_checkpoint(tmp_path / "checkpoint.npz", json.loads(config.to_json()), weights)
    state = load_checkpoint(path)
    with pytest.raises(ConfigError) as error:
        model_from_checkpoint(state, (1, 28, 28))
    assert_one_line(error.value, ConfigError, "do not fit a 'vae' model", "fc_mu.weight", "(8, 512)", "(4, 512)")

    del weights[next(iter(weights))]
    path = fake_checkpoint(tmp_path / "missing.npz", json.loads(TrainConfig(latent_dim=8).to_json()), weights)
    with pytest.raises(ConfigError) as error:
        model_from_checkpoint(load_checkpoint(path), (1, 28, 28))
    assert_one_line(error.value, ConfigError, "do not fit a 'vae' model", "Missing", "encoder.1.weight")


# --------------------------------------------------------------------------- 2. awkward keys
AWKWARD_KEYS = [
    "a", "a.npy", ".npy", "a.npy.npy", "", "/", "a/b", "a//b", "/a", "../../etc/passwd", "C:\\x", "a\\b",
    "\0", "a\0b", "a\0", "__structure__", "__structure__.npy", "0", "1", "root", "root#2", "w#2",
    "é✓ 文字", "\ud800", "\U0001f600", "x" * 70_000, " ", "\n", "$tensor", "$dict", "$", "a.b.c", "..",
]  # fmt: skip


@pytest.mark.parametrize("keys", [("a.npy", "a"), ("a", "a.npy"), ("a\0b",), ("a\0", "a")])
def test_the_reported_keys_round_trip(tmp_path, keys):
    original = {key: np.full(3, i) for i, key in enumerate(keys)}
    save(original, tmp_path / "keys.npz")
    loaded = load(tmp_path / "keys.npz")
    assert list(loaded) == list(keys)
    for key in keys:
        np.testing.assert_array_equal(loaded[key], original[key], err_msg=repr(key))


def test_every_string_key_round_trips(tmp_path):
    original = {key: np.full(2, i, dtype=np.int32) for i, key in enumerate(AWKWARD_KEYS)}
    original["a"] = {"b": np.full(2, -1), "npy": minigen.tensor([-2.0])}  # "a" / "b" against the key "a/b"
    original["nested"] = {key: minigen.tensor([float(i)]) for i, key in enumerate(AWKWARD_KEYS)}
    path = tmp_path / "keys.npz"
    save(original, path)
    loaded = load(path)
    assert list(loaded) == list(original)
    for key in AWKWARD_KEYS[1:]:
        np.testing.assert_array_equal(loaded[key], original[key], err_msg=repr(key[:20]))
        np.testing.assert_array_equal(loaded["nested"][key].numpy(), original["nested"][key].numpy())
    np.testing.assert_array_equal(loaded["a"]["b"], [-1, -1])
    np.testing.assert_array_equal(loaded["a"]["npy"].numpy(), [-2.0])


def test_a_key_that_cannot_be_stored_is_named(tmp_path):
    with pytest.raises(TypeError, match=r"a dict key at obj\['x'\] is a frozenset"):
        save({"x": {frozenset(): 1}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"a dict key at obj\['x'\] is an array"):
        save({"x": {(1, minigen.tensor([1.0])): 1}}, tmp_path / "x.npz")  # as refused outside a tuple
    assert os.listdir(tmp_path) == []


def test_files_of_the_first_layout_still_load(tmp_path):
    """Version-1 files named their entries after their place ("model/w"); they still load."""
    path = write_zip(tmp_path / "old.npz", {
        "__structure__.npy": structure({"model": {"w": {"$tensor": "model/w"}}, "epoch": 2}),
        "model/w.npy": npy_header((2,), "<f8") + np.array([1.0, 2.0]).tobytes(),
    })  # fmt: skip
    loaded = load(path)
    assert loaded["epoch"] == 2
    np.testing.assert_array_equal(loaded["model"]["w"].numpy(), [1.0, 2.0])


# --------------------------------------------------------------------------- 3. load_state_dict
def test_load_state_dict_refuses_what_is_not_a_mapping():
    with pytest.raises(TypeError, match="load_state_dict expects a mapping .*, got NoneType"):
        nn.Linear(2, 3).load_state_dict(None)


def test_load_state_dict_of_an_empty_dict_lists_every_missing_key():
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "weight", "bias"'):
        nn.Linear(2, 3).load_state_dict({})
    assert nn.Linear(2, 3).load_state_dict({}, strict=False) == (["weight", "bias"], [])


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        (np.array(["a", "b", "c"]), "dtype <U1"),
        ([[1.0], [2.0, 3.0]], "bias"),
        (np.array([1 + 2j, 0, 0]), "complex128"),
        ({"not": "an array"}, "bias"),
    ],
)
def test_load_state_dict_refuses_unusable_values_and_changes_nothing(bad, shown):
    layer = nn.Linear(2, 3)
    before = layer.weight.numpy().copy()
    state = {"weight": np.zeros((3, 2)), "bias": bad}
    with pytest.raises(RuntimeError) as error:
        layer.load_state_dict(state)
    assert "bias" in str(error.value) and shown in str(error.value)
    np.testing.assert_array_equal(layer.weight.numpy(), before)  # all or nothing


# --------------------------------------------------------------------------- 4. interrupted writes
def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


def test_ctrl_c_during_a_save_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1, "w": np.ones(3)}, path)
    seen = []

    def interrupted(*args, **kwargs):
        seen.extend(os.listdir(tmp_path))
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    temporaries = [name for name in seen if name != "checkpoint.npz"]
    assert len(temporaries) == 1 and temporaries[0].startswith(f".checkpoint.npz.{os.getpid()}.")
    assert temporaries[0].endswith(".tmp")
    assert os.listdir(tmp_path) == ["checkpoint.npz"]
    assert load(path)["epoch"] == 1


def make_old(path, seconds=7200):
    path.write_bytes(b"half a file")
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_stale_checkpoint_temporaries_are_removed(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save({"epoch": 1}, path)
    dead = tmp_path / f".checkpoint.npz.{dead_pid()}.0123abcd.tmp"  # its writer was killed
    dead.write_bytes(b"half a file")
    old_layout = make_old(tmp_path / ".checkpoint.npz.89abcdef.tmp")  # written before the pid was in the name
    # this pid, but before this process began: a container restarts its trainer with the same pid
    previous_life = make_old(tmp_path / f".checkpoint.npz.{os.getpid()}.fedcba98.tmp")
    mine_now = tmp_path / f".checkpoint.npz.{os.getpid()}.00000000.tmp"  # another thread of this process, writing
    mine_now.write_bytes(b"being written")
    other = tmp_path / f".other.npz.{dead_pid()}.0123abcd.tmp"  # another target's: left to that target
    other.write_bytes(b"x")
    unrelated = make_old(tmp_path / "notes.tmp")  # not a minigen temporary
    removed = serialization.remove_stale_temporaries(path)
    assert sorted(removed) == sorted([dead, old_layout, previous_life])
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (path, mine_now, other, unrelated))
    assert load(path)["epoch"] == 1

    assert serialization.remove_stale_temporaries(tmp_path) == [other]  # a folder: every target's in it
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (path, mine_now, unrelated))


class FakeResponse:
    """What urlopen returns: ``read`` gives ``chunks`` one by one, then calls ``after`` (which may raise)."""

    def __init__(self, chunks, after=None):
        self.chunks, self.after = list(chunks), after

    def read(self, size=-1):
        if self.chunks:
            return self.chunks.pop(0)
        if self.after:
            self.after()
        return b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def checksum(body):
    import hashlib

    return "sha256:" + hashlib.sha256(body).hexdigest()


def test_ctrl_c_during_a_download_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    seen = []

    def interrupt():
        seen.extend(os.listdir(tmp_path / "toy"))
        raise KeyboardInterrupt

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse([b"half"], interrupt))
    with pytest.raises(KeyboardInterrupt):
        download.fetch("a.bin", checksum(b"half and half"), ["http://127.0.0.1:9/"], subdir="toy")
    assert len(seen) == 1 and seen[0].startswith(f".a.bin.{os.getpid()}.") and seen[0].endswith(".part")
    assert os.listdir(tmp_path / "toy") == []


def test_a_download_first_removes_partial_files_of_killed_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    folder = tmp_path / "toy"
    folder.mkdir()
    dead = folder / f".a.bin.{dead_pid()}.0123abcd.part"
    dead.write_bytes(b"half")
    old_layout = make_old(folder / "a.bin.k2j_9x0q.part")  # tempfile.mkstemp's name, before the pid was in it
    another = folder / f".b.bin.{dead_pid()}.0123abcd.part"  # another file's: left to its own download
    another.write_bytes(b"x")
    body = b"the whole file"
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse([body]))
    path = download.fetch("a.bin", checksum(body), ["http://127.0.0.1:9/"], subdir="toy")
    assert path.read_bytes() == body
    assert sorted(os.listdir(folder)) == sorted(["a.bin", another.name])  # dead and old_layout are gone
    assert not dead.exists() and not old_layout.exists()
    assert download.remove_stale_partials(folder / "b.bin") == [another]

"""Datasets: IDX and CIFAR parsing, the download cache (against a local web server), the embedded MNIST.

Nothing here touches the internet: every download goes to a server on 127.0.0.1
that serves small files the tests generate.
"""

import gzip
import hashlib
import http.server
import io
import socket
import struct
import tarfile
import threading

import numpy as np
import pytest

from minigen.data import (
    DATASET_NAMES,
    CifarFormatError,
    DownloadError,
    IdxFormatError,
    class_names,
    data_dir,
    load_dataset,
    read_idx,
    sources,
)
from minigen.data.download import fetch, parse_checksum

# --------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX, written out by hand (independent of the reader)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class FileServer:
    """A web server on 127.0.0.1 serving ``files`` (URL path -> bytes) and logging each request."""

    def __init__(self, files: dict):
        self.files, self.requests = files, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    files = {}
    file_server = FileServer(files)
    yield file_server
    file_server.close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own empty cache, and no proxy stands between it and 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


# --------------------------------------------------------------------------- IDX


def test_read_idx_round_trip_plain_and_gzip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "images.idx").write_bytes(idx_bytes(images))
    (tmp_path / "images.idx.gz").write_bytes(gzip.compress(idx_bytes(images)))
    for name in ("images.idx", "images.idx.gz"):
        loaded = read_idx(tmp_path / name)
        assert loaded.dtype == np.uint8 and loaded.shape == (2, 3, 4)
        np.testing.assert_array_equal(loaded, images)


def test_read_idx_big_endian_int32(tmp_path):
    values = np.array([1, -2, 70000], dtype=">i4")
    path = tmp_path / "ints.idx"
    path.write_bytes(struct.pack(">HBBI", 0, 0x0C, 1, 3) + values.tobytes())
    loaded = read_idx(path)
    assert loaded.dtype == np.int32
    np.testing.assert_array_equal(loaded, [1, -2, 70000])


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "too short"),
        (b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00", "magic"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "magic"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "3 dimensions"),
        (idx_bytes(np.zeros((2, 3), np.uint8))[:-1], "truncated"),
        (idx_bytes(np.zeros((2, 3), np.uint8)) + b"\x00", "truncated"),
    ],
)
def test_read_idx_rejects_corrupt_files_naming_them(tmp_path, raw, message):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(IdxFormatError, match=message) as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_rejects_bad_gzip(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(b"definitely not gzip")
    with pytest.raises(IdxFormatError, match="gzip") as error:
        read_idx(path)
    assert str(path) in str(error.value)


# --------------------------------------------------------------------------- download cache


def test_parse_checksum():
    assert parse_checksum("MD5:ABC") == ("md5", "abc")
    with pytest.raises(ValueError, match="md5:<hex>"):
        parse_checksum("crc32:1234")


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("MINIGEN_DATA")
    assert data_dir().parts[-2:] == (".cache", "minigen")


def test_download_then_cache_hit(server, isolated_cache):
    body = b"hello digits"
    server.files["/m/a.bin"] = body
    path = fetch("a.bin", sha256(body), [server.url + "/m/"], subdir="toy")
    assert path == isolated_cache / "toy" / "a.bin"
    assert path.read_bytes() == body
    assert server.requests == ["/m/a.bin"]

    again = fetch("a.bin", sha256(body), [server.url + "/m/"], subdir="toy")
    assert again == path
    assert server.requests == ["/m/a.bin"]  # served from the cache: the server was not contacted
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.bin"]  # no temp files left


def test_bad_checksum_is_rejected_and_nothing_is_cached(server, isolated_cache):
    server.files["/a.bin"] = b"tampered"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch("a.bin", md5(b"original"), [server.url])
    assert list(isolated_cache.iterdir()) == []  # neither the file nor a temp file


@pytest.mark.parametrize("first_mirror_fails_by", ["404", "closed port"])
def test_next_mirror_is_tried_when_one_fails(server, closed_port_url, first_mirror_fails_by):
    body = b"only on the second mirror"
    server.files["/good/a.bin"] = body
    first = server.url + "/missing/" if first_mirror_fails_by == "404" else closed_port_url
    path = fetch("a.bin", md5(body), [first, server.url + "/good/"])
    assert path.read_bytes() == body


def test_corrupt_cached_file_is_fetched_again(server, isolated_cache):
    body = b"the real content"
    server.files["/a.bin"] = body
    (isolated_cache / "toy").mkdir(parents=True)
    (isolated_cache / "toy" / "a.bin").write_bytes(b"the real cont")  # a truncated earlier download
    path = fetch("a.bin", sha256(body), [server.url], subdir="toy")
    assert path.read_bytes() == body
    assert server.requests == ["/a.bin"]


def test_offline_error_is_one_line_naming_file_urls_and_destination(server, closed_port_url, isolated_cache):
    mirrors = [closed_port_url, server.url + "/nowhere/"]
    with pytest.raises(DownloadError) as error:
        fetch("a.bin", md5(b"x"), mirrors, subdir="toy")
    message = str(error.value)
    assert "\n" not in message
    assert "a.bin" in message
    assert closed_port_url + "a.bin" in message and server.url + "/nowhere/a.bin" in message
    assert "HTTP 404" in message
    assert str(isolated_cache / "toy" / "a.bin") in message


# --------------------------------------------------------------------------- load_dataset with downloads


def test_load_mnist_from_local_mirror(server, monkeypatch, closed_port_url):
    rng = np.random.default_rng(0)
    files = {}
    for prefix, count in (("train", 6), ("t10k", 4)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(rng.integers(0, 256, (count, 28, 28))))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(rng.integers(0, 10, count)))
    server.files.update({f"/mnist/{name}": body for name, body in files.items()})
    monkeypatch.setitem(
        sources.SOURCES,
        "mnist",
        sources.Source("mnist", [closed_port_url, server.url + "/mnist/"], {n: md5(b) for n, b in files.items()}),
    )
    images, labels = load_dataset("mnist", split="test")
    assert images.shape == (4, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (4,) and labels.dtype == np.int64
    expected = np.frombuffer(gzip.decompress(files["t10k-images-idx3-ubyte.gz"])[16:], np.uint8)
    np.testing.assert_array_equal(images.reshape(-1), expected)
    assert load_dataset("mnist", split="train")[0].shape == (6, 28, 28)


def test_load_mnist_rejects_mismatched_image_and_label_counts(server, monkeypatch):
    files = {
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(np.zeros((3, 28, 28)))),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.zeros(2))),
    }
    server.files.update({f"/{name}": body for name, body in files.items()})
    monkeypatch.setitem(
        sources.SOURCES, "mnist", sources.Source("mnist", [server.url], {n: md5(b) for n, b in files.items()})
    )
    with pytest.raises(ValueError, match=r"t10k-images.*\(3, 28, 28\) and \(2,\)"):
        load_dataset("mnist", split="test")


def cifar_archive(batches: dict) -> bytes:
    """A tiny cifar-10-binary.tar.gz holding ``batches`` (member name -> (images, labels))."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, (images, labels) in batches.items():
            records = np.concatenate([labels[:, None].astype(np.uint8), images.reshape(len(images), -1)], axis=1)
            data = records.tobytes()
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_load_cifar10_from_binary_archive(server, monkeypatch):
    rng = np.random.default_rng(1)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    batches = {name: (rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, 2)) for name in names}
    archive = cifar_archive(batches)
    server.files["/kriz/cifar-10-binary.tar.gz"] = archive
    monkeypatch.setitem(
        sources.SOURCES,
        "cifar10",
        sources.Source("cifar10", [server.url + "/kriz/"], {"cifar-10-binary.tar.gz": md5(archive)}),
    )
    images, labels = load_dataset("cifar10", split="train")
    assert images.shape == (10, 3, 32, 32) and images.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(images[:2], batches["data_batch_1.bin"][0])  # channel planes kept apart
    np.testing.assert_array_equal(labels[8:], batches["data_batch_5.bin"][1])
    test_images, _ = load_dataset("cifar10", split="test")
    np.testing.assert_array_equal(test_images, batches["test_batch.bin"][0])
    assert server.requests == ["/kriz/cifar-10-binary.tar.gz"]


def test_cifar10_archive_without_its_batches_is_rejected(server, monkeypatch):
    archive = cifar_archive({"test_batch.bin": (np.zeros((1, 3, 32, 32), np.uint8), np.zeros(1, np.int64))})
    server.files["/cifar-10-binary.tar.gz"] = archive
    monkeypatch.setitem(
        sources.SOURCES, "cifar10", sources.Source("cifar10", [server.url], {"cifar-10-binary.tar.gz": md5(archive)})
    )
    with pytest.raises(CifarFormatError, match="data_batch_1.bin"):
        load_dataset("cifar10", split="train")


def test_published_checksums_are_well_formed():
    for source in sources.SOURCES.values():
        assert source.mirrors
        for checksum in source.checksums.values():
            algorithm, digest = parse_checksum(checksum)
            assert len(digest) == {"md5": 32, "sha256": 64}[algorithm]
            int(digest, 16)


# --------------------------------------------------------------------------- names and the embedded MNIST


def test_unknown_dataset_and_split_are_rejected_with_the_valid_choices():
    with pytest.raises(ValueError, match="unknown dataset 'minst'.*'mnist-embedded'.*'cifar10'"):
        load_dataset("minst")
    with pytest.raises(ValueError, match="unknown split 'valid'.*'train', 'test'"):
        load_dataset("mnist-embedded", split="valid")
    assert set(DATASET_NAMES) == {"mnist-embedded", "mnist", "fashion-mnist", "cifar10"}
    assert class_names("fashion-mnist")[9] == "Ankle boot" and len(class_names("cifar10")) == 10


def test_embedded_mnist_splits(isolated_cache):
    train_images, train_labels = load_dataset("mnist-embedded", split="train")
    test_images, test_labels = load_dataset("mnist-embedded", split="test")
    assert train_images.shape == (4500, 28, 28) and test_images.shape == (500, 28, 28)
    assert train_images.dtype == np.uint8 and train_labels.dtype == np.int64
    for labels, per_class in ((train_labels, 450), (test_labels, 50)):
        assert labels.min() == 0 and labels.max() == 9
        np.testing.assert_array_equal(np.bincount(labels, minlength=10), [per_class] * 10)
    assert train_images.max() == 255 and train_images.min() == 0
    assert 0.05 < (train_images > 128).mean() < 0.3  # dark background, a thin bright stroke
    assert not isolated_cache.exists()  # offline: nothing downloaded, no cache created

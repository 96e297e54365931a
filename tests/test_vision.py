"""minigen.vision: torchvision's datasets, transforms and make_grid/save_image, checked against torch ops,
Pillow and arrays written out by hand (torchvision itself is not installed). No network: the downloaded
datasets are read from small files the tests write, the rest is the embedded MNIST and synthetic images."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import tarfile

import numpy as np
import pytest
from PIL import Image

import minigen
import minigen.utils.data
from minigen.data import load_dataset, sources
from minigen.tensor import Tensor
from minigen.vision import datasets, transforms
from minigen.vision.utils import make_grid, save_image

torch = pytest.importorskip("torch")


def tensor(array) -> Tensor:
    return Tensor(np.asarray(array))


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path / "cache"))


# ----------------------------------------------------------------------------------------------- datasets


def test_embedded_mnist_is_mnist_shaped_offline(tmp_path):
    train = datasets.EmbeddedMNIST(tmp_path / "unused", train=True, download=True)
    test = datasets.EmbeddedMNIST(str(tmp_path / "unused"), train=False)
    assert not (tmp_path / "unused").exists()
    assert (len(train), len(test)) == (4500, 500)
    images, labels = load_dataset("mnist-embedded", "test")
    assert test.data.shape == (500, 28, 28) and test.data.dtype == np.uint8
    assert test.targets.dtype == np.int64
    np.testing.assert_array_equal(test.data.numpy(), images)
    image, label = test[7]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
    assert type(label) is int and label == labels[7]
    np.testing.assert_array_equal(np.asarray(image), images[7])
    assert test.classes[3] == "3 - three" and test.class_to_idx["9 - nine"] == 9
    assert "Split: Test" in repr(test) and "Number of datapoints: 500" in repr(test)


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.CIFAR10])
def test_missing_files_without_download_raise_torchvisions_one_line_error(cls, tmp_path):
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it") as error:
        cls(tmp_path / "data", train=False)
    assert "\n" not in str(error.value)


def test_mnist_reads_verified_files_under_root(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5)
    files = {
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels)),
    }
    for name, body in files.items():
        (raw / name).write_bytes(body)
    checksums = {name: md5(body) for name, body in files.items()}
    monkeypatch.setitem(sources.SOURCES, "mnist", sources.Source("mnist", [], checksums))
    mnist = datasets.MNIST(str(tmp_path / "data"), train=False, download=False, target_transform=lambda y: y + 100)
    assert len(mnist) == 5 and mnist.raw_folder == os.path.join(str(tmp_path / "data"), "MNIST/raw")
    np.testing.assert_array_equal(mnist.data.numpy(), images)
    image, label = mnist[4]
    np.testing.assert_array_equal(np.asarray(image), images[4])
    assert label == labels[4] + 100
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"corrupt")
    with pytest.raises(RuntimeError, match="^Dataset not found or corrupted"):
        datasets.MNIST(tmp_path / "data", train=False)


def cifar_archive(batches: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, (images, labels) in batches.items():
            records = np.concatenate([labels[:, None].astype(np.uint8), images.reshape(len(images), -1)], axis=1)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = records.nbytes
            tar.addfile(info, io.BytesIO(records.tobytes()))
    return buffer.getvalue()


def test_cifar10_has_torchvisions_layout(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    batches = {name: (rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, 2)) for name in names}
    archive = cifar_archive(batches)
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(archive)
    checksums = {"cifar-10-binary.tar.gz": md5(archive)}
    monkeypatch.setitem(sources.SOURCES, "cifar10", sources.Source("cifar10", [], checksums))
    cifar = datasets.CIFAR10(tmp_path, train=False, transform=transforms.ToTensor())
    chw, labels = batches["test_batch.bin"]
    assert isinstance(cifar.data, np.ndarray) and cifar.data.shape == (2, 32, 32, 3)
    assert cifar.targets == labels.tolist() and cifar.classes[0] == "airplane"
    np.testing.assert_array_equal(cifar.data, chw.transpose(0, 2, 3, 1))
    image, label = cifar[1]
    np.testing.assert_array_equal(image.numpy(), chw[1].astype(np.float32) / np.float32(255))
    assert label == labels[1]
    cifar.transform = None
    assert cifar[0][0].mode == "RGB"
    assert len(datasets.CIFAR10(tmp_path, train=True)) == 10


def test_fake_data_is_deterministic_per_index_and_leaves_minigen_rng_alone():
    fake = datasets.FakeData(size=6, image_size=(3, 8, 5), num_classes=4)
    image, label = fake[2]
    assert image.mode == "RGB" and image.size == (5, 8) and 0 <= label < 4
    again, label_again = fake[2]
    np.testing.assert_array_equal(np.asarray(image), np.asarray(again))
    assert label == label_again
    assert not np.array_equal(np.asarray(fake[3][0]), np.asarray(image))
    shifted = datasets.FakeData(size=6, image_size=(3, 8, 5), num_classes=4, random_offset=1)
    np.testing.assert_array_equal(np.asarray(shifted[1][0]), np.asarray(image))
    minigen.manual_seed(5)
    expected = minigen.rand(3).numpy()
    minigen.manual_seed(5)
    fake[0], fake[5]
    np.testing.assert_array_equal(minigen.rand(3).numpy(), expected)
    assert datasets.FakeData(size=2, image_size=(1, 4, 4))[0][0].mode == "L"
    with pytest.raises(IndexError):
        fake[6]
    with pytest.raises(ValueError, match="image_size"):
        datasets.FakeData(image_size=(2, 4, 4))


def test_fake_data_with_dcgans_transform():
    fake = datasets.FakeData(size=3, image_size=(3, 64, 64), transform=transforms.ToTensor())
    assert len(fake) == 3
    image, _ = fake[0]
    assert image.shape == (3, 64, 64) and image.dtype == np.float32
    assert 0 <= image.numpy().min() and image.numpy().max() <= 1


def write_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)


def test_image_folder(tmp_path):
    rng = np.random.default_rng(2)
    pictures = {
        "dog/b.png": rng.integers(0, 256, (4, 6, 3), dtype=np.uint8),
        "dog/a.png": rng.integers(0, 256, (4, 6, 3), dtype=np.uint8),
        "cat/sub/z.png": rng.integers(0, 256, (3, 3), dtype=np.uint8),  # grey: read as RGB
        "cat/c.png": rng.integers(0, 256, (2, 5, 3), dtype=np.uint8),
    }
    for name, array in pictures.items():
        write_png(tmp_path / name, array)
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    (tmp_path / "README").write_text("a file at the top is no class")
    folder = datasets.ImageFolder(tmp_path)
    assert folder.classes == ["cat", "dog"] and folder.class_to_idx == {"cat": 0, "dog": 1}
    relative = [(os.path.relpath(path, tmp_path), target) for path, target in folder.samples]
    assert relative == [("cat/c.png", 0), (os.path.join("cat", "sub", "z.png"), 0), ("dog/a.png", 1), ("dog/b.png", 1)]
    assert folder.targets == [0, 0, 1, 1] and folder.imgs == folder.samples and len(folder) == 4
    image, target = folder[1]
    assert image.mode == "RGB" and target == 0
    np.testing.assert_array_equal(np.asarray(image), np.repeat(pictures["cat/sub/z.png"][..., None], 3, axis=2))
    tensors = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor(), target_transform=str)
    image, target = tensors[3]
    assert image.shape == (3, 4, 6) and target == "1"
    np.testing.assert_array_equal(image.numpy(), pictures["dog/b.png"].transpose(2, 0, 1) / np.float32(255))


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path)
    write_png(tmp_path / "a" / "x.png", np.zeros((2, 2)))
    (tmp_path / "b").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes b"):
        datasets.ImageFolder(tmp_path)
    assert len(datasets.ImageFolder(tmp_path, allow_empty=True)) == 1


def test_pytorch_mnist_example_pipeline_on_embedded_mnist():
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    dataset = datasets.EmbeddedMNIST("../data", train=True, download=True, transform=normalize)
    image, label = dataset[0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and isinstance(label, int)
    pixels = torch.from_numpy(dataset.data.numpy()[0]).unsqueeze(0).to(torch.float32).div(255)
    np.testing.assert_array_equal(image.numpy(), ((pixels - 0.1307) / 0.3081).numpy())


def test_dcgan_mnist_pipeline_on_embedded_mnist():
    resize = transforms.Compose([transforms.Resize(64), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = datasets.EmbeddedMNIST(root="../data", download=True, transform=resize)
    image, _ = dataset[0]
    pil = Image.fromarray(dataset.data.numpy()[0]).resize((64, 64), Image.Resampling.BILINEAR)
    assert image.shape == (1, 64, 64)
    np.testing.assert_array_equal(image.numpy()[0], (np.asarray(pil) / np.float32(255) - 0.5) / np.float32(0.5))


class NoSamples(datasets.EmbeddedMNIST):
    """Fails if a sample is made one by one: the loader must take the vectorised path."""

    def __getitem__(self, index):
        raise AssertionError("the per-sample path was taken")


@pytest.mark.parametrize(
    "transform",
    [
        transforms.ToTensor(),
        transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]),
        transforms.Compose([transforms.PILToTensor(), transforms.Pad((1, 2), fill=7), transforms.CenterCrop(30)]),
        transforms.Compose([transforms.Compose([transforms.ToTensor()]), transforms.CenterCrop(20)]),
    ],
)
def test_vectorised_loader_path_equals_the_per_sample_path(transform):
    fast = NoSamples("", train=False, transform=transform)
    slow = datasets.EmbeddedMNIST("", train=False, transform=transform)
    subset = minigen.utils.data.Subset(fast, [5, 3, 499, 0, 7])
    loaders = [
        (minigen.utils.data.DataLoader(fast, batch_size=64), minigen.utils.data.DataLoader(slow, batch_size=64)),
        (minigen.utils.data.DataLoader(subset, batch_size=2),
         minigen.utils.data.DataLoader(minigen.utils.data.Subset(slow, [5, 3, 499, 0, 7]), batch_size=2)),
    ]  # fmt: skip
    for fast_loader, slow_loader in loaders:
        count = 0
        for (x_fast, y_fast), (x_slow, y_slow) in zip(fast_loader, slow_loader, strict=True):
            assert x_fast.dtype == x_slow.dtype and y_fast.dtype == y_slow.dtype == np.int64
            np.testing.assert_array_equal(x_fast.numpy(), x_slow.numpy())
            np.testing.assert_array_equal(y_fast.numpy(), y_slow.numpy())
            count += 1
        assert count == len(slow_loader)


def test_per_sample_path_when_the_transform_has_no_batch_form():
    for dataset in (
        NoSamples("", train=False, transform=transforms.Compose([transforms.Resize(14), transforms.ToTensor()])),
        NoSamples("", train=False, transform=transforms.ToTensor(), target_transform=int),
        NoSamples("", train=False, transform=transforms.Normalize(0.5, 0.5)),
    ):
        with pytest.raises(AssertionError, match="per-sample"):
            next(iter(minigen.utils.data.DataLoader(dataset, batch_size=4)))
    custom = minigen.utils.data.DataLoader(
        NoSamples("", transform=transforms.ToTensor()), batch_size=4, collate_fn=lambda b: b
    )
    with pytest.raises(AssertionError, match="per-sample"):
        next(iter(custom))


def test_pil_images_cannot_be_collated_and_the_error_says_what_to_add():
    loader = minigen.utils.data.DataLoader(datasets.EmbeddedMNIST("", train=False), batch_size=2)
    with pytest.raises(TypeError, match="ToTensor"):
        next(iter(loader))


# ----------------------------------------------------------------------------------------------- transforms


def test_to_tensor_matches_torchvisions_rule():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    expected = torch.from_numpy(rgb).permute(2, 0, 1).contiguous().to(torch.float32).div(255).numpy()
    for source in (rgb, Image.fromarray(rgb)):
        out = transforms.ToTensor()(source)
        assert out.dtype == np.float32 and out.shape == (3, 5, 7)
        np.testing.assert_array_equal(out.numpy(), expected)
    grey = transforms.ToTensor()(Image.fromarray(rgb[..., 0]))
    np.testing.assert_array_equal(grey.numpy(), expected[:1])
    floats = rng.random((4, 4)).astype(np.float64)
    kept = transforms.ToTensor()(floats)
    assert kept.dtype == np.float64 and kept.shape == (1, 4, 4)
    np.testing.assert_array_equal(kept.numpy()[0], floats)
    assert transforms.ToTensor()(Image.fromarray(rgb[..., 0] > 100)).numpy().max() == 1.0  # mode "1"
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        transforms.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        transforms.ToTensor()(np.zeros((1, 2, 2, 1), np.uint8))


def test_pil_to_tensor_keeps_uint8():
    rgb = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    out = transforms.PILToTensor()(Image.fromarray(rgb))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.numpy(), rgb.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        transforms.PILToTensor()(rgb)


def test_normalize_matches_torch():
    x = np.random.default_rng(4).random((2, 3, 4, 5), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    reference = (torch.from_numpy(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    out = transforms.Normalize(mean, std)(tensor(x))
    np.testing.assert_array_equal(out.numpy(), reference.numpy())
    assert out.dtype == np.float32
    image = tensor(x[0].copy())
    same = transforms.Normalize(mean, std, inplace=True)(image)
    assert same is image
    np.testing.assert_array_equal(image.numpy(), reference.numpy()[0])
    with pytest.raises(TypeError, match="Tensor Image"):
        transforms.Normalize(0.5, 0.5)(x)
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        transforms.Normalize(0.5, 0.5)(tensor(x[0, 0]))
    with pytest.raises(ValueError, match="division by zero"):
        transforms.Normalize((0.5,), (0.0,))(tensor(x))
    with pytest.raises(ValueError, match="mean: 2 values"):
        transforms.Normalize((0.5, 0.5), (1, 1))(tensor(x))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(7, 9), (40, 50), (17, 11)])
def test_resize_of_tensors_matches_interpolate_with_antialias(mode, size):
    x = np.random.default_rng(5).random((2, 3, 17, 23), dtype=np.float32)
    out = transforms.Resize(size, interpolation=transforms.InterpolationMode(mode))(tensor(x))
    reference = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode, antialias=True)
    assert out.shape == tuple(reference.shape) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), reference.numpy(), atol=1e-5)


def test_resize_of_uint8_tensors_rounds_like_torchvision():
    x = np.random.default_rng(6).integers(0, 256, (3, 20, 30), dtype=np.uint8)
    out = transforms.Resize((8, 11))(tensor(x))
    as_float = torch.nn.functional.interpolate(torch.from_numpy(x)[None].float(), size=(8, 11), mode="bilinear",
                                               antialias=True)  # fmt: skip
    assert out.dtype == np.uint8
    assert np.abs(out.numpy().astype(int) - as_float.round().numpy()[0].astype(int)).max() <= 1


def test_resize_int_is_the_shorter_side():
    wide = Image.fromarray(np.zeros((20, 30), np.uint8))  # width 30, height 20
    assert transforms.Resize(10)(wide).size == (15, 10)
    assert transforms.Resize([10])(wide).size == (15, 10)
    assert transforms.Resize(10, max_size=12)(wide).size == (12, 8)
    assert transforms.Resize((5, 6))(wide).size == (6, 5)
    assert transforms.Resize(20)(wide) is wide
    tall = tensor(np.zeros((1, 31, 10), np.float32))
    assert transforms.Resize(7)(tall).shape == (1, 21, 7)
    with pytest.raises(TypeError, match="(?i)size should be int or sequence"):
        transforms.Resize("12")
    with pytest.raises(ValueError, match="1 or 2 values"):
        transforms.Resize((1, 2, 3))
    with pytest.raises(ValueError, match="max_size"):
        transforms.Resize((4, 4), max_size=10)
    with pytest.raises(ValueError, match="interpolation"):
        transforms.Resize(4, interpolation="trilinear")


def test_resize_of_pil_images_is_pillows():
    image = Image.fromarray(np.random.default_rng(7).integers(0, 256, (28, 28), dtype=np.uint8))
    for mode, pil_filter in (("bilinear", Image.Resampling.BILINEAR), ("bicubic", Image.Resampling.BICUBIC),
                             ("nearest", Image.Resampling.NEAREST)):  # fmt: skip
        out = transforms.Resize(64, interpolation=mode)(image)
        assert out.size == (64, 64) and out.mode == "L"
        np.testing.assert_array_equal(np.asarray(out), np.asarray(image.resize((64, 64), pil_filter)))
    lanczos = transforms.Resize(10, interpolation=transforms.InterpolationMode.LANCZOS)
    assert lanczos(image).size == (10, 10)
    with pytest.raises(ValueError, match="PIL images only"):
        lanczos(tensor(np.zeros((1, 28, 28), np.float32)))


def test_center_crop_offsets_are_torchvisions():
    x = np.arange(2 * 6 * 7, dtype=np.float32).reshape(2, 6, 7)
    out = transforms.CenterCrop((3, 4))(tensor(x))
    # top = int(round((6 - 3) / 2)) = 2 (round half to even), left = int(round((7 - 4) / 2)) = 2
    np.testing.assert_array_equal(out.numpy(), x[:, 2:5, 2:6])
    np.testing.assert_array_equal(transforms.CenterCrop(1)(tensor(x)).numpy(), x[:, 2:3, 3:4])
    rgb = np.random.default_rng(8).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    cropped = transforms.CenterCrop((3, 4))(Image.fromarray(rgb))
    np.testing.assert_array_equal(np.asarray(cropped), rgb[2:5, 2:6])
    small = tensor(np.ones((1, 2, 3), np.float32))
    grown = transforms.CenterCrop((5, 4))(small).numpy()[0]
    expected = np.zeros((5, 4), np.float32)
    expected[1:3, 0:3] = 1  # padded (left 0, top 1, right 1, bottom 2), then (5, 4) is the whole image
    np.testing.assert_array_equal(grown, expected)
    padded_pil = transforms.CenterCrop((5, 4))(Image.fromarray(np.full((2, 3), 255, np.uint8)))
    np.testing.assert_array_equal(np.asarray(padded_pil), expected * 255)


@pytest.mark.parametrize("mode, torch_mode", [("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")])
def test_pad_matches_torch_pad(mode, torch_mode):
    x = np.random.default_rng(9).random((1, 3, 5, 6), dtype=np.float32)
    out = transforms.Pad((1, 2, 3, 4), fill=0.5 if mode == "constant" else 0, padding_mode=mode)(tensor(x[0]))
    value = {"value": 0.5} if mode == "constant" else {}
    reference = torch.nn.functional.pad(torch.from_numpy(x), (1, 3, 2, 4), mode=torch_mode, **value)[0]
    np.testing.assert_array_equal(out.numpy(), reference.numpy())


def test_pad_arguments_and_pil_images():
    x = np.arange(9, dtype=np.uint8).reshape(1, 3, 3)
    assert transforms.Pad(2)(tensor(x)).shape == (1, 7, 7)
    assert transforms.Pad((1, 2))(tensor(x)).shape == (1, 7, 5)  # (left/right, top/bottom)
    symmetric = transforms.Pad(1, padding_mode="symmetric")(tensor(x)).numpy()[0]
    np.testing.assert_array_equal(symmetric[0], [0, 0, 1, 2, 2])
    rgb = np.random.default_rng(10).integers(0, 256, (3, 4, 3), dtype=np.uint8)
    padded = transforms.Pad((1, 0, 2, 1), fill=(10, 20, 30))(Image.fromarray(rgb))
    assert padded.mode == "RGB" and padded.size == (7, 4)
    as_tensor = transforms.Pad((1, 0, 2, 1), fill=(10, 20, 30))(transforms.PILToTensor()(Image.fromarray(rgb)))
    np.testing.assert_array_equal(transforms.PILToTensor()(padded).numpy(), as_tensor.numpy())
    np.testing.assert_array_equal(np.asarray(padded)[3, 0], [10, 20, 30])
    with pytest.raises(ValueError, match="1, 2, or 4 element tuple"):
        transforms.Pad((1, 2, 3))
    with pytest.raises(ValueError, match="constant, edge, reflect or symmetric"):
        transforms.Pad(1, padding_mode="wrap")
    with pytest.raises(TypeError, match="PIL Image or Tensor"):
        transforms.Pad(1)(np.zeros((3, 3)))


def test_random_horizontal_flip_draws_from_minigens_generator():
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    flip = transforms.RandomHorizontalFlip()
    minigen.manual_seed(11)
    flipped = [not np.array_equal(flip(tensor(x)).numpy(), x) for _ in range(20)]
    assert flipped == (np.random.default_rng(11).random(20) < 0.5).tolist()
    minigen.manual_seed(11)
    assert [not np.array_equal(flip(tensor(x)).numpy(), x) for _ in range(20)] == flipped
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=1)(tensor(x)).numpy(), torch.flip(
        torch.from_numpy(x), dims=[-1]).numpy())  # fmt: skip
    np.testing.assert_array_equal(transforms.RandomVerticalFlip(p=1)(tensor(x)).numpy(), x[:, ::-1])
    assert transforms.RandomHorizontalFlip(p=0)(tensor(x)).numpy().tolist() == x.tolist()
    image = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    np.testing.assert_array_equal(np.asarray(transforms.RandomHorizontalFlip(1.0)(image)), np.asarray(image)[:, ::-1])


def test_grayscale_uses_itu_601_weights():
    x = np.random.default_rng(12).random((3, 4, 5), dtype=np.float32)
    t = torch.from_numpy(x)
    reference = (0.2989 * t[0] + 0.587 * t[1] + 0.114 * t[2]).unsqueeze(0)
    np.testing.assert_allclose(transforms.Grayscale()(tensor(x)).numpy(), reference.numpy(), rtol=1e-6)
    three = transforms.Grayscale(3)(tensor(x)).numpy()
    assert three.shape == (3, 4, 5) and np.array_equal(three[0], three[2])
    image = Image.fromarray((x.transpose(1, 2, 0) * 255).astype(np.uint8))
    assert transforms.Grayscale()(image).mode == "L" and transforms.Grayscale(3)(image).mode == "RGB"
    with pytest.raises(ValueError, match="1 or 3"):
        transforms.Grayscale(2)


def test_compose_lambda_and_repr():
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda t: t * 2)])
    out = pipeline(np.full((2, 2), 255, np.uint8))
    np.testing.assert_array_equal(out.numpy(), np.full((1, 2, 2), 2, np.float32))
    assert "ToTensor()" in repr(pipeline) and repr(pipeline).startswith("Compose(")
    with pytest.raises(TypeError, match="should be callable"):
        transforms.Lambda(3)


# ----------------------------------------------------------------------------------------------- make_grid, save_image


def test_make_grid_layout_by_hand():
    a = np.array([[[1, 2], [3, 4]]], np.float32)  # (1, 2, 2): one grey image
    b = a + 10
    grid = make_grid(tensor(np.stack([a, b])), padding=1, pad_value=0.5).numpy()
    row = [
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        [0.5, 1, 2, 0.5, 11, 12, 0.5],
        [0.5, 3, 4, 0.5, 13, 14, 0.5],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    ]
    np.testing.assert_array_equal(grid, np.array([row] * 3, np.float32))  # grey repeated into 3 channels
    three = make_grid([tensor(a[0:1]), tensor(b), tensor(a + 20)], nrow=2, padding=1).numpy()
    assert three.shape == (3, 7, 7)
    np.testing.assert_array_equal(three[0, 4:6, 1:3], a[0] + 20)
    np.testing.assert_array_equal(three[0, 4:6, 4:6], np.zeros((2, 2)))  # the empty cell keeps pad_value
    np.testing.assert_array_equal(three[:, 0], np.zeros((3, 7)))
    assert make_grid(tensor(np.zeros((5, 3, 4, 6), np.float32))).shape == (3, 8, 5 * 8 + 2)  # min(nrow, N) a row
    assert make_grid(tensor(np.zeros((9, 3, 4, 6), np.float32))).shape == (3, 2 * 6 + 2, 8 * 8 + 2)


def test_make_grid_of_one_image_is_that_image_unpadded():
    image = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)
    np.testing.assert_array_equal(make_grid(tensor(image)).numpy(), np.repeat(image[0], 3, axis=0))
    np.testing.assert_array_equal(make_grid(tensor(image[0, 0])).numpy(), np.repeat(image[0], 3, axis=0))


def test_make_grid_normalize_by_hand():
    x = np.array([[[[-1.0, 0.0], [0.5, 1.0]]], [[[2.0, 2.0], [3.0, 4.0]]]], np.float32)  # (2, 1, 2, 2)
    whole = make_grid(tensor(x), padding=0, normalize=True).numpy()[0]
    np.testing.assert_allclose(whole, [[0, 0.2, 0.6, 0.6], [0.3, 0.4, 0.8, 1.0]], rtol=1e-6)
    each = make_grid(tensor(x), padding=0, normalize=True, scale_each=True).numpy()[0]
    np.testing.assert_allclose(each, [[0, 0.5, 0, 0], [0.75, 1, 0.5, 1]], rtol=1e-6)
    ranged = make_grid(tensor(x), padding=0, normalize=True, value_range=(0, 2)).numpy()[0]
    np.testing.assert_allclose(ranged, [[0, 0, 1, 1], [0.25, 0.5, 1, 1]], rtol=1e-6)
    np.testing.assert_array_equal(x[0, 0, 0], [-1.0, 0.0])  # the input is not changed
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(tensor(x), normalize=True, value_range=[0, 1])


def torchvision_save_reference(x, nrow, padding, normalize, value_range, scale_each):
    """torchvision's make_grid + save_image written with torch ops as torchvision writes them."""
    t = torch.from_numpy(x)
    if t.size(1) == 1:
        t = torch.cat((t, t, t), 1)
    if normalize:
        t = t.clone()

        def norm_ip(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(img):
            norm_ip(img, *(value_range if value_range is not None else (float(img.min()), float(img.max()))))

        for img in t if scale_each else [t]:
            norm_range(img)
    xmaps = min(nrow, t.size(0))
    ymaps = -(-t.size(0) // xmaps)
    height, width = t.size(2) + padding, t.size(3) + padding
    grid = t.new_full((t.size(1), height * ymaps + padding, width * xmaps + padding), 0)
    for k in range(t.size(0)):
        y, x_ = divmod(k, xmaps)
        cell = grid.narrow(1, y * height + padding, height - padding)
        cell.narrow(2, x_ * width + padding, width - padding).copy_(t[k])
    return grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8).numpy()


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((5, 3, 6, 7), {"nrow": 2}),
        ((4, 1, 5, 5), {"normalize": True}),
        ((3, 3, 4, 4), {"normalize": True, "scale_each": True, "padding": 0}),
        ((6, 3, 3, 5), {"normalize": True, "value_range": (-1, 1), "nrow": 4, "padding": 3}),
    ],
)
def test_save_image_is_torchvisions_pixel_for_pixel(tmp_path, shape, kwargs):
    x = np.random.default_rng(13).normal(0.5, 0.6, shape).astype(np.float32)
    save_image(tensor(x), tmp_path / "grid.png", **kwargs)
    options = {"nrow": 8, "padding": 2, "normalize": False, "value_range": None, "scale_each": False} | kwargs
    with Image.open(tmp_path / "grid.png") as image:
        assert image.format == "PNG" and image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), torchvision_save_reference(x, **options))


def test_save_image_quantises_by_adding_one_half(tmp_path):
    values = np.array([[[[0.0, 0.5, 1.0, 1.5], [-0.2, 0.9 / 255, 2.5 / 255, 254.6 / 255]]]], np.float32)
    save_image(tensor(values), tmp_path / "one.png")
    with Image.open(tmp_path / "one.png") as image:
        pixels = np.asarray(image)[..., 0]
    expected = np.clip(values[0, 0] * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels, expected)
    assert pixels[0].tolist() == [0, 128, 255, 255] and pixels[1, 0] == 0 and pixels[1, 3] == 255


def test_save_image_writes_atomically_and_to_file_objects(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"previous")

    def broken_save(self, fp, format=None, **params):
        with open(fp, "wb") as file:
            file.write(b"half")
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Image.Image, "save", broken_save)
        with pytest.raises(OSError, match="disk full"):
            save_image(tensor(np.zeros((1, 3, 2, 2), np.float32)), target)
    assert target.read_bytes() == b"previous" and os.listdir(tmp_path) == ["out.png"]
    save_image(tensor(np.ones((2, 3, 2, 2), np.float32)), str(target))
    assert Image.open(target).size == (10, 6) and os.listdir(tmp_path) == ["out.png"]
    buffer = io.BytesIO()
    save_image(tensor(np.ones((3, 2, 2), np.float32)), buffer, format="PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).size == (2, 2)
    with pytest.raises(ValueError, match="format"):
        save_image(tensor(np.ones((3, 2, 2), np.float32)), tmp_path / "grid.unknown")
    with pytest.raises(TypeError, match="float tensor"):
        save_image(tensor(np.ones((3, 2, 2), np.uint8)), tmp_path / "int.png")

"""Image quilting and texture transfer (minigen/imaging/texture.py), against brute force and direct computations."""

import itertools

import numpy as np
import pytest

from minigen import backend
from minigen.imaging import texture
from minigen.imaging.io import ImageError, sample_image
from minigen.imaging.texture import luminance, min_error_cut, overlap_errors, quilt, texture_transfer


def crop(name, side=128):
    """The top-left side x side of a shipped image (float32)."""
    return sample_image(name)[:side, :side]


def gradient_energy(image):
    """The mean squared image gradient (forward differences down and across)."""
    image = np.asarray(image, dtype=np.float64)
    return np.mean(np.diff(image, axis=0) ** 2) + np.mean(np.diff(image, axis=1) ** 2)


def random_tiling(source, size, patch, rng):
    """Blocks of ``source`` at random, side by side: no overlap search, no cut."""
    out = np.zeros(size + source.shape[2:], source.dtype)
    for y in range(0, size[0], patch):
        for x in range(0, size[1], patch):
            top, left = rng.integers(source.shape[0] - patch + 1), rng.integers(source.shape[1] - patch + 1)
            h, w = min(patch, size[0] - y), min(patch, size[1] - x)
            out[y : y + h, x : x + w] = source[top : top + h, left : left + w]
    return out


# ------------------------------------------------------------------------------------------ the pieces
def brute_force_cut(errors):
    """The cheapest top-to-bottom path (steps -1, 0, +1) by enumerating every path."""
    n, width = errors.shape
    best_cost, best_path = np.inf, None
    for start in range(width):
        for steps in itertools.product((-1, 0, 1), repeat=n - 1):
            path = np.cumsum((start,) + steps)
            if path.min() < 0 or path.max() >= width:
                continue
            cost = errors[np.arange(n), path].sum()
            if cost < best_cost:
                best_cost, best_path = cost, path
    return best_cost, best_path


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (5, 1), (4, 2), (6, 3), (7, 4), (5, 6)])
def test_min_error_cut_is_the_cheapest_path(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(5):
        errors = rng.random(shape)
        path = min_error_cut(errors)
        best_cost, best_path = brute_force_cut(errors)
        assert path.shape == (shape[0],) and np.all(np.abs(np.diff(path)) <= 1), f"not a connected path: {path}"
        assert errors[np.arange(shape[0]), path].sum() == pytest.approx(best_cost, rel=1e-12), (path, best_path)
        np.testing.assert_array_equal(path, best_path)  # continuous random errors: the cheapest path is unique


def test_min_error_cut_on_the_device(device):
    errors = np.random.default_rng(0).random((9, 5)).astype(np.float32)
    path = min_error_cut(backend.to_device(errors, device))
    assert backend.device_of(path).name == device
    np.testing.assert_array_equal(backend.to_numpy(path), brute_force_cut(errors)[1])


def direct_overlap_errors(source, template, mask):
    """E[y, x] = sum_ij mask_ij |template_ij - source_(y+i)(x+j)|^2, one candidate at a time."""
    source = source if source.ndim == 3 else source[:, :, None]
    template = template if template.ndim == 3 else template[:, :, None]
    h, w = mask.shape
    errors = np.zeros((source.shape[0] - h + 1, source.shape[1] - w + 1))
    for y in range(errors.shape[0]):
        for x in range(errors.shape[1]):
            errors[y, x] = (mask[:, :, None] * (template - source[y : y + h, x : x + w]) ** 2).sum()
    return errors


@pytest.mark.parametrize("channels", [None, 3])
def test_overlap_errors_equal_a_direct_computation(device, channels):
    rng = np.random.default_rng(1)
    shape = (13, 11) if channels is None else (13, 11, channels)
    source = rng.random(shape)
    template = rng.random((5, 4) + shape[2:])
    l_shape = np.zeros((5, 4))
    l_shape[:, :2] = l_shape[:1, :] = 1  # left overlap of 2 columns, top overlap of 1 row
    for mask in (l_shape, rng.random((5, 4)), np.zeros((5, 4))):
        expected = direct_overlap_errors(source, template, mask)
        for dtype, tolerance in ((np.float64, 1e-10), (np.float32, 1e-4)):
            on_device = [backend.to_device(a.astype(dtype), device) for a in (source, template, mask)]
            errors = overlap_errors(*on_device)
            assert backend.device_of(errors).name == device and errors.dtype == dtype
            np.testing.assert_allclose(backend.to_numpy(errors), expected, atol=tolerance * max(1, expected.max()))


def test_the_l_shaped_seam_is_both_cuts():
    rng = np.random.default_rng(2)
    block, old = rng.random((9, 8, 1)), rng.random((9, 8, 1))
    new = texture._seam_mask(block, old, 3, left=True, top=True)
    difference = ((block - old) ** 2).sum(axis=2)
    vertical, horizontal = min_error_cut(difference[:, :3]), min_error_cut(difference[:3, :].T)
    expected = np.ones((9, 8), bool)
    expected[:, :3] &= np.arange(3)[None, :] >= vertical[:, None]  # right of the vertical cut
    expected[:3, :] &= np.arange(3)[:, None] >= horizontal[None, :]  # below the horizontal cut
    np.testing.assert_array_equal(new, expected)
    assert not new[:, :3].all() and not new[:3, :].all() and new[3:, 3:].all()


# ------------------------------------------------------------------------------------------ quilting
def test_blocks_away_from_seams_are_copies_of_source_blocks():
    source = crop("gravel", 64)
    patch, overlap = 16, 3
    step = patch - overlap
    out = quilt(source, (70, 81), patch=patch, overlap=overlap, rng=0)
    rows, columns = range(0, 70 - overlap, step), range(0, 81 - overlap, step)
    checked = 0
    for y in rows:
        for x in columns:
            # what block (y, x) keeps once its neighbours are placed: past its own overlaps, before theirs
            bottom = y + step if y + step in rows else min(y + patch, 70)
            right = x + step if x + step in columns else min(x + patch, 81)
            core = out[y + overlap : bottom, x + overlap : right]
            windows = np.lib.stride_tricks.sliding_window_view(source, core.shape)
            found = np.all(windows == core, axis=(2, 3))
            assert found.any(), f"the block at ({y}, {x}) is not a verbatim copy of a source block"
            checked += 1
    assert checked == 36
    assert not np.all(out[:64, :64] == source), "the output is the source itself"


def test_the_seams_are_the_minimum_error_cuts():
    # Four blocks of random noise (every block unique), 2 x 2: a left, a top and an L-shaped overlap. Find each
    # block in the source by its core, then replay the quilting with brute-force cuts: the output must match.
    source = np.random.default_rng(3).random((30, 30))
    patch, overlap, step = 8, 3, 5
    out = quilt(source, (13, 13), patch=patch, overlap=overlap, rng=0)
    windows = np.lib.stride_tricks.sliding_window_view(source, (step - overlap, step - overlap))
    replay = np.zeros_like(out)
    for y, x in [(0, 0), (0, step), (step, 0), (step, step)]:
        core = out[y + overlap : y + step, x + overlap : x + step]
        (top,), (left,) = np.nonzero(np.all(windows == core, axis=(2, 3)))  # exactly one place in the source
        block = source[top - overlap : top - overlap + patch, left - overlap : left - overlap + patch]
        old = replay[y : y + patch, x : x + patch]
        difference = (block - old) ** 2
        new = np.ones((patch, patch), bool)
        if x > 0:  # the old block left of the vertical cut, the new one from the cut on
            new[:, :overlap] &= np.arange(overlap)[None, :] >= brute_force_cut(difference[:, :overlap])[1][:, None]
        if y > 0:  # and above the horizontal one
            new[:overlap, :] &= np.arange(overlap)[:, None] >= brute_force_cut(difference[:overlap, :].T)[1][None, :]
        replay[y : y + patch, x : x + patch] = np.where(new, block, old)
    np.testing.assert_array_equal(out, replay)


def test_a_block_is_drawn_among_those_within_the_tolerance():
    rng = np.random.default_rng(0)
    errors = np.array([[1.0, 1.05, 1.2], [1.09, 5.0, 1.11]])
    drawn = {texture._choose(errors, 0.1, rng, compared=1) for _ in range(200)}
    assert drawn == {(0, 0), (0, 1), (1, 0)}, drawn
    exact = np.array([[0.0, 1e-3], [0.0, 2.0]])  # best = 0: the exact matches, all of them
    assert {texture._choose(exact, 0.1, rng, compared=1) for _ in range(100)} == {(0, 0), (1, 0)}
    flat = np.zeros((2, 2))  # no overlap (the first block): any block
    assert len({texture._choose(flat, 0.1, rng, compared=1) for _ in range(100)}) == 4


@pytest.mark.parametrize("name", ["brick", "grass", "gravel"])
def test_seams_do_not_show(name):
    source = crop(name)
    out = quilt(source, (160, 160), patch=16, overlap=3, rng=0)
    tiled = random_tiling(source, (160, 160), 16, np.random.default_rng(0))
    quilted, naive = gradient_energy(out) / gradient_energy(source), gradient_energy(tiled) / gradient_energy(source)
    message = f"{name}: gradient energy / source's: quilted {quilted:.3f}, random tiling {naive:.3f}"
    assert 0.8 < quilted < 1.2, message
    assert naive > 1.1 * quilted, message


def test_same_seed_same_texture():
    source = crop("grass", 64)
    first, again = quilt(source, (50, 60), rng=3), quilt(source, (50, 60), rng=3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, quilt(source, (50, 60), rng=4)), "two seeds gave the same texture"
    generated = quilt(source, (50, 60), rng=np.random.default_rng(3))
    np.testing.assert_array_equal(generated, first)  # an int seed is default_rng(seed)
    import minigen

    minigen.manual_seed(5)
    seeded = quilt(source, (50, 60))
    minigen.manual_seed(5)
    np.testing.assert_array_equal(quilt(source, (50, 60)), seeded)  # rng=None: minigen's seeded host generator


def test_default_blocks_are_a_quarter_of_the_source_and_a_sixth_of_that():
    source = crop("brick", 100)  # patch 25, overlap 4
    np.testing.assert_array_equal(quilt(source, (60, 70), rng=0), quilt(source, (60, 70), 25, 4, rng=0))
    big = sample_image("brick")  # 256 // 4 = 64, capped at 48; overlap 8
    np.testing.assert_array_equal(quilt(big, (90, 90), rng=1), quilt(big, (90, 90), 48, 8, rng=1))


@pytest.mark.parametrize(
    "name, size, dtype",
    [("brick", (181, 197), np.float32), ("chelsea", (131, 45), np.float64), ("gravel", 7, np.float64),
     ("astronaut", (1, 33), np.float32)],
)  # fmt: skip
def test_any_size(name, size, dtype):
    source = crop(name, 40).astype(dtype)  # 181 x 197 is over 4 x the source's side
    out = quilt(source, size, patch=12, overlap=2, rng=0)
    size = (size, size) if isinstance(size, int) else size
    assert out.shape == size + source.shape[2:] and out.dtype == dtype
    assert out.min() >= source.min() and out.max() <= source.max()  # pixels come from the source, unblended
    values = set(np.unique(source).tolist())
    assert set(np.unique(out).tolist()) <= values


def test_runs_on_the_device(device):
    source = crop("chelsea", 48)
    on_device = backend.to_device(source, device)
    out = quilt(on_device, (70, 61), patch=12, overlap=2, rng=0)
    assert backend.device_of(out).name == device and out.dtype == np.float32 and out.shape == (70, 61, 3)
    expected = quilt(source, (70, 61), patch=12, overlap=2, rng=0)
    if device == "cuda":
        np.testing.assert_allclose(backend.to_numpy(out), expected, atol=1e-6)  # cuFFT may round differently
    else:
        np.testing.assert_array_equal(backend.to_numpy(out), expected)
    target = backend.to_device(crop("astronaut", 30), device)
    moved = texture_transfer(backend.to_device(crop("brick", 48), device), target, patch=6, iterations=2, rng=0)
    assert backend.device_of(moved).name == device and moved.shape == (30, 30)


def test_progress_bar(capsys):
    quilt(crop("grass", 64), (40, 40), patch=16, overlap=3, rng=0, progress=True)
    assert "9/9" in capsys.readouterr().err  # 3 x 3 blocks


# ------------------------------------------------------------------------------------------ transfer
def test_transfer_follows_the_target():
    source, target = crop("gravel"), sample_image("chelsea")[::4, ::4]  # 75 x 113
    transferred = texture_transfer(source, target, patch=8, iterations=2, rng=0)
    quilted = quilt(source, target.shape[:2], patch=8, rng=0)

    def correlation(image):
        return np.corrcoef(luminance(image).ravel(), luminance(target).ravel())[0, 1]

    message = f"luminance correlation with the target: transfer {correlation(transferred):.3f}, "
    message += f"quilting {correlation(quilted):.3f}"
    assert correlation(transferred) > 0.5 and correlation(transferred) > correlation(quilted) + 0.4, message


def test_transfer_shapes_and_channels():
    grey, colour = crop("brick", 48), sample_image("coffee")[::8, ::8]  # 34 x 50
    out = texture_transfer(grey, colour, patch=6, iterations=1, rng=0)
    assert out.shape == colour.shape[:2] and out.dtype == np.float32  # the source's channels, the target's size
    out = texture_transfer(crop("chelsea", 48).astype(np.float64), grey[:20, :30], patch=6, alpha=0.5, rng=0)
    assert out.shape == (20, 30, 3) and out.dtype == np.float64
    with pytest.raises(ImageError, match="target"):
        texture_transfer(grey, np.zeros((20, 20), np.uint8))


def test_luminance():
    rgb = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    np.testing.assert_allclose(luminance(rgb), [[0.299, 0.587, 0.114]])
    grey = rgb[:, :, 0]
    assert luminance(grey) is grey and luminance(grey[:, :, None]).shape == (1, 3)


# ------------------------------------------------------------------------------------------ bad input
SOURCE = np.random.default_rng(0).random((32, 32)).astype(np.float32)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: quilt(SOURCE, (40, 40), patch=33), ValueError, ["patch", "33", "32"]),
        (lambda: quilt(SOURCE, (40, 40), patch=1), ValueError, ["patch", "1", "2 <="]),
        (lambda: quilt(SOURCE, (40, 40), patch=8, overlap=8), ValueError, ["overlap", "8", "< patch"]),
        (lambda: quilt(SOURCE, (40, 40), patch=8, overlap=0), ValueError, ["overlap", "0", "1 <="]),
        (lambda: quilt(SOURCE, (40, 40), patch=8.0), ValueError, ["patch", "8.0", "int"]),
        (lambda: quilt(SOURCE, (0, 40)), ValueError, ["size", "(0, 40)", "> 0"]),
        (lambda: quilt(SOURCE, (40,)), ValueError, ["size", "(40,)", "(height, width)"]),
        (lambda: quilt(SOURCE, "40x40"), ValueError, ["size", "40x40"]),
        (lambda: quilt((SOURCE * 255).astype(np.uint8), (40, 40)), ImageError, ["source", "uint8", "255"]),
        (lambda: quilt(SOURCE[:, :, None].repeat(2, axis=2), (40, 40)), ImageError, ["source", "(32, 32, 2)"]),
        (lambda: quilt(SOURCE.tolist(), (40, 40)), ImageError, ["source", "list"]),
        (lambda: quilt(SOURCE, (40, 40), tolerance=-0.1), ValueError, ["tolerance", "-0.1", ">= 0"]),
        (lambda: quilt(SOURCE, (40, 40), tolerance=float("nan")), ValueError, ["tolerance", "nan"]),
        (lambda: quilt(SOURCE, (40, 40), tolerance="0.1"), ValueError, ["tolerance", "'0.1'"]),
        (lambda: quilt(SOURCE, (40, 40), rng=-1), ValueError, ["rng", "-1", "Generator"]),
        (lambda: texture_transfer(SOURCE, SOURCE, alpha=1.5), ValueError, ["alpha", "1.5"]),
        (lambda: texture_transfer(SOURCE, SOURCE, iterations=0), ValueError, ["iterations", "0", ">= 1"]),
        (lambda: texture_transfer(SOURCE, SOURCE.astype(int)), ImageError, ["target", "int64"]),
        (lambda: overlap_errors(SOURCE, SOURCE[:4, :4], SOURCE[:4, :3]), ValueError, ["mask", "(4, 3)"]),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_argument(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"

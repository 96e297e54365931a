"""Closed-form matting (minigen.imaging.matting): the matrix-free Laplacian against the paper's formula, a composited
scene with a known matte, devices, coarse-to-fine, foreground colours and bad input."""

import math

import numpy as np
import pytest

from minigen import backend
from minigen.imaging.io import ImageError
from minigen.imaging.matting import (
    MattingLaplacian,
    closed_form_alpha,
    estimate_foreground,
    matting_laplacian_apply,
    matting_laplacian_diagonal,
)
from minigen.imaging.scenes import matting_scene


def dense_laplacian(image, eps, radius):
    """L assembled from Levin et al.'s formula, window by window (windows inside the image), as a dense matrix."""
    h, w = image.shape[:2]
    colour = image.reshape(h, w, -1)
    size = 2 * radius + 1
    window = size * size
    laplacian = np.zeros((h * w, h * w))
    for y in range(radius, h - radius):
        for x in range(radius, w - radius):
            ys, xs = np.mgrid[y - radius : y + radius + 1, x - radius : x + radius + 1]
            pixels = (ys * w + xs).ravel()
            values = colour[ys, xs].reshape(window, -1)
            centred = values - values.mean(axis=0)
            sigma = centred.T @ centred / window
            inverse = np.linalg.inv(sigma + eps / window * np.eye(colour.shape[2]))
            laplacian[np.ix_(pixels, pixels)] += np.eye(window) - (1 + centred @ inverse @ centred.T) / window
    return laplacian


def scene():
    """The shipped composite of known alpha (minigen.imaging.matting_scene) at 72 x 96: image, alpha, F, B, trimap."""
    made = matting_scene(72, 96, strands=14, band=3)
    return made.image, made.alpha.astype(np.float64), made.foreground, made.background, made.trimap


@pytest.fixture(scope="module")
def small_scene():
    return scene()


# ---------------------------------------------------------------------------------------------------------------------
# The matrix-free Laplacian


@pytest.mark.parametrize(
    "shape, radius, eps",
    [((7, 6, 3), 1, 1e-3), ((7, 6), 1, 1e-3), ((7, 6, 3), 1, 1e-7), ((11, 10, 3), 3, 1e-4)],
    ids=["rgb", "grey", "rgb-eps1e-7", "rgb-r3-cumsum"],
)
def test_laplacian_matches_assembled_formula(shape, radius, eps):
    """L p and diag(L), matrix-free from box filters, equal the assembled paper's formula in float64."""
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    reference = dense_laplacian(image, eps, radius)
    apply = matting_laplacian_apply(image, eps, radius)
    scale = np.abs(reference).max()
    for p in rng.standard_normal((4,) + shape[:2]):
        got = apply(p)
        assert got.shape == shape[:2] and got.dtype == np.float64
        np.testing.assert_allclose(got.ravel(), reference @ p.ravel(), rtol=0, atol=1e-10 * scale)
    diagonal = matting_laplacian_diagonal(image, eps, radius)
    np.testing.assert_allclose(diagonal.ravel(), np.diag(reference), rtol=0, atol=1e-10 * scale)


def test_laplacian_is_symmetric_psd_with_constants_in_its_null_space():
    """The operator's matrix (columns L e_j) is symmetric, positive semi-definite, and L 1 = 0."""
    image = np.random.default_rng(2).random((6, 7, 3))
    laplacian = MattingLaplacian(image, eps=1e-5)
    n = image.shape[0] * image.shape[1]
    matrix = np.stack([laplacian(unit.reshape(6, 7)).ravel() for unit in np.eye(n)], axis=1)
    np.testing.assert_allclose(matrix, matrix.T, rtol=0, atol=1e-10)
    assert np.linalg.eigvalsh(matrix).min() > -1e-10
    np.testing.assert_allclose(laplacian(np.ones((6, 7))), 0, atol=1e-10)
    # a colour-line alpha (affine in the colour everywhere) costs almost nothing: alpha^T L alpha ~ eps
    affine = image @ np.array([0.3, -0.2, 0.5]) + 0.1
    assert float((affine * laplacian(affine)).sum()) < 1e-3 * float((affine * affine).sum())


# ---------------------------------------------------------------------------------------------------------------------
# Closed-form alpha on a composited scene


def test_scene_alpha_is_close_to_the_truth_and_exact_where_known(small_scene):
    image, true_alpha, _, _, trimap = small_scene
    alpha, info = closed_form_alpha(image, trimap, return_info=True)
    unknown = trimap == 0.5
    sad = float(np.abs(alpha - true_alpha)[unknown].sum())
    mean_error = sad / unknown.sum()
    blind = float(np.abs(0.5 - true_alpha)[unknown].sum())  # the SAD of a matte that says 1/2 wherever unknown
    message = f"SAD {sad:.1f} over {unknown.sum()} unknown pixels (mean {mean_error:.4f}; 1/2 everywhere: {blind:.0f})"
    message += f"; {info}"
    assert alpha.shape == trimap.shape and alpha.dtype == np.float32, message
    assert info.converged, message
    assert sad < 300, message  # measured: SAD 221 (mean 0.065) in float32 and float64; 1/2 everywhere: 1410
    assert np.array_equal(alpha[~unknown], trimap[~unknown]), "alpha differs from the trimap where it is known"
    assert alpha.min() >= 0 and alpha.max() <= 1


def test_float64_grey_uint8_trimap_and_scribbles(small_scene, capsys):
    """float64 in -> float64 out; a uint8 trimap (0/255) gives the float trimap's matte; a grey image works."""
    image, true_alpha, _, _, trimap = small_scene
    alpha32 = closed_form_alpha(image, trimap)
    alpha64 = closed_form_alpha(image.astype(np.float64), trimap, rtol=1e-7, progress=True)
    assert alpha64.dtype == np.float64
    assert capsys.readouterr().err.count("closed_form_alpha: level") == 2  # 36x48, then 72x96
    assert np.abs(alpha64 - alpha32).mean() < 5e-3
    trimap8 = np.round(trimap * 255).astype(np.uint8)  # 0, 128, 255
    np.testing.assert_array_equal(closed_form_alpha(image, trimap8), alpha32)
    # only exactly 1 (255) is foreground: 0.99 (250) is unknown, so a background corner marked so stays background
    for top, almost in ((1.0, 0.99), (255, 250)):
        marked = (trimap if top == 1.0 else trimap8).copy()
        marked[:6, :12] = almost
        assert true_alpha[:6, :12].max() == 0 and closed_form_alpha(image, marked)[:6, :12].max() < 0.1
    grey = image.mean(axis=2)
    alpha_grey = closed_form_alpha(grey, trimap)
    unknown = trimap == 0.5
    assert alpha_grey.shape == grey.shape and alpha_grey.dtype == np.float32
    assert np.abs(alpha_grey - true_alpha)[unknown].mean() < 0.2  # measured 0.14 (1/2 everywhere: 0.42)
    # scribbles: a few known strokes, unknown everywhere else; the disc and the background still separate
    scribbles = np.full(trimap.shape, 0.5, dtype=np.float32)
    scribbles[30:42, 40:56] = 1
    scribbles[:4, :] = 0
    scribbles[-4:, :] = 0
    alpha_scribbles = closed_form_alpha(image, scribbles)
    assert alpha_scribbles[36, 48] == 1 and alpha_scribbles[0, 0] == 0
    assert alpha_scribbles[true_alpha >= 1].mean() > 0.8 and alpha_scribbles[true_alpha <= 0].mean() < 0.2


def test_same_result_on_every_device(small_scene, device):
    image, _, _, _, trimap = small_scene
    reference = closed_form_alpha(image, trimap)
    alpha, info = closed_form_alpha(
        backend.to_device(image, device), backend.to_device(trimap, device), return_info=True
    )
    assert backend.device_of(alpha) is backend.get_device(device)
    assert info.converged, str(info)
    np.testing.assert_allclose(backend.to_numpy(alpha), reference, atol=1e-5)
    foreground, background = estimate_foreground(backend.to_device(image, device), alpha, max_iter=30)
    assert backend.device_of(foreground) is backend.device_of(background) is backend.get_device(device)


def test_coarse_to_fine_needs_fewer_fine_iterations_for_the_same_alpha(small_scene):
    image, _, _, _, trimap = small_scene
    cold, cold_info = closed_form_alpha(image, trimap, coarse_to_fine=False, return_info=True)
    warm, warm_info = closed_form_alpha(image, trimap, coarse_to_fine=True, return_info=True)
    unknown = trimap == 0.5
    difference = np.abs(warm - cold)
    message = f"cold start: {cold_info}; coarse-to-fine: {warm_info}; |difference| max {difference.max():.4f}"
    assert len(warm_info.level_iterations) == 2 and len(cold_info.level_iterations) == 1, message
    assert warm_info.converged and cold_info.converged, message
    assert warm_info.iterations < cold_info.iterations, message  # measured: 162 vs 192
    assert difference.max() < 0.1 and difference[unknown].mean() < 0.005, message  # measured: 0.021, 0.001
    plain, plain_info = closed_form_alpha(image, trimap, preconditioner=None, coarse_to_fine=False, return_info=True)
    assert plain_info.converged and plain_info.iterations > cold_info.iterations, f"{plain_info} vs Jacobi {cold_info}"
    assert np.abs(plain - cold)[unknown].mean() < 0.005


# ---------------------------------------------------------------------------------------------------------------------
# Foreground and background colours


def test_estimate_foreground_recomposes_the_image_and_recovers_f(small_scene):
    image, alpha, true_f, true_b, trimap = small_scene
    alpha = alpha.astype(np.float32)
    foreground, background, info = estimate_foreground(image, alpha, return_info=True)
    assert foreground.shape == background.shape == image.shape and foreground.dtype == np.float32
    assert info.converged, str(info)
    unknown = trimap == 0.5
    recomposed = alpha[..., None] * foreground + (1 - alpha[..., None]) * background
    error = float(np.sqrt(((recomposed - image)[unknown] ** 2).mean()))
    opaque_enough = unknown & (alpha > 0.1)
    f_error = float(np.abs(foreground - true_f)[opaque_enough].mean())
    naive_error = float(np.abs(image - true_f)[opaque_enough].mean())  # the cut-out taken as F = I
    message = f"recomposition RMSE {error:.4f}; |F - F_true| {f_error:.4f} vs |I - F_true| {naive_error:.4f}; {info}"
    assert error < 0.025, message  # measured 0.015 (the |∇α|-weighted smoothness costs a little on strands)
    assert f_error < 0.5 * naive_error, message  # measured 0.039 vs 0.119
    grey_f, grey_b = estimate_foreground(image.mean(axis=2), alpha)
    assert grey_f.shape == grey_b.shape == alpha.shape


# ---------------------------------------------------------------------------------------------------------------------
# Bad input: one line naming the argument, the value and what was expected


IMAGE = np.random.default_rng(3).random((20, 24, 3)).astype(np.float32)
TRIMAP = np.full((20, 24), 0.5, dtype=np.float32)
TRIMAP[:3] = 0
TRIMAP[9:12, 10:14] = 1


def _with(**changes):
    arguments = {"image": IMAGE, "trimap": TRIMAP}
    arguments.update(changes)
    return arguments


BAD_ALPHA_CALLS = [
    ("trimap size", _with(trimap=TRIMAP[:, :23]), ["trimap", "(20, 23)", "(20, 24)"]),
    ("no foreground", _with(trimap=np.minimum(TRIMAP, 0.5)), ["trimap", "no known foreground"]),
    ("no background", _with(trimap=np.maximum(TRIMAP, 0.5)), ["trimap", "no known background"]),
    ("integer image", _with(image=(IMAGE * 255).astype(np.uint8)), ["image", "uint8", "255"]),
    ("four channels", _with(image=np.concatenate([IMAGE, IMAGE[..., :1]], axis=2)), ["image", "(20, 24, 4)"]),
    ("two channels", _with(image=IMAGE[..., :2]), ["image", "(20, 24, 2)", "(H, W, 3)"]),
    ("nan image", _with(image=np.where(IMAGE > 0.5, np.nan, IMAGE).astype(np.float32)), ["image", "NaN"]),
    ("tiny image", _with(image=IMAGE[:2, :2], trimap=TRIMAP[:2, :2]), ["image", "(2, 2, 3)", "3 pixels"]),
    ("trimap range", _with(trimap=TRIMAP * 2), ["trimap", "2.0", "[0, 1]"]),
    ("trimap dtype", _with(trimap=TRIMAP.astype(np.int16)), ["trimap", "int16"]),
    ("trimap list", _with(trimap=TRIMAP.tolist()), ["trimap", "list"]),
    ("eps", _with(eps=0.0), ["eps", "0.0", "> 0"]),
    ("radius", _with(radius=1.5), ["radius", "1.5", "int"]),
    ("lambda", _with(lambda_=-1.0), ["lambda_", "-1.0"]),
    ("lambda inf", _with(lambda_=math.inf), ["lambda_", "inf"]),
    ("rtol", _with(rtol=0), ["rtol", "0"]),
    ("max_iter", _with(max_iter=0), ["max_iter", "0"]),
    ("preconditioner", _with(preconditioner="ilu"), ["preconditioner", "'ilu'", "jacobi"]),
    ("coarse_to_fine", _with(coarse_to_fine=-1), ["coarse_to_fine", "-1"]),
]


@pytest.mark.parametrize("arguments, words", [c[1:] for c in BAD_ALPHA_CALLS], ids=[c[0] for c in BAD_ALPHA_CALLS])
def test_bad_input_to_closed_form_alpha(arguments, words):
    with pytest.raises(ImageError) as caught:
        closed_form_alpha(**arguments)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_bad_input_across_devices_and_to_estimate_foreground():
    from strict_device import StrictArray

    with pytest.raises(ImageError, match=r"^trimap: on device 'strict' but image on 'cpu'"):
        closed_form_alpha(IMAGE, StrictArray(TRIMAP.copy()))
    alpha = np.clip(TRIMAP, 0, 1)
    cases = [
        ((IMAGE, alpha[:, :5]), ["alpha", "(20, 5)", "(20, 24)"]),
        ((IMAGE, alpha * 3), ["alpha", "3.0", "[0, 1]"]),
        ((IMAGE, (alpha > 0.5).astype(np.uint8)), ["alpha", "uint8"]),
        ((IMAGE[..., :2], alpha), ["image", "(20, 24, 2)"]),
    ]
    for arguments, words in cases:
        with pytest.raises(ImageError) as caught:
            estimate_foreground(*arguments)
        message = str(caught.value)
        assert "\n" not in message and all(word in message for word in words), message
    with pytest.raises(ImageError, match=r"^regularization: -1"):
        estimate_foreground(IMAGE, alpha, regularization=-1)

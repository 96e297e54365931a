"""minigen.imaging.compose: Porter–Duff over (Porter & Duff 1984) and Poisson blending (Pérez, Gangnet & Blake 2003).

The Poisson checks are independent of the implementation: the discrete Laplacian and the guidance divergence are
recomputed here with plain NumPy slices (and, on a tiny image, the whole matrix with Python loops).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from minigen import backend
from minigen.imaging.compose import (
    over,
    over_premultiplied,
    poisson_blend,
    poisson_system,
    premultiply,
    unpremultiply,
)
from minigen.imaging.io import ImageError, sample_image

# ---------------------------------------------------------------------------------------------------------------
# Helpers: masks and an independent discrete Laplacian.


def disc(height: int, width: int, centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.mgrid[:height, :width]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def l_shape(height: int, width: int, top: int, left: int, size: int, arm: int) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[top : top + size, left : left + arm] = True  # the upright
    mask[top + size - arm : top + size, left : left + size] = True  # the foot
    return mask


def pairs(shape: tuple[int, ...]):
    """The four neighbour directions as (slice of p, slice of q) with q the neighbour of p, inside the image."""
    rows, cols = shape[:2]
    down = (slice(0, rows - 1), slice(None)), (slice(1, rows), slice(None))
    right = (slice(None), slice(0, cols - 1)), (slice(None), slice(1, cols))
    return [down, down[::-1], right, right[::-1]]


def laplacian(f: np.ndarray) -> np.ndarray:
    """|N_p| f_p − Σ_{q ∈ N_p} f_q with N_p the 4-neighbours of p inside the image."""
    out = np.zeros_like(f)
    for p, q in pairs(f.shape):
        out[p] += f[p] - f[q]
    return out


def guidance_divergence(g: np.ndarray, f_star: np.ndarray, mixed: bool) -> np.ndarray:
    """Σ_{q ∈ N_p} v_pq, v_pq = g_p − g_q or (mixed) f*_p − f*_q where |f*_p − f*_q| > |g_p − g_q|."""
    out = np.zeros_like(g)
    for p, q in pairs(g.shape):
        v = g[p] - g[q]
        if mixed:
            dt = f_star[p] - f_star[q]
            v = np.where(np.abs(dt) > np.abs(v), dt, v)
        out[p] += v
    return out


def relative_residual(result: np.ndarray, divergence: np.ndarray, inside: np.ndarray) -> float:
    """||Δf − div v|| / ||div v|| over Ω (Ω in the target's frame)."""
    if result.ndim == 3:
        inside = inside[:, :, None] & np.ones(result.shape, bool)
    error = (laplacian(result) - divergence)[inside]
    return float(np.linalg.norm(error) / np.linalg.norm(divergence[inside]))


def placed(source: np.ndarray, mask: np.ndarray, shape: tuple[int, ...], offset: tuple[int, int]):
    """The source and its mask moved into a target-sized frame (mask and its one-pixel ring must fit)."""
    frame, inside = np.zeros(shape, source.dtype), np.zeros(shape[:2], bool)
    rows, cols = slice(offset[0], offset[0] + source.shape[0]), slice(offset[1], offset[1] + source.shape[1])
    frame[rows, cols], inside[rows, cols] = source, mask
    return frame, inside


def crop(image: np.ndarray, height: int, width: int, top: int = 0, left: int = 0) -> np.ndarray:
    return np.ascontiguousarray(image[top : top + height, left : left + width])


# ---------------------------------------------------------------------------------------------------------------
# Porter–Duff over.


@pytest.fixture
def layers():
    """Three random premultiplied RGBA layers (c ≤ α), float64, with alphas covering 0 and 1."""
    rng = np.random.default_rng(0)
    result = []
    for _ in range(3):
        alpha = rng.uniform(0, 1, (5, 6))
        alpha[0, 0], alpha[0, 1] = 0.0, 1.0
        result.append((rng.uniform(0, 1, (5, 6, 3)) * alpha[:, :, None], alpha))
    return result


@pytest.mark.parametrize("channels", [None, 1, 3])
@pytest.mark.parametrize("alpha_shape", ["hw", "hw1", "scalar"])
def test_over_matches_the_compositing_equation(channels, alpha_shape):
    rng = np.random.default_rng(1)
    shape = (7, 5) if channels is None else (7, 5, channels)
    foreground, background = rng.uniform(0, 1, shape).astype(np.float32), rng.uniform(0, 1, shape).astype(np.float32)
    a = rng.uniform(0, 1, (7, 5)).astype(np.float32)
    alpha = {"hw": a, "hw1": a[:, :, None], "scalar": 0.3}[alpha_shape]
    a_b = np.float32(0.3) if alpha_shape == "scalar" else (a if channels is None else a[:, :, None])
    result = over(foreground, alpha, background)
    assert result.shape == shape and result.dtype == np.float32
    np.testing.assert_allclose(result, a_b * foreground + (1 - a_b) * background, rtol=1e-6, atol=1e-7)
    premultiplied = over(a_b * foreground, alpha, background, premultiplied=True)
    np.testing.assert_allclose(premultiplied, result, rtol=1e-6, atol=1e-7)


def test_over_limits_alpha_0_and_1():
    rng = np.random.default_rng(2)
    foreground, background = rng.uniform(0, 1, (4, 6, 3)), rng.uniform(0, 1, (4, 6, 3))
    alpha = np.zeros((4, 6))
    alpha[:, 3:] = 1.0
    result = over(foreground, alpha, background)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result[:, :3], background[:, :3])  # α = 0: the background, exactly
    np.testing.assert_array_equal(result[:, 3:], foreground[:, 3:])  # α = 1: the foreground, exactly


def test_premultiplied_over_is_associative(layers):
    (a, alpha_a), (b, alpha_b), (c, alpha_c) = layers
    left = over_premultiplied(*over_premultiplied(a, alpha_a, b, alpha_b), c, alpha_c)
    right = over_premultiplied(a, alpha_a, *over_premultiplied(b, alpha_b, c, alpha_c))
    for x, y in zip(left, right):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)
    assert left[1].shape == alpha_a.shape
    # and it is the compositing equation: c = c_f + (1 − α_f) c_b, α = α_f + (1 − α_f) α_b
    color, alpha = over_premultiplied(a, alpha_a, b, alpha_b)
    np.testing.assert_allclose(color, a + (1 - alpha_a[:, :, None]) * b, atol=1e-15)
    np.testing.assert_allclose(alpha, alpha_a + (1 - alpha_a) * alpha_b, atol=1e-15)


def test_premultiplied_over_an_opaque_background_is_straight_over(layers):
    (a, alpha_a), (b, _), _ = layers
    straight_fg = unpremultiply(a, alpha_a)
    color, alpha = over_premultiplied(a, alpha_a, b, np.ones_like(alpha_a))
    np.testing.assert_allclose(color, over(straight_fg, alpha_a, b), atol=1e-12)
    np.testing.assert_array_equal(alpha, np.ones_like(alpha_a))


def test_premultiply_round_trip_and_alpha_zero():
    rng = np.random.default_rng(3)
    color = rng.uniform(0, 1, (6, 8, 3)).astype(np.float32)
    alpha = rng.uniform(0, 1, (6, 8, 1)).astype(np.float32)
    alpha[0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero warning at α = 0
        premultiplied = premultiply(color, alpha)
        back = unpremultiply(premultiplied, alpha)
    np.testing.assert_allclose(premultiplied, color * alpha, rtol=1e-6)
    assert back.dtype == np.float32 and np.isfinite(back).all()
    np.testing.assert_allclose(back[1:], color[1:], rtol=1e-5)
    np.testing.assert_array_equal(back[0], 0.0)  # α = 0: no coverage, colour 0 rather than NaN


def test_compose_runs_on_the_device(device, layers):
    (a, alpha_a), (b, alpha_b), _ = layers
    on = lambda array: backend.to_device(array.astype(np.float32), device)  # noqa: E731
    xp = backend.get_device(device).xp
    results = [
        (over(on(a), on(alpha_a), on(b)), over(a, alpha_a, b)),
        (premultiply(on(a), on(alpha_a)), premultiply(a, alpha_a)),
        (unpremultiply(on(a), on(alpha_a)), unpremultiply(a, alpha_a)),
        *zip(over_premultiplied(on(a), on(alpha_a), on(b), on(alpha_b)), over_premultiplied(a, alpha_a, b, alpha_b)),
    ]
    for result, expected in results:
        assert isinstance(result, xp.ndarray) and result.dtype == np.float32
        np.testing.assert_allclose(backend.to_numpy(result), expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Poisson blending.


@pytest.fixture(scope="module")
def photos():
    """A chelsea crop as the source and a coffee crop as the target, float64 RGB."""
    return crop(sample_image("chelsea"), 90, 110, 60, 170).astype(np.float64), crop(
        sample_image("coffee"), 120, 140, 40, 120
    ).astype(np.float64)


MASKS = {
    "disc": lambda h, w: disc(h, w, (h / 2, w / 2), min(h, w) / 2 - 3),
    "L": lambda h, w: l_shape(h, w, 5, 8, min(h, w) - 12, 15),
}


@pytest.mark.parametrize("mixed", [False, True])
def test_pixels_outside_the_mask_are_unchanged(photos, mixed):
    source, target = photos
    mask = MASKS["disc"](*source.shape[:2])
    for dtype in (np.float32, np.float64):
        result = poisson_blend(source.astype(dtype), target.astype(dtype), mask, offset=(12, 20), mixed=mixed)
        _, inside = placed(source, mask, target.shape, (12, 20))
        np.testing.assert_array_equal(result[~inside], target.astype(dtype)[~inside])  # exactly
        assert not np.array_equal(result[inside], target.astype(dtype)[inside])


@pytest.mark.parametrize("shape", ["disc", "L"])
@pytest.mark.parametrize("grey", [False, True])
@pytest.mark.parametrize("mixed", [False, True])
def test_laplacian_of_the_result_is_the_guidance_divergence(photos, shape, grey, mixed):
    source, target = photos
    if grey:
        source, target = source.mean(axis=2), target.mean(axis=2)
    offset = (15, 9)
    mask = MASKS[shape](*source.shape[:2])
    result, info = poisson_blend(source, target, mask, offset=offset, mixed=mixed, rtol=1e-10, return_info=True)
    assert info.converged and info.residual <= 1e-10 and result.shape == target.shape
    g, inside = placed(source, mask, target.shape, offset)
    divergence = guidance_divergence(g, target, mixed)  # for mixed=False: the source's Laplacian
    assert relative_residual(result, divergence, inside) <= 1e-4
    # the result is not the trivial answer: it differs from a plain paste and from the target
    assert relative_residual(np.where(inside if grey else inside[:, :, None], g, target), divergence, inside) > 1e-2


def test_adding_a_constant_to_the_source_changes_nothing(photos):
    source, target = photos
    mask = MASKS["L"](*source.shape[:2])
    for mixed in (False, True):
        plain = poisson_blend(source, target, mask, offset=(10, 10), mixed=mixed, rtol=1e-12)
        shifted = poisson_blend(source + 0.3, target, mask, offset=(10, 10), mixed=mixed, rtol=1e-12)
        np.testing.assert_allclose(shifted, plain, rtol=0, atol=1e-8)


def test_mixed_gradients_keep_the_stronger_texture():
    target = sample_image("brick")[:80, :80].astype(np.float64)  # strong texture
    source = np.full((50, 50), 0.5)  # flat: no gradient at all
    mask = disc(50, 50, (25, 25), 22)
    inside = placed(source, mask, target.shape, (15, 15))[1]
    mixed = poisson_blend(source, target, mask, offset=(15, 15), mixed=True, rtol=1e-10)
    normal = poisson_blend(source, target, mask, offset=(15, 15), mixed=False, rtol=1e-10)
    # mixed: the target's gradients win everywhere, so the target's texture is kept
    np.testing.assert_allclose(mixed[inside], target[inside], atol=1e-6)
    # normal cloning: the flat source's zero gradients win, Δf = 0 inside: the texture is flattened
    texture = lambda f: np.abs(laplacian(f)[inside]).mean()  # noqa: E731
    assert texture(normal) < 0.01 * texture(target)
    assert np.abs(normal[inside] - target[inside]).mean() > 0.02


def test_operator_and_right_hand_side_match_the_assembled_system():
    """On a 6 x 7 image with an L-shaped Ω touching the image border: A and b built entry by entry from eq. 7."""
    rng = np.random.default_rng(4)
    target, source = rng.uniform(0, 1, (6, 7, 2)), rng.uniform(0, 1, (6, 7, 2))
    mask = np.zeros((6, 7), bool)
    mask[0:4, 1:3] = True
    mask[2:4, 3:6] = True
    for mixed in (False, True):
        system = poisson_system(source, target, mask, (0, 0), mixed)
        h, w = system.inside.shape[:2]
        t_rows, t_cols = range(system.rows.start, system.rows.stop), range(system.cols.start, system.cols.stop)
        omega = [(i, j) for i in range(h) for j in range(w) if mask[t_rows[i], t_cols[j]]]
        index = {p: k for k, p in enumerate(omega)}
        matrix, rhs = np.zeros((len(omega), len(omega))), np.zeros((len(omega), 2))
        for (i, j), k in index.items():
            ti, tj = t_rows[i], t_cols[j]
            for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                qi, qj = ti + di, tj + dj
                if not (0 <= qi < 6 and 0 <= qj < 7):
                    continue  # N_p: neighbours inside the image only
                matrix[k, k] += 1
                v = source[ti, tj] - source[qi, qj]
                if mixed:
                    dt = target[ti, tj] - target[qi, qj]
                    v = np.where(np.abs(dt) > np.abs(v), dt, v)
                rhs[k] += v
                if mask[qi, qj]:
                    matrix[k, index[(qi - t_rows[0], qj - t_cols[0])]] -= 1
                else:
                    rhs[k] += target[qi, qj]  # a Dirichlet neighbour, q ∈ ∂Ω
        applied = np.zeros_like(matrix)
        for k, (i, j) in enumerate(omega):
            unit = np.zeros((h, w, 1))
            unit[i, j] = 1.0
            column = system.apply(unit)
            assert np.count_nonzero(column[system.inside == 0]) == 0  # A x is 0 outside Ω
            applied[:, k] = [column[p][0] for p in omega]
        np.testing.assert_array_equal(applied, matrix)
        assert np.all(np.linalg.eigvalsh(matrix) > 0)  # symmetric positive definite
        np.testing.assert_allclose(np.array([system.rhs[p] for p in omega]), rhs, atol=1e-14)


def box_laplacian(height: int, width: int) -> np.ndarray:
    """The 5-point Laplacian of a height x width box with 0 outside it, assembled entry by entry."""
    matrix = np.zeros((height * width, height * width))
    for i in range(height):
        for j in range(width):
            matrix[i * width + j, i * width + j] = 4
            for qi, qj in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
                if 0 <= qi < height and 0 <= qj < width:
                    matrix[i * width + j, qi * width + qj] = -1
    return matrix


@pytest.mark.parametrize("shape", ["rectangle", "L"])
def test_dst_preconditioner_is_the_inverse_laplacian_of_the_bounding_box(shape):
    rng = np.random.default_rng(5)
    source, target = rng.uniform(0, 1, (9, 10)), rng.uniform(0, 1, (12, 13, 1))
    mask = np.zeros((9, 10), bool)
    mask[2:7, 3:9] = True  # a 5 x 6 box
    if shape == "L":
        mask[2:5, 5:9] = False
    system = poisson_system(source[:, :, None], target, mask, (1, 2))
    r0, r1, c0, c1 = system.box
    assert (r1 - r0, c1 - c0) == (5, 6) and system.inside[r0:r1, c0:c1].sum() == mask.sum()
    omega = np.flatnonzero(mask[2:7, 3:9])  # Ω in the box, row-major
    expected = np.linalg.inv(box_laplacian(5, 6))[np.ix_(omega, omega)]  # P L_B^-1 P
    columns = []
    for k in omega:
        unit = np.zeros(system.inside.shape)
        unit[r0 + k // 6, c0 + k % 6] = 1.0
        columns.append(system.dst(unit)[r0:r1, c0:c1, 0].ravel()[omega])
    np.testing.assert_allclose(np.array(columns).T, expected, atol=1e-12)


def test_dst_is_a_direct_solver_for_a_rectangle_and_a_preconditioner_for_a_disc(photos):
    source, target = photos
    rectangle = np.zeros(source.shape[:2], bool)
    rectangle[10:70, 15:95] = True
    for mask, most_steps in ((rectangle, 1), (MASKS["disc"](*source.shape[:2]), 40)):
        exact, info = poisson_blend(source, target, mask, (12, 20), rtol=1e-12, return_info=True)
        fast, fast_info = poisson_blend(
            source, target, mask, (12, 20), rtol=1e-12, return_info=True, preconditioner="dst"
        )
        assert fast_info.converged and fast_info.iterations <= most_steps < info.iterations
        np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-9)


def test_a_mask_touching_the_target_border_uses_the_neighbours_inside_the_image(photos):
    source, target = photos
    source = crop(source, 80, 100)
    target = crop(target, 80, 100)
    mask = disc(80, 100, (0, 0), 40) | l_shape(80, 100, 40, 60, 40, 10)  # the top-left corner and the bottom edge
    result = poisson_blend(source, target, mask, rtol=1e-11)
    assert relative_residual(result, guidance_divergence(source, target, False), mask) <= 1e-4
    np.testing.assert_array_equal(result[~mask], target[~mask])
    with pytest.raises(ImageError, match=r"^mask: covers the whole target"):
        poisson_blend(source, target, np.ones((80, 100)))


def test_a_mask_touching_the_source_border_repeats_the_source_edge(photos):
    source, target = photos
    mask = np.zeros(source.shape[:2], bool)
    mask[:20, :30] = True  # touches the source's top and left edges, pasted in the middle of the target
    result = poisson_blend(source, target, mask, offset=(30, 40), rtol=1e-11)
    extended = np.zeros(target.shape)
    extended[29:51, 39:71] = np.pad(source[:21, :31], ((1, 0), (1, 0), (0, 0)), mode="edge")  # Ω and its ring
    inside = np.zeros(target.shape[:2], bool)
    inside[30:50, 40:70] = True
    assert relative_residual(result, guidance_divergence(extended, target, False), inside) <= 1e-4


def test_float32_default_tolerance_is_close_to_the_exact_solution():
    source = crop(sample_image("chelsea"), 120, 150, 40, 150)
    target = crop(sample_image("coffee"), 160, 200, 50, 100)
    mask = disc(120, 150, (60, 75), 55)
    fast, info = poisson_blend(source, target, mask, offset=(20, 25), return_info=True)
    exact = poisson_blend(source.astype(np.float64), target.astype(np.float64), mask, offset=(20, 25), rtol=1e-12)
    assert fast.dtype == np.float32 and info.converged and info.iterations > 10
    assert np.abs(fast - exact).max() < 1 / 255  # below one 8-bit grey level


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", ["grey", "grey1", "rgb"])
def test_poisson_runs_on_the_device(device, dtype, shape):
    rgb_s, rgb_t = crop(sample_image("chelsea"), 40, 50, 80, 200), crop(sample_image("coffee"), 60, 70, 80, 150)
    source, target = {"grey": (rgb_s[..., 0], rgb_t[..., 0]), "grey1": (rgb_s[..., :1], rgb_t[..., :1])}.get(
        shape, (rgb_s, rgb_t)
    )
    source, target = source.astype(dtype), target.astype(dtype)
    mask = l_shape(40, 50, 3, 4, 34, 9).astype(np.float32)
    xp = backend.get_device(device).xp
    on = lambda array: backend.to_device(array, device)  # noqa: E731
    for mixed, preconditioner in ((False, "jacobi"), (True, "jacobi"), (False, "dst")):
        args = {"mixed": mixed, "preconditioner": preconditioner}
        result, info = poisson_blend(on(source), on(target), on(mask), (9, 11), return_info=True, **args)
        assert isinstance(result, xp.ndarray) and result.dtype == dtype and result.shape == target.shape
        assert info.converged
        expected = poisson_blend(source, target, mask, (9, 11), **args)
        np.testing.assert_allclose(backend.to_numpy(result), expected, rtol=0, atol=1e-5)


def test_progress_max_iter_and_info(photos, capsys):
    source, target = photos
    mask = MASKS["disc"](*source.shape[:2])
    seen = []
    record = lambda k, r: seen.append((k, r))  # noqa: E731
    result, info = poisson_blend(source, target, mask, (5, 5), progress=record, return_info=True)
    assert info.converged and len(seen) == info.iterations > 0 and seen[-1][1] == info.residual
    poisson_blend(source, target, mask, (5, 5), progress=True)
    assert "iterations, relative residual" in capsys.readouterr().err
    with pytest.warns(RuntimeWarning, match="stopped at max_iter"):
        _, info = poisson_blend(source, target, mask, (5, 5), max_iter=3, return_info=True)
    assert info.iterations == 3 and not info.converged


# ---------------------------------------------------------------------------------------------------------------
# Bad input: one line naming the argument, the value and what was expected.

_S, _T = np.zeros((10, 12, 3), np.float32), np.zeros((20, 20, 3), np.float32)
_M = np.zeros((10, 12), bool)
_M[2:8, 2:9] = True
BAD = [
    ("mask size", lambda: poisson_blend(_S, _T, _M[:9]), r"^mask: shape \(9, 12\) \(expected \(10, 12\)"),
    ("offset past the bottom", lambda: poisson_blend(_S, _T, _M, (15, 0)), r"^offset: \(15, 0\) puts .* rows 17\.\.22"),
    ("negative offset", lambda: poisson_blend(_S, _T, _M, (0, -3)), r"^offset: \(0, -3\) puts .* columns -1\.\.5"),
    ("offset not a pair", lambda: poisson_blend(_S, _T, _M, 3), r"^offset: 3 \(expected a pair of integers"),
    ("offset of floats", lambda: poisson_blend(_S, _T, _M, (1.5, 0)), r"^offset: \(1\.5, 0\) \(expected a pair"),
    ("empty mask", lambda: poisson_blend(_S, _T, np.zeros((10, 12))), r"^mask: no nonzero pixel"),
    ("NaN mask", lambda: poisson_blend(_S, _T, np.full((10, 12), np.nan)), r"^mask: holds NaN"),
    ("uint8 source", lambda: poisson_blend(_S.astype(np.uint8), _T, _M), r"^source: dtype uint8 .*divide"),
    ("int target", lambda: poisson_blend(_S, _T.astype(np.int64), _M), r"^target: dtype int64"),
    ("channels", lambda: poisson_blend(_S[..., 0], _T, _M), r"^source: shape \(10, 12\) has 1 channel"),
    ("rtol", lambda: poisson_blend(_S, _T, _M, rtol=0), r"^rtol: 0 \(expected a number > 0\)"),
    ("max_iter", lambda: poisson_blend(_S, _T, _M, max_iter=-1), r"^max_iter: -1 \(expected an integer"),
    ("preconditioner", lambda: poisson_blend(_S, _T, _M, preconditioner="ilu"), r"^preconditioner: 'ilu' \(expected"),
    ("int images for over", lambda: over(_S.astype(np.uint8), 0.5, _S), r"^foreground: dtype uint8"),
    ("alpha out of range", lambda: over(_S, np.full((10, 12), 1.5), _S), r"^alpha: values in \[1\.5, 1\.5\]"),
    ("alpha NaN", lambda: over(_S, np.full((10, 12), np.nan), _S), r"^alpha: values in \[nan"),
    ("alpha number", lambda: over(_S, 2, _S), r"^alpha: 2 \(expected an alpha in \[0, 1\]\)"),
    ("alpha shape", lambda: over(_S, np.ones((10, 12, 3)), _S), r"^alpha: shape \(10, 12, 3\) \(expected \(10, 12\)"),
    ("background shape", lambda: over(_S, 0.5, _T), r"^background: shape \(20, 20, 3\) float32 \(expected"),
    ("alpha_f a number", lambda: over_premultiplied(_S, 0.5, _S, 0.5), r"^alpha_f: expected a float array"),
    ("uint8 alpha", lambda: premultiply(_S, np.ones((10, 12), np.uint8)), r"^alpha: dtype uint8 .*255"),
]


@pytest.mark.parametrize("probe", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_line(probe):
    _, call, pattern = probe
    with pytest.raises(ImageError, match=pattern) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_mixing_devices_is_refused():
    strict = backend.to_device(_T, "strict")
    with pytest.raises(ImageError, match=r"^source: on device 'cpu' but target is on 'strict'"):
        poisson_blend(_S, strict, _M)
    with pytest.raises(ImageError, match=r"^mask: on device 'cpu' but source is on 'strict'"):
        poisson_blend(backend.to_device(_S, "strict"), strict, _M)

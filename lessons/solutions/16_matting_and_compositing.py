"""Reference solutions for lesson 16's exercises (the tests run the lesson's checks against them)."""

import numpy as np


def colour_line_fit(colours, alpha, eps):
    """Ridge fit alpha_i ~ a^T I_i + b of one window: a = (Sigma + eps/|w| Id)^-1 cov(I, alpha), b = mean - a^T mu."""
    n = len(alpha)
    mu, alpha_bar = colours.mean(axis=0), alpha.mean()
    centred = colours - mu
    sigma = centred.T @ centred / n
    cov = centred.T @ (alpha - alpha_bar) / n
    a = np.linalg.solve(sigma + eps / n * np.eye(colours.shape[1]), cov)
    return a, float(alpha_bar - a @ mu)


def jacobi_pcg(A, b, rtol=1e-10, max_iter=1000):
    """Conjugate gradient preconditioned by M = diag(A), from x = 0; returns (x, iterations)."""
    inverse_diagonal = 1 / np.diag(A)
    x = np.zeros_like(b, dtype=np.float64)
    norm_b = np.linalg.norm(b)
    if norm_b == 0:
        return x, 0
    r = b.astype(np.float64).copy()
    z = inverse_diagonal * r
    p = z.copy()
    rz = r @ z
    iterations = 0
    while np.linalg.norm(r) > rtol * norm_b and iterations < max_iter:
        ap = A @ p
        step = rz / (p @ ap)
        x += step * p
        r -= step * ap
        z = inverse_diagonal * r
        rz, rz_old = r @ z, rz
        p = z + (rz / rz_old) * p
        iterations += 1
    return x, iterations


def safe_unpremultiply(c, alpha):
    """c / alpha where alpha > 0, 0 where alpha = 0: divide by 1 where there is no coverage, then zero it."""
    covered = alpha > 0
    return np.where(covered[..., None], c / np.where(covered, alpha, 1.0)[..., None], 0.0)


def poisson_rhs(source, target, mask):
    """b_p = sum over the 4-neighbours q of p: f*_q if q is outside the mask, plus g_p - g_q; 0 outside the mask."""
    b = np.zeros_like(target, dtype=np.float64)
    outside = target * ~mask  # f* where q is not in Omega, 0 where it is
    for axis in (0, 1):
        for shift in (1, -1):  # the neighbour q = p - shift along axis (the mask keeps away from the border)
            neighbour_g = np.roll(source, shift, axis=axis)
            neighbour_f = np.roll(outside, shift, axis=axis)
            b += neighbour_f + (source - neighbour_g)
    return b * mask

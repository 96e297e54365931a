"""Reference solutions for lesson 17's exercises (the tests run the lesson's checks against them)."""

import numpy as np


def gram_and_backward(F, dG):
    """G = F F^T / (C H W) per image, and dL/dF = (dG + dG^T) F / (C H W), for F (N, C, H, W) and dG (N, C, C)."""
    n, c, h, w = F.shape
    rows = F.reshape(n, c, h * w)  # F_l: one row per channel
    scale = 1.0 / (c * h * w)
    G = rows @ rows.transpose(0, 2, 1) * scale
    dF = (dG + dG.transpose(0, 2, 1)) @ rows * scale
    return G, dF.reshape(F.shape)


def tv_value_and_grad(x):
    """mean (x_(i+1)j - x_ij)^2 + mean (x_i(j+1) - x_ij)^2 and its gradient, for images (N, C, H, W)."""
    down = x[:, :, 1:, :] - x[:, :, :-1, :]
    across = x[:, :, :, 1:] - x[:, :, :, :-1]
    value = float((down**2).mean() + (across**2).mean())
    grad = np.zeros_like(x)
    d_down, d_across = 2 * down / down.size, 2 * across / across.size  # d(mean of squares)/d(difference)
    grad[:, :, 1:, :] += d_down  # each difference is + the later pixel ...
    grad[:, :, :-1, :] -= d_down  # ... and - the earlier one
    grad[:, :, :, 1:] += d_across
    grad[:, :, :, :-1] -= d_across
    return value, grad


def two_loop_direction(g, s_history, y_history):
    """d = -H g by the two-loop recursion (Nocedal & Wright, algorithm 7.4), H_0 = gamma I."""
    rho = [1.0 / float(y @ s) for s, y in zip(s_history, y_history)]
    gamma = float(s_history[-1] @ y_history[-1]) / float(y_history[-1] @ y_history[-1])
    q = -np.asarray(g, dtype=np.float64)
    alpha = [0.0] * len(s_history)
    for i in reversed(range(len(s_history))):  # newest to oldest
        alpha[i] = rho[i] * float(s_history[i] @ q)
        q = q - alpha[i] * y_history[i]
    r = gamma * q
    for i in range(len(s_history)):  # oldest to newest
        beta = rho[i] * float(y_history[i] @ r)
        r = r + (alpha[i] - beta) * s_history[i]
    return r


def weighted_style_loss(features, targets, layer_weights):
    """sum_l v_l ||G_l - T_l||^2 / (L ||T_l||^2), the Gram matrices G_l of the feature arrays (1, C_l, H_l, W_l)."""
    total = 0.0
    for F, T, v in zip(features, targets, layer_weights):
        n, c, h, w = F.shape
        rows = F.reshape(n, c, h * w)
        G = rows @ rows.transpose(0, 2, 1) / (c * h * w)
        total += v * float(((G - T) ** 2).sum()) / (len(targets) * float((T**2).sum()))
    return total

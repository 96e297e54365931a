"""Reference solutions for lesson 9's exercises (the tests run the lesson's checks against them)."""

from minigen.functional import softplus


def conv_transpose_output_size(n, k, s, p):
    return (n - 1) * s - 2 * p + k


def dcgan_generator_parameters(latent_dim, features, channels):
    f = features
    widths = [latent_dim, 4 * f, 2 * f, f]
    total = 0
    for fan_in, fan_out in zip(widths, widths[1:]):
        total += fan_in * fan_out * 16 + 2 * fan_out  # conv weight (no bias) + BatchNorm scale and shift
    return total + f * channels * 16 + channels  # the last ConvTranspose2d has a bias


def smoothed_discriminator_loss(real_logits, fake_logits, smoothing):
    target = 1 - smoothing
    real_term = (target * softplus(-real_logits) + (1 - target) * softplus(real_logits)).mean()
    return real_term + softplus(fake_logits).mean()

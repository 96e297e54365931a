"""Classical image synthesis on ``xp`` arrays: making new images by rearranging and blending real ones.

Images are float arrays in [0, 1], (H, W) or (H, W, C), NumPy or CuPy; what comes in is what goes out.
One file per idea:

=================  ================================================================================
``io.py``          reading and writing PNG/JPEG, the shipped sample images, the checks on an image
``solver.py``      preconditioned conjugate gradient, shared by matting and Poisson blending
``texture.py``     image quilting and texture transfer (Efros & Freeman 2001)
``matting.py``     closed-form matting (Levin, Lischinski & Weiss 2008) and foreground estimation
``scenes.py``      composites of known alpha made from the shipped photographs, to measure against
``features.py``    the networks neural synthesis looks through: random multi-scale filters, VGG-19's layout
``neural.py``      Gram-matrix texture synthesis and style transfer (Gatys, Ecker & Bethge 2015, 2016)
``compose.py``     Porter-Duff over (Porter & Duff 1984) and Poisson blending (Perez, Gangnet & Blake 2003)
=================  ================================================================================
"""

from minigen.imaging.compose import over, over_premultiplied, poisson_blend, poisson_system, premultiply, unpremultiply
from minigen.imaging.features import RandomMultiScale, VGG19Features, load_vgg19_weights
from minigen.imaging.io import SAMPLE_IMAGES, ImageError, as_float_image, read_image, sample_image, write_image
from minigen.imaging.matting import (
    MattingInfo,
    MattingLaplacian,
    closed_form_alpha,
    estimate_foreground,
    matting_laplacian_apply,
    matting_laplacian_diagonal,
)
from minigen.imaging.neural import (
    content_distance,
    content_loss,
    gram_matrix,
    neural_texture,
    style_distance,
    style_loss,
    style_transfer,
    tv_loss,
)
from minigen.imaging.scenes import MattingScene, matting_scene
from minigen.imaging.solver import SolveInfo, conjugate_gradient
from minigen.imaging.texture import luminance, min_error_cut, overlap_errors, quilt, texture_transfer

__all__ = [
    "SAMPLE_IMAGES", "ImageError", "RandomMultiScale", "VGG19Features", "content_distance", "content_loss",
    "gram_matrix", "load_vgg19_weights", "neural_texture", "style_distance", "style_loss", "style_transfer",
    "tv_loss", "MattingInfo", "MattingLaplacian", "MattingScene", "SolveInfo",
    "closed_form_alpha", "estimate_foreground", "matting_laplacian_apply", "matting_laplacian_diagonal",
    "matting_scene", "as_float_image", "conjugate_gradient", "luminance", "min_error_cut",
    "over", "over_premultiplied", "overlap_errors", "poisson_blend", "poisson_system", "premultiply", "quilt",
    "read_image", "sample_image", "texture_transfer", "unpremultiply", "write_image",
]  # fmt: skip

"""``minigen texture``, ``matte``, ``composite`` and ``style``: new images from real ones, by data or by a network.

    minigen texture --demo                                   # quilt the shipped brick texture to 256x256
    minigen texture grass.png --size 512x384 --seed 3 --out big.png
    minigen texture brick.png --transfer face.png --out face-in-brick.png
    minigen texture gravel.png --method gram --size 256 --steps 200 --save-every 50   # neural (Gram) texture
    minigen style photo.png painting.png --out painted.png [--vgg vgg19_features.npz]
    minigen matte photo.png --trimap trimap.png --out alpha.png --foreground fg.png
    minigen composite fg.png --alpha alpha.png --background beach.png --out out.png
    minigen composite face.png --poisson --mask mask.png --background wall.png --at 120,80 --out out.png

Each ``--demo`` runs on the images shipped with minigen (``minigen.imaging.SAMPLE_IMAGES``), so a
newcomer sees a result in one command. Outputs are PNG or JPEG, refused when they exist unless
``--force``, and written to a temporary then renamed: an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from minigen.cli.common import EXIT_FAILED, fail, output_file_problem, seed_problem

__all__ = ["add_commands"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class _BadArgument(Exception):
    """An argument that cannot be used: the message is the one line to print."""


def add_commands(commands: Any) -> dict[str, Any]:
    """Add ``texture``, ``matte`` and ``composite`` to the subparsers ``commands``; returns their handlers."""
    texture = commands.add_parser("texture", help="synthesise a texture from an example (image quilting)",
                                  description="Image quilting (Efros & Freeman 2001): a new texture of any size made "
                                  "of blocks of SOURCE joined along minimum-error seams; with --transfer, TARGET "
                                  "rendered in SOURCE's texture.")  # fmt: skip
    texture.add_argument("source", nargs="?", help="the example texture (default: the shipped brick texture)")
    texture.add_argument("--size", default="256x256", help="output HEIGHTxWIDTH, or one number for a square "
                         "(default 256x256)")  # fmt: skip
    texture.add_argument("--patch", type=int, help="block side in pixels (default: from the source's size)")
    texture.add_argument("--overlap", type=int, help="overlap between blocks in pixels (default: patch / 6)")
    texture.add_argument("--transfer", metavar="TARGET", help="render this image in SOURCE's texture instead")
    texture.add_argument("--method", choices=("quilt", "gram"), default="quilt", help="quilt: image quilting "
                         "(default); gram: optimise the pixels until a network's Gram matrices match SOURCE's")
    texture.add_argument("--seed", type=int, default=0, help="seed of the random choices or noise (default 0)")
    _add_neural(texture)
    _add_common(texture, "texture.png")

    matte = commands.add_parser("matte", help="pull a soft alpha matte from an image and a trimap",
                                description="Closed-form matting (Levin, Lischinski & Weiss 2008): the alpha of "
                                "IMAGE's foreground from a trimap (black: background, white: foreground, grey: "
                                "unknown) or scribbles.")  # fmt: skip
    matte.add_argument("image", nargs="?", help="the photograph")
    matte.add_argument("--trimap", help="trimap or scribbles, the size of IMAGE")
    matte.add_argument("--foreground", metavar="FILE", help="also write the foreground colours with the alpha "
                       "(an RGBA PNG, ready to composite without the old background's halo)")  # fmt: skip
    _add_common(matte, "alpha.png")

    composite = commands.add_parser("composite", help="composite a foreground over a background",
                                    description="Porter-Duff 'over' with an alpha matte, or with --poisson seamless "
                                    "cloning (Perez, Gangnet & Blake 2003) of the masked part of FOREGROUND.")
    composite.add_argument("foreground", nargs="?", help="the foreground image (RGBA carries its own alpha)")
    composite.add_argument("--alpha", help="alpha matte of FOREGROUND (grey image, its size)")
    composite.add_argument("--background", help="the background image")
    composite.add_argument("--poisson", action="store_true", help="seamless cloning instead of alpha compositing")
    composite.add_argument("--mask", help="with --poisson: the region of FOREGROUND to clone (white inside)")
    composite.add_argument("--mixed", action="store_true", help="with --poisson: keep the stronger of the two "
                           "images' gradients (mixed gradients)")  # fmt: skip
    composite.add_argument("--at", default="0,0", help="X,Y: where FOREGROUND's top-left corner goes in the "
                           "background (default 0,0)")  # fmt: skip
    _add_common(composite, "composite.png")

    style = commands.add_parser("style", help="redraw a photograph in the style of another image (neural)",
                                description="Neural style transfer (Gatys, Ecker & Bethge 2016): the pixels of "
                                "CONTENT are optimised so that a network's deep features keep CONTENT's and its "
                                "Gram matrices take STYLE's. The network is random multi-scale filters unless "
                                "--vgg gives VGG-19 weights.")  # fmt: skip
    style.add_argument("content", nargs="?", help="the photograph to redraw")
    style.add_argument("style", nargs="?", help="the image whose style to take")
    style.add_argument("--size", type=int, help="scale CONTENT so its longer side is this many pixels")
    style.add_argument("--style-weight", type=float, help="weight of the style (Gram) loss (default 1)")
    style.add_argument("--content-weight", type=float, help="weight of the content loss (default 0.1)")
    style.add_argument("--seed", type=int, default=0, help="seed of the random network (default 0)")
    _add_neural(style)
    _add_common(style, "style.png")
    return {"texture": _texture, "matte": _matte, "composite": _composite, "style": _style}


def _add_neural(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, help="optimisation steps at the finest scale (default 200; gram only)")
    parser.add_argument("--save-every", type=int, metavar="K", help="also write OUT-stepN.png every K steps")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--vgg", metavar="PATH", help="VGG-19 features weights (.npz, see minigen.imaging."
                        "VGG19Features) instead of the random multi-scale network")  # fmt: skip


def _add_common(parser: argparse.ArgumentParser, default_out: str) -> None:
    parser.add_argument("--out", default=default_out, help=f"image to write, .png or .jpg (default {default_out})")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--demo", action="store_true", help="run on the images shipped with minigen")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


# ------------------------------------------------------------------------------------------ reading arguments
def _read(option: str, path: str | None, *, grey: bool = False) -> Any:
    from minigen.imaging import ImageError, read_image

    if path is None:
        raise _BadArgument(f"{option}: nothing (expected an image file; or use --demo)")
    try:
        return read_image(path, grey=grey)
    except ImageError as error:
        raise _BadArgument(f"{option}: {error}") from None


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?", text)
    size = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else None
    if size is None or min(size) < 1 or max(size) > 8192:
        raise _BadArgument(f"--size: {text!r} (expected HEIGHTxWIDTH or one number, each from 1 to 8192)")
    return size


def _position(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(-?\d+)\s*,\s*(-?\d+)\s*", text)
    if match is None:
        raise _BadArgument(f"--at: {text!r} (expected X,Y in pixels, e.g. 120,80)")
    return int(match.group(2)), int(match.group(1))  # (row, col)


def _positive(option: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise _BadArgument(f"{option}: {value} (expected an int >= 1)")


def _run(args: argparse.Namespace, make: Any) -> int:
    """Check --out, run ``make()`` (which returns the image and a one-line summary), write the image."""
    from minigen.imaging import write_image

    problem = output_file_problem("--out", args.out, args.force, IMAGE_SUFFIXES)
    if problem:
        return fail(problem)
    try:
        image, summary, extra = make()
    except (_BadArgument, ValueError) as error:  # ImageError is a ValueError: every bad input the library names
        return fail(error)
    try:
        for path, picture in [(args.out, image), *extra]:
            write_image(path, picture)
    except OSError as error:
        return fail(f"--out: {args.out} (cannot write it: {error.strerror or error})", status=EXIT_FAILED)
    print(f"wrote {args.out}: {summary}")
    return 0


# ------------------------------------------------------------------------------------------ the commands
def _texture(args: argparse.Namespace) -> int:
    def make() -> tuple[Any, str, list]:
        from minigen.imaging import quilt, sample_image, texture_transfer

        _positive("--patch", args.patch)
        _positive("--overlap", args.overlap)
        if seed_problem(args.seed):
            raise _BadArgument(seed_problem(args.seed))
        source = sample_image("brick") if args.demo or args.source is None else _read("source", args.source)
        if args.method == "gram":
            if args.transfer or args.patch or args.overlap:
                raise _BadArgument("--method: gram (--transfer, --patch and --overlap are quilting's; use style for "
                                   "a neural transfer)")  # fmt: skip
            size = _size(args.size)
            result = _neural(args, "neural_texture", source, size)
            return result, f"{size[1]}x{size[0]} neural texture ({args.steps or 'default'} steps)", []
        _not_neural(args, "--method quilt")
        options = {"patch": args.patch, "overlap": args.overlap}
        options = {name: value for name, value in options.items() if value is not None}
        progress = not args.no_progress
        if args.transfer:
            target = _read("--transfer", args.transfer)
            result = texture_transfer(source, target, rng=args.seed, progress=progress, **options)
            return result, f"{target.shape[1]}x{target.shape[0]} target in the source's texture", []
        size = _size(args.size)
        result = quilt(source, size, rng=args.seed, progress=progress, **options)
        name = "the shipped brick texture" if args.demo or args.source is None else args.source
        return result, f"{size[1]}x{size[0]} texture quilted from {name} (seed {args.seed})", []

    return _run(args, make)


def _matte(args: argparse.Namespace) -> int:
    def make() -> tuple[Any, str, list]:
        from minigen.imaging import closed_form_alpha, estimate_foreground, matting_scene

        if args.foreground and output_file_problem("--foreground", args.foreground, args.force, (".png",)):
            raise _BadArgument(output_file_problem("--foreground", args.foreground, args.force, (".png",)))
        if args.demo:  # the shipped cat's fur over the shipped coffee, through an alpha of hair-like strands
            scene = matting_scene()
            image, trimap = scene.image, scene.trimap
        else:
            image = _read("image", args.image)
            trimap = _read("--trimap", args.trimap, grey=True)
        alpha, info = closed_form_alpha(image, trimap, return_info=True, progress=not args.no_progress)
        extra = []
        if args.foreground:
            foreground, _ = estimate_foreground(image, alpha)
            extra.append((args.foreground, _stack_alpha(foreground, alpha)))
        summary = f"alpha matte ({info})"
        if args.demo:
            sad = float(abs(alpha - scene.alpha)[scene.unknown].sum())
            summary += f"; against the true alpha, SAD {sad:.0f} over {int(scene.unknown.sum())} unknown pixels"
        return alpha, summary, extra

    return _run(args, make)


def _stack_alpha(colour: Any, alpha: Any) -> Any:
    from minigen import backend

    xp = backend.get_array_module(colour)
    colour = colour if colour.ndim == 3 else xp.repeat(colour[..., None], 3, axis=2)
    return xp.concatenate([colour, alpha[..., None].astype(colour.dtype)], axis=2)


def _composite(args: argparse.Namespace) -> int:
    def make() -> tuple[Any, str, list]:
        from minigen.imaging import over, poisson_blend

        if args.demo:
            return _composite_demo(args)
        foreground = _read("foreground", args.foreground)
        background = _read("--background", args.background)
        if args.poisson:
            mask = _read("--mask", args.mask, grey=True)
            result, info = poisson_blend(foreground, background, mask > 0.5, offset=_position(args.at),
                                         mixed=args.mixed, return_info=True, progress=not args.no_progress)
            return result, f"Poisson {'mixed-gradient ' if args.mixed else ''}cloning ({info})", []
        if args.mask or args.mixed:
            raise _BadArgument(f"{'--mask' if args.mask else '--mixed'}: given without --poisson (expected --poisson)")
        if args.alpha is None and not (foreground.ndim == 3 and foreground.shape[2] == 4):
            raise _BadArgument("--alpha: nothing (expected an alpha matte, or a foreground with an alpha channel)")
        alpha = _read("--alpha", args.alpha, grey=True) if args.alpha else foreground[..., 3]
        foreground = foreground[..., :3] if foreground.ndim == 3 and foreground.shape[2] == 4 else foreground
        return over(foreground, alpha, background), "foreground over background", []

    return _run(args, make)


def _composite_demo(args: argparse.Namespace) -> tuple[Any, str, list]:
    """Seamless cloning of Chelsea the cat's face, at half size, onto the table beside the coffee (both shipped)."""
    from minigen import backend
    from minigen.imaging import poisson_blend, sample_image

    cat, coffee = sample_image("chelsea"), sample_image("coffee")
    xp = backend.get_array_module(cat)
    height, width = cat.shape[0] // 2, cat.shape[1] // 2
    small = cat[: 2 * height, : 2 * width].reshape(height, 2, width, 2, 3).mean(axis=(1, 3))  # a 2 x 2 box filter
    rows, cols = xp.mgrid[:height, :width]
    face = ((rows - 92) / 62.0) ** 2 + ((cols - 122) / 80.0) ** 2 <= 1  # an ellipse around the eyes and the nose
    result, info = poisson_blend(small, coffee, face, offset=(110, 190), mixed=args.mixed, return_info=True,
                                 progress=not args.no_progress)  # fmt: skip
    return result, f"the shipped cat's face cloned onto the shipped coffee photograph's table ({info})", []


def _not_neural(args: argparse.Namespace, what: str) -> None:
    for option in ("steps", "save_every", "vgg"):
        if getattr(args, option) is not None:
            raise _BadArgument(f"--{option.replace('_', '-')}: {getattr(args, option)} (used by --method gram and "
                               f"style only, not {what})")  # fmt: skip
    if args.device != "cpu":
        raise _BadArgument(f"--device: {args.device} (used by --method gram and style only, not {what})")


def _neural(args: argparse.Namespace, function: str, *images: Any, **options: Any) -> Any:
    """Run minigen.imaging's ``function`` on ``images`` with the neural options (steps, device, network, saving)."""
    import minigen.imaging
    from minigen import backend

    _positive("--steps", args.steps)
    _positive("--save-every", args.save_every)
    try:
        backend.get_device(args.device)
    except ValueError:
        raise _BadArgument(f"--device: {args.device} (unknown device; expected cpu or cuda)") from None
    except RuntimeError as error:
        raise _BadArgument(f"--device: {args.device} ({' '.join(str(error).split())})") from None
    if args.vgg is not None:
        try:
            network = minigen.imaging.VGG19Features(weights=args.vgg)
        except (OSError, ValueError, RuntimeError, KeyError) as error:
            raise _BadArgument(f"--vgg: {args.vgg} ({' '.join(str(error).split())})") from None
        options["network"] = network.to(args.device)
    if args.steps is not None:
        options["steps"] = args.steps
    if args.save_every:
        out = Path(args.out)

        def save(step: int, loss: float, image: Any) -> None:
            if step % args.save_every == 0:
                minigen.imaging.write_image(out.with_name(f"{out.stem}-step{step}{out.suffix}"), image)

        options["callback"] = save
    moved = [backend.to_device(image, args.device) for image in images[:1]] + list(images[1:])
    if function == "style_transfer":
        moved[1] = backend.to_device(moved[1], args.device)
    result = getattr(minigen.imaging, function)(*moved, rng=args.seed, progress=not args.no_progress, **options)
    return backend.to_numpy(result)


def _style(args: argparse.Namespace) -> int:
    def make() -> tuple[Any, str, list]:
        from minigen.imaging import sample_image

        if args.demo:
            content, style = sample_image("chelsea"), sample_image("brick")
        else:
            if args.content is None or args.style is None:
                missing = "content" if args.content is None else "style"
                raise _BadArgument(f"{missing}: nothing (expected two image files, CONTENT and STYLE; or use --demo)")
            content, style = _read("content", args.content), _read("style", args.style)
        if args.size is not None:
            _positive("--size", args.size)
            content = _resize_longer_side(content, args.size)
        options = {"style_weight": args.style_weight, "content_weight": args.content_weight}
        options = {name: value for name, value in options.items() if value is not None}
        result = _neural(args, "style_transfer", content, style, **options)
        what = "the shipped cat in the style of the shipped brick wall" if args.demo else f"{args.content} in the " \
            f"style of {args.style}"
        return result, f"{what} ({args.steps or 'default'} steps)", []

    return _run(args, make)


def _resize_longer_side(image: Any, side: int) -> Any:
    """``image`` (NumPy, [0, 1]) scaled so that its longer side is ``side`` pixels (Pillow, Lanczos)."""
    import numpy
    from PIL import Image

    height, width = image.shape[:2]
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    pixels = numpy.round(numpy.clip(image, 0, 1) * 255).astype(numpy.uint8)
    resized = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS)
    return numpy.asarray(resized).astype(numpy.float32) / 255

"""Build ``minigen/imaging/samples/``: the small images minigen.imaging's examples, tests and lessons use.

Run once by a maintainer; minigen itself never needs scikit-image. The sources are
PNG files inside the scikit-image wheel (``skimage/data/``), each CC0 or in the
public domain as the docstring of its loader in ``skimage/data/_fetchers.py``
says; ``minigen/imaging/samples/LICENSE.md`` keeps the attribution::

    pip download --no-deps scikit-image==0.26.0 -d /tmp/sk
    python scripts/make_sample_images.py /tmp/sk/scikit_image-0.26.0-*.whl

Textures are halved (512 -> 256 pixels a side, a box filter: each output pixel the
mean of 2 x 2), photographs are kept or shrunk to at most 400 pixels wide with
Pillow's Lanczos filter. The output is deterministic.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

from PIL import Image

OUTPUT = Path(__file__).resolve().parent.parent / "minigen" / "imaging" / "samples"

# name in minigen -> (file in the wheel, how to convert, licence line)
SOURCES = {
    "brick": ("skimage/data/brick.png", "halve", "CC0, from CC0Textures (Bricks25), via scikit-image"),
    "grass": ("skimage/data/grass.png", "halve", "CC0, from CC0Textures, via scikit-image"),
    "gravel": ("skimage/data/gravel.png", "halve", "CC0, from CC0Textures (Gravel04), via scikit-image"),
    "chelsea": ("skimage/data/chelsea.png", "keep", "CC0 by the photographer, Stefan van der Walt, via scikit-image"),
    "coffee": ("skimage/data/coffee.png", "width400",
               "CC0 by the photographer, Rachel Michetti (courtesy of Pikolo Espresso Bar), via scikit-image"),
    "astronaut": ("skimage/data/astronaut.png", "halve",
                  "public domain (NASA), Eileen Collins, via scikit-image"),
}  # fmt: skip


def convert(image: Image.Image, how: str) -> Image.Image:
    if how == "halve":
        return image.reduce(2)  # a 2 x 2 box filter
    if how == "width400" and image.width > 400:
        return image.resize((400, round(image.height * 400 / image.width)), Image.Resampling.LANCZOS)
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="the scikit-image wheel (.whl)")
    args = parser.parse_args(argv)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.wheel) as wheel:
        for name, (member, how, _) in SOURCES.items():
            image = convert(Image.open(io.BytesIO(wheel.read(member))), how)
            image = image.convert("L" if image.mode in ("L", "LA") else "RGB")
            target = OUTPUT / f"{name}.png"
            image.save(target, optimize=True)
            print(f"{target}: {image.width}x{image.height} {image.mode}, {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

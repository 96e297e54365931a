"""Where the downloadable datasets come from: mirrors and published checksums.

``SOURCES`` maps a dataset name to a :class:`Source`; both are declared with the
rest of each dataset in :mod:`minigen.data.registry` and re-exported here. It is a plain dict of
plain dataclasses on purpose: to use your own mirror (or, in the tests, a
local web server) replace an entry::

    from minigen.data import sources
    sources.SOURCES["mnist"] = sources.Source(
        subdir="mnist",
        mirrors=["http://127.0.0.1:8000/"],
        checksums={"train-images-idx3-ubyte.gz": "sha256:...", ...},
    )

The MD5 checksums are the ones torchvision publishes (``torchvision/datasets/
mnist.py`` and ``cifar.py``); CIFAR-10's is also the one on its home page,
https://www.cs.toronto.edu/~kriz/cifar.html.
"""

from __future__ import annotations

from .registry import SOURCES, Source

__all__ = ["SOURCES", "Source"]

"""Where the downloadable datasets come from: mirrors and published checksums.

``SOURCES`` maps a dataset name to a :class:`Source`. It is a plain dict of
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

from dataclasses import dataclass

__all__ = ["SOURCES", "Source"]


@dataclass
class Source:
    """The files of one downloadable dataset.

    subdir:    the folder for its files inside the cache (``minigen.data.download.data_dir()``).
    mirrors:   base URLs, tried in order; a file's URL is ``mirror/filename``.
    checksums: file name -> ``"md5:<hex>"`` or ``"sha256:<hex>"``.
    """

    subdir: str
    mirrors: list[str]
    checksums: dict[str, str]


SOURCES: dict[str, Source] = {
    "mnist": Source(
        subdir="mnist",
        mirrors=[
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        checksums={
            "train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    "fashion-mnist": Source(
        subdir="fashion-mnist",
        mirrors=[
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ],
        checksums={
            "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
    "cifar10": Source(
        subdir="cifar10",
        mirrors=["https://www.cs.toronto.edu/~kriz/"],
        checksums={"cifar-10-binary.tar.gz": "md5:c32a1d4ab5d03f1284b67883e8d87530"},
    ),
}

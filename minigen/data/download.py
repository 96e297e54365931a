"""Download a file once, check it, and keep it in a local cache.

``fetch(filename, checksum, mirrors, subdir)`` returns the path of a verified
copy of ``filename``:

1. If the cache already holds the file and its checksum matches, use it
   (no network at all). A cached file whose checksum does not match
   (a half-written or corrupted copy) is deleted and fetched again.
2. Otherwise try each mirror URL in order. The download goes to a temporary
   file in the cache folder and is hashed while it streams; only a file
   whose checksum matches is renamed into place with ``os.replace``, which is
   atomic, so a crash never leaves a truncated file under the real name.
   The temporary is ``.<filename>.<pid>.<random>.part``; it is removed on any
   error or Ctrl-C, and one left by a killed process is removed by the next
   download of the same file (:func:`remove_stale_partials`).
3. If every mirror fails, raise :class:`DownloadError`, whose one-line
   message names the file, each URL tried and why it failed, and where to
   put the file by hand.

A checksum is written ``"md5:<32 hex digits>"`` or ``"sha256:<64 hex digits>"``.
The cache folder is ``$MINIGEN_DATA`` if set, else ``~/.cache/minigen``; ``folder=`` puts the file
elsewhere (``minigen.vision.datasets.MNIST(root)`` uses torchvision's ``root/MNIST/raw``).
With ``download=False`` a missing or corrupt file raises :class:`DatasetNotFoundError` instead of
downloading. Only the standard library's urllib is used.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from minigen.files import one_line, remove_stale, temporary_name

__all__ = [
    "DatasetNotFoundError", "DownloadError", "data_dir", "fetch", "file_checksum", "parse_checksum",
    "remove_stale_partials",
]  # fmt: skip

CHUNK_SIZE = 1 << 20
DEFAULT_TIMEOUT_S = 60.0
HASH_ALGORITHMS = ("md5", "sha256")
# A temporary whose writer may still run is left alone until untouched for this long (pids get reused).


class DownloadError(RuntimeError):
    """No mirror could provide a file with the expected checksum."""


class DatasetNotFoundError(RuntimeError):
    """A file is missing (or fails its checksum) and downloading was not allowed (``download=False``)."""


def data_dir() -> Path:
    """The cache folder: ``$MINIGEN_DATA`` if set, else ``~/.cache/minigen`` (not created here)."""
    configured = os.environ.get("MINIGEN_DATA")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "minigen"


def parse_checksum(checksum: str) -> tuple[str, str]:
    """("md5" or "sha256", lower-case hex digest) from a string like ``"md5:f68b3c..."``."""
    algorithm, _, digest = checksum.partition(":")
    algorithm = algorithm.lower()
    if algorithm not in HASH_ALGORITHMS or not digest:
        raise ValueError(f"checksum {checksum!r} must look like 'md5:<hex>' or 'sha256:<hex>'")
    return algorithm, digest.lower()


def file_checksum(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of the file at ``path`` with ``algorithm`` ("md5" or "sha256")."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _url(mirror: str, filename: str) -> str:
    return mirror if mirror.endswith(filename) else mirror.rstrip("/") + "/" + filename


def _download_verified(url: str, target: Path, algorithm: str, expected: str, timeout: float) -> None:
    """Stream ``url`` into a temp file next to ``target``; move it into place if the checksum matches.

    Raises OSError (urllib's errors are OSErrors) or ValueError for a checksum mismatch;
    in both cases, and on Ctrl-C, no temporary file is left behind.
    """
    digest = hashlib.new(algorithm, usedforsecurity=False)
    temporary = temporary_name(target, "part")
    created = False
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        created = True
        with os.fdopen(handle, "wb") as temp_file, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(CHUNK_SIZE):
                digest.update(chunk)
                temp_file.write(chunk)
        if digest.hexdigest() != expected:
            raise ValueError(f"checksum mismatch: got {algorithm}:{digest.hexdigest()}")
        os.replace(temporary, target)
        created = False
    finally:
        if created:
            temporary.unlink(missing_ok=True)


def remove_stale_partials(target: str | os.PathLike) -> list[Path]:
    """Delete the ``.part`` files that killed downloads of ``target`` left beside it; return those removed.

    Matches ``.<name>.<pid>.<random>.part`` and the earlier ``<name>.<random>.part``; see :func:`remove_stale`.
    """
    target = Path(target)
    name = re.escape(target.name)
    return remove_stale(
        target.parent, re.compile(rf"\.{name}\.(?P<pid>\d+)\.[0-9a-f]{{8}}\.part|{name}\.[a-z0-9_]{{8}}\.part")
    )


def fetch(
    filename: str,
    checksum: str,
    mirrors: Sequence[str],
    subdir: str = "",
    timeout: float = DEFAULT_TIMEOUT_S,
    *,
    folder: str | os.PathLike | None = None,
    download: bool = True,
) -> Path:
    """The path of a verified local copy of ``filename``, downloading it if needed.

    filename: the file's name, both on the mirrors and in the cache.
    checksum: ``"md5:<hex>"`` or ``"sha256:<hex>"``, the published checksum.
    mirrors:  base URLs tried in order; the URL is ``mirror + "/" + filename``.
    subdir:   folder inside the cache (e.g. "mnist"), so datasets sharing
              file names (MNIST and Fashion-MNIST) do not collide.
    timeout:  seconds to wait on a silent connection before trying the next mirror.
    folder:   the folder to keep the file in, instead of ``data_dir() / subdir``.
    download: False: never download; a missing or corrupt file raises :class:`DatasetNotFoundError`
              (torchvision's wording, with the path).
    """
    algorithm, expected = parse_checksum(checksum)
    folder = Path(folder).expanduser() if folder is not None else data_dir() / subdir
    target = folder / filename
    if target.exists():
        if file_checksum(target, algorithm) == expected:
            return target
        if not download:
            raise DatasetNotFoundError(
                f"Dataset not found or corrupted. You can use download=True to download it: "
                f"{target} fails its {algorithm} check"
            )
        print(f"minigen: cached {target} fails its {algorithm} check; fetching it again", file=sys.stderr)
        target.unlink()
    elif not download:
        raise DatasetNotFoundError(f"Dataset not found. You can use download=True to download it: no file {target}")
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)  # what killed downloads of this file left behind

    failures = []
    for mirror in mirrors:
        url = _url(mirror, filename)
        print(f"minigen: downloading {url}", file=sys.stderr)
        try:
            _download_verified(url, target, algorithm, expected, timeout)
            return target
        except urllib.error.HTTPError as error:
            failures.append(f"{url} (HTTP {error.code})")
        except urllib.error.URLError as error:
            failures.append(f"{url} ({one_line(error.reason)})")
        except (OSError, ValueError) as error:  # timeouts, resets, checksum mismatch
            failures.append(f"{url} ({one_line(error)})")
    tried = "; ".join(failures) if failures else "no mirrors configured"
    raise DownloadError(
        f"could not download {filename}: tried {tried}. "
        f"Download it by hand and save it as {target} (expected {algorithm}:{expected})."
    )

"""Files written safely: atomically, through a temporary beside the target; temporaries of killed writers collected.

Every file minigen writes (checkpoints, metrics, pictures, images, downloads) goes to a temporary
``.<name>.<pid>.<random>.tmp`` in the target's folder and is renamed over the target with ``os.replace``,
which is atomic: a crash, a full disk or Ctrl-C leaves the old file or the new one, never half of one.
A process killed outright leaves its temporary; :func:`remove_stale` deletes it on a later start, once
no live process can be writing it.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["STALE_AFTER_S", "atomic_path", "one_line", "remove_stale", "remove_stale_temporaries", "temporary_name"]

STALE_AFTER_S = 3600.0  # a temporary nobody wrote for an hour is stale even if its pid was reused
_IMPORTED = time.time()


def one_line(value: object, limit: int | None = None) -> str:
    """``str(value)`` with its whitespace runs (newlines too) made single spaces, cut to ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def temporary_name(target: str | os.PathLike[str], suffix: str = "tmp") -> Path:
    """``.<name>.<pid>.<8 hex>.<suffix>`` beside ``target``: the process that writes it is in its name."""
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.{suffix}")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` to write; on success it is renamed onto ``target``.

    On any exception (Ctrl-C included) the temporary is removed and ``target`` is left as it was.
    """
    target = Path(target)
    temporary = temporary_name(target)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def remove_stale_temporaries(path: str | os.PathLike[str], names: str | None = None) -> list[Path]:
    """Delete the temporaries that interrupted writes of ``path`` left behind; return the paths removed.

    ``path`` is a file (its temporaries ``.<name>.<pid>.<random>.tmp`` beside it), or a folder: then
    the temporaries of the files whose names match the regular expression ``names`` (default: any).
    One a live process is still writing is left alone (see :func:`remove_stale`).
    """
    path = Path(path)
    directory, target = (path, names or ".+?") if path.is_dir() else (path.parent, re.escape(path.name))
    # the pid is optional: the first layout was .<name>.<random>.tmp
    return remove_stale(directory, re.compile(rf"\.(?:{target})\.(?:(?P<pid>\d+)\.)?[0-9a-f]{{8}}\.tmp"))


def remove_stale(directory: str | os.PathLike, pattern: re.Pattern[str]) -> list[Path]:
    """Delete the files in ``directory`` whose names match ``pattern`` and that no live process is writing.

    ``pattern`` may capture the writer's process id as the group ``pid``. A file is stale when
    that process no longer runs, when it is this process's id but the file is older than this
    process (a container restarts its program with the same pid), when nothing has written to it
    for :data:`STALE_AFTER_S` seconds (pids are reused), or, with no pid in its name, when it is
    older than this process. Returns the paths removed, sorted; a missing folder removes nothing.
    """
    directory = Path(directory)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    removed = []
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        path = directory / name
        pid = match.groupdict().get("pid")
        if _is_stale(path, int(pid) if pid else None):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _is_stale(path: Path, pid: int | None) -> bool:
    try:
        modified = path.stat().st_mtime
    except OSError:
        return False
    if pid is None or pid <= 0 or pid == os.getpid():
        return modified < _process_started() - 1.0  # /proc gives the start to within a second
    return modified < time.time() - STALE_AFTER_S or not _process_exists(pid)


def _process_exists(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there: rely on the file's age instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def _process_started() -> float:
    """When this process started (Linux: from /proc), else when this module was imported."""
    try:
        with open("/proc/self/stat") as file:
            fields = file.read().rpartition(")")[2].split()  # after the command name, fields 3, 4, ...
        with open("/proc/stat") as file:
            booted = next(int(line.split()[1]) for line in file if line.startswith("btime"))
        return booted + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time in ticks after boot
    except (OSError, ValueError, IndexError, StopIteration, AttributeError):
        return _IMPORTED



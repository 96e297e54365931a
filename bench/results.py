"""``bench/RESULTS.md`` holds every benchmark's latest results, one section per script.

A script rewrites only its own section, between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``
(appended at the end the first time), so running one benchmark never erases another's figures.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# minigen's benchmarks: the latest results\n\nEach section is written by the script it names (README.md).\n"


def write_section(name: str, text: str, path: Path = RESULTS) -> Path:
    """Put ``text`` (Markdown) in section ``name`` of ``path``, replacing the section's previous content."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip() + f"\n\n{block}\n"
    path.write_text(updated if updated.endswith("\n") else updated + "\n")
    return path


def machine() -> str:
    """The CPU's model name (as lscpu gives it), the core count and the platform: the line each section starts with."""
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        model = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or platform.machine() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores; {platform.platform()}"

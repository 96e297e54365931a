"""The lessons (lessons/NN_topic.py, paired with an output-free .ipynb) run, check themselves, and stay in sync.

(a) every lesson runs top to bottom as a script in smoke mode, headless, with its exercises' checks run
    against the reference solutions in lessons/solutions/ (so every check is shown to accept a right answer);
(b) every .ipynb holds the same cells as its .py, and no outputs or execution counts;
(c) every notebook runs once in a real Jupyter kernel (nbclient), with the exercises left undone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
SCRIPTS = sorted(LESSONS.glob("[0-9][0-9]_*.py"))
# Every notebook is also executed once in a real Jupyter kernel, as a learner runs it (exercises left undone).
KERNEL_RUN = [s.stem for s in SCRIPTS]


def lesson_env() -> dict[str, str]:
    env = dict(os.environ, MINIGEN_SMOKE="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    # lessons_support.py sits beside the lessons: a script finds it by itself, a kernel started elsewhere does not
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(LESSONS), env.get("PYTHONPATH")]))
    return env


def test_lessons_support_is_lesson_tooling_not_a_lesson():
    assert (LESSONS / "lessons_support.py").is_file() and LESSONS / "lessons_support.py" not in SCRIPTS
    assert not (ROOT / "minigen" / "lessons_support.py").exists()
    users = [path for path in (ROOT / "minigen").rglob("*.py") if "lessons_support" in path.read_text()]
    assert not users, f"the package must not use the lessons' helpers: {users}"


def test_lessons_exist_in_pairs():
    assert SCRIPTS, f"expected the lessons in {LESSONS}"
    for script in SCRIPTS:
        assert script.with_suffix(".ipynb").exists(), f"{script.name} has no paired notebook; run jupytext --to ipynb"
        assert (LESSONS / "solutions" / script.name).exists(), f"{script.name} has no lessons/solutions/{script.name}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_lesson_runs_in_smoke_mode(script, tmp_path):
    env = lesson_env()
    env["MINIGEN_SOLUTIONS"] = str(LESSONS / "solutions" / script.name)
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "self-check passed" in result.stdout, f"{script.name} never reached its self-check"
    assert "not implemented yet" not in result.stdout, "an exercise check did not use the reference solution"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_notebook_in_sync_and_clean(script):
    jupytext = pytest.importorskip("jupytext")
    notebook = script.with_suffix(".ipynb")
    from_script = jupytext.read(script)
    from_notebook = jupytext.read(notebook)
    cells = [(c.cell_type, c.source) for c in from_script.cells]
    assert [(c.cell_type, c.source) for c in from_notebook.cells] == cells, (
        f"{notebook.name} is out of sync with {script.name}; run: jupytext --to ipynb {script.relative_to(ROOT)}"
    )
    for cell in from_notebook.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"{notebook.name} holds outputs; regenerate it from {script.name}"
            )


@pytest.mark.parametrize("name", KERNEL_RUN)
def test_notebook_runs_in_jupyter_kernel(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for key, value in lesson_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MPLBACKEND")  # the kernel's own inline backend, as a learner gets
    monkeypatch.delenv("MINIGEN_SOLUTIONS", raising=False)
    notebook = nbformat.read(LESSONS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
    )
    assert "self-check passed" in printed
    assert "not implemented yet" in printed, "the undone exercises should print a reminder, not fail"

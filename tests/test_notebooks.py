"""Every notebook follows the skeleton.

Stored clean, badge, setup, checks, summary, README entry.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPO = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
ids = [p.name for p in NOTEBOOKS]


def colab_url(path: Path) -> str:
    return (
        REPO.replace("https://github.com/", "https://colab.research.google.com/github/")
        + f"/blob/main/notebooks/{path.name}"
    )


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_setup_and_tour.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_stored_without_outputs(path):
    raw = json.loads(path.read_text())
    for i, cell in enumerate(raw["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} of {path.name} has outputs; run nbstripout"
            assert cell.get("execution_count") is None, (
                f"cell {i} of {path.name} has an execution count"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0]
    number = path.name[:2]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {number} · ")
    assert colab_url(path) in first.source, (
        f"{path.name}: Colab badge must point to {colab_url(path)}"
    )
    assert "What you will learn" in first.source
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = next((s for s in code if "runtime.setup(" in s), None)
    assert setup is not None, f"{path.name} has no runtime.setup() cell"
    assert f'%pip install -q "cvutils @ git+{REPO}"' in setup
    assert (
        "tensorflow" not in setup.split("runtime.setup(")[0].split("%pip")[1].split("\n")[0].lower()
    )
    assert any(re.search(r"\bassert\b|np\.testing\.|check\(", s) for s in code), (
        f"{path.name} checks nothing"
    )
    assert any(c.cell_type == "markdown" and "## Summary" in c.source for c in nb.cells)
    assert not any(re.search(r"from\s+\S+\s+import\s+\*", s) for s in code), "no wildcard imports"
    budgets = sum(s.count("runtime.budget(") for s in code)
    assert budgets <= 1, f"{path.name} declares {budgets} budgets; declare one line"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_solution_markers_pair_up(path):
    from cvutils.grading import BEGIN, END

    for cell in nbformat.read(path, as_version=4).cells:
        assert cell.source.count(BEGIN) == cell.source.count(END)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_readme_lists_the_notebook_with_its_badge(path):
    readme = (ROOT / "README.md").read_text()
    assert f"notebooks/{path.name}" in readme
    assert colab_url(path) in readme


IMPORT_LINE = re.compile(r"^\s*(import \w|from \S+ import )", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_imports_live_in_the_setup_cell(path):
    """All imports in the setup cell, `import cvutils` before TensorFlow (keeps its logs out)."""
    nb = nbformat.read(path, as_version=4)
    code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    setup = next(i for i, s in code if "runtime.setup(" in s)
    stray = [
        (i, m.group(0).strip()) for i, s in code if i != setup for m in IMPORT_LINE.finditer(s)
    ]
    assert not stray, f"{path.name}: imports outside the setup cell (move them there): {stray}"
    lines = [line for line in nb.cells[setup].source.splitlines() if IMPORT_LINE.match(line)]
    first = next(i for i, line in enumerate(lines) if line != "import sys")
    assert lines[first].startswith("import cvutils"), (
        f"{path.name}: the setup cell must import cvutils before anything else (after sys)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_progress_bars_leave_nothing_behind(path):
    """Loops show progress with `cvutils.runtime.progress`, which empties its line at the end.

    tqdm's bars stay in saved outputs and HTML ("0%| |0/120"); nbval does not apply display
    updates, so this is checked at the source (`make run` checks the outputs too).
    """
    nb = nbformat.read(path, as_version=4)
    uses = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "tqdm" in c.source]
    assert not uses, f"cells {uses} of {path.name} use tqdm; use runtime.progress"

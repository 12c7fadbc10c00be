"""tools/gpu_check.py: its CPU dry run executes the real pipeline and records honest rows."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
gpu_check = importlib.import_module("gpu_check")


def tiny_notebook(path: Path, accuracy: float) -> Path:
    """A notebook that reports a RESULT line the way `cvutils.runtime.result` prints it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import os\nmode = os.environ['CVUTILS_MODE']"),
        nbformat.v4.new_code_cell(f"print(f'RESULT: accuracy={accuracy}, mode={{mode}}')"),
    ]
    nbformat.write(nb, path)
    return path


def test_dry_run_records_the_result_line_and_leaves_results_md_alone(tmp_path):
    real = gpu_check.RESULTS.read_text(encoding="utf-8")
    results = tmp_path / "RESULTS.md"
    nb = tiny_notebook(tmp_path / "01_tiny.ipynb", 0.875)
    assert gpu_check.main(["--dry-run", "--notebook", str(nb), "--results", str(results)]) == 0
    rows = gpu_check.read_rows(results)
    assert rows["01_tiny.ipynb"][6] == "accuracy=0.875, mode=fast"  # the dry run is fast mode
    assert rows["01_tiny.ipynb"][4].endswith("UTC)")  # a wall time was measured
    assert "--dry-run" in rows["01_tiny.ipynb"][7]
    for target in gpu_check.TARGETS:  # the rows not run say so
        assert rows[target.notebook][4] == gpu_check.NOT_RUN
    assert (tmp_path / "build" / "01_tiny.ipynb").is_file()  # executed copy kept
    assert gpu_check.RESULTS.read_text(encoding="utf-8") == real


def test_writing_a_row_replaces_it_and_keeps_the_text_around_the_table(tmp_path):
    path = tmp_path / "R.md"
    path.write_text(f"# Head\n\n{gpu_check.START}\n{gpu_check.END}\nfoot\n", encoding="utf-8")
    rows = {"a": ["a", *"1234567"], "b": ["b", *"abcdefg"]}
    gpu_check.write_results(path, rows, ["b", "a"])
    rows["a"] = ["a", *"xyzxyzx"]
    gpu_check.write_results(path, rows, ["b", "a"])
    assert gpu_check.read_rows(path) == {"b": ["b", *"abcdefg"], "a": ["a", *"xyzxyzx"]}
    text = path.read_text(encoding="utf-8")
    assert (
        text.startswith("# Head\n")
        and text.endswith("foot\n")
        and text.index("| b |") < text.index("| a |")
    )


def test_a_failing_notebook_fails_the_run_and_says_so(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('diverged')")]
    path = tmp_path / "02_bad.ipynb"
    nbformat.write(nb, path)
    results = tmp_path / "R.md"
    assert gpu_check.main(["--dry-run", "--notebook", str(path), "--results", str(results)]) == 1
    assert gpu_check.read_rows(results)["02_bad.ipynb"][6].startswith("FAILED: ")


def test_dry_run_refuses_the_real_results_file():
    with pytest.raises(SystemExit):
        gpu_check.main(["--dry-run", "--results", str(gpu_check.RESULTS)])


def test_results_md_is_honest():
    """Every promised notebook has a row; a row without a measured time says it was not run."""
    rows = gpu_check.read_rows(gpu_check.RESULTS)
    for target in gpu_check.TARGETS:
        row = rows[target.notebook]
        assert row[4].startswith("not run yet") or (row[5] and row[6] and row[7].startswith("`"))

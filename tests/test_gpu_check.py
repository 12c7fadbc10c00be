"""tools/gpu_check.py: its CPU dry run executes the real pipeline and records honest rows."""

from __future__ import annotations

import importlib
import sys
import time
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
    command = rows["01_tiny.ipynb"][7]
    assert command.startswith("`CVUTILS_MODE=fast python tools/run_notebooks.py /")
    assert command.endswith(f"{nb} {tmp_path / 'build'}`")
    for target in gpu_check.TARGETS:  # the rows not run say so
        assert rows[target.key][4] == gpu_check.NOT_RUN
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
    assert set(rows) == {t.key for t in gpu_check.TARGETS}
    for target in gpu_check.TARGETS:
        row = rows[target.key]
        assert row[:4] == [target.key, target.dataset, target.epochs, target.target]
        assert row[4].startswith("not run yet") or (row[5] and row[6] and row[7].startswith("`"))
        if row[4].startswith("not run yet"):
            assert row[5:] == ["", "", ""]  # nothing claimed for a row never run
        else:
            assert "CVUTILS_MODE=full" in row[7] and target.notebook in row[7]


def test_the_default_dry_run_executes_notebook_00_with_a_budget_override(tmp_path):
    """What CI runs of the script: notebook 00 in fast mode, sized by CVUTILS_BUDGET."""
    results = tmp_path / "RESULTS.md"
    assert gpu_check.main(["--dry-run", "--results", str(results)]) == 0
    row = gpu_check.read_rows(results)[gpu_check.DRY_RUN.key]
    assert row[6].startswith("mnist_train=") and row[4].endswith("UTC)")
    assert "CVUTILS_MODE=fast CVUTILS_BUDGET=n_train=1000" in row[7]
    executed = nbformat.read(tmp_path / "build" / gpu_check.DRY_RUN.notebook, as_version=4)
    printed = "".join(
        o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "Budget [fast mode, CVUTILS_BUDGET: n_train=1000]: epochs=2, n_train=1000" in printed


def row(seconds: str = "", metric: str = "") -> list[str]:
    wall = f"{seconds} s (2026-12-01 10:00 UTC)" if seconds else gpu_check.NOT_RUN
    return ["k", "d", "e", "t", wall, "GPU" if seconds else "", metric, ""]


def test_plan_runs_the_smallest_first_and_only_what_fits():
    t = [
        gpu_check.Target("a.ipynb", "d", "e", "t", minutes=6),
        gpu_check.Target("b.ipynb", "d", "e", "t", minutes=2),
        gpu_check.Target("c.ipynb", "d", "e", "t", minutes=3),
        gpu_check.Target("d.ipynb", "d", "e", "t", minutes=4),
    ]
    run, skipped = gpu_check.plan(t, {}, minutes=10, pending=False)
    assert [(x.notebook, m) for x, m in run] == [("b.ipynb", 2), ("c.ipynb", 3), ("d.ipynb", 4)]
    assert [x.notebook for x, _ in skipped] == ["a.ipynb"] and "~6 min" in skipped[0][1]
    # a measured row is sized by its measured time; --pending leaves it out
    rows = {"a.ipynb": row("60", "acc=0.99"), "d.ipynb": row("900", "FAILED: x")}
    run, skipped = gpu_check.plan(t, rows, minutes=9, pending=False)
    assert [(x.notebook, m) for x, m in run] == [("a.ipynb", 1), ("b.ipynb", 2), ("c.ipynb", 3)]
    assert [x.notebook for x, _ in skipped] == ["d.ipynb"]  # a failed run: its guess, 4 min
    run, skipped = gpu_check.plan(t, rows, minutes=10, pending=True)
    assert [x.notebook for x, _ in run] == ["b.ipynb", "c.ipynb", "d.ipynb"]
    assert skipped == [(t[0], "measured already (--pending)")]


@pytest.mark.parametrize(
    "wall, metric, expected",
    [
        ("90", "acc=0.9", 1.5),
        ("90", "FAILED: CellTimeoutError", None),
        ("90", "NOISY (1 outputs): acc=0.9", None),
        ("90", "stopped at the 10-minute deadline: FAILED", None),
        ("", "", None),
    ],
)
def test_measured_minutes(wall, metric, expected):
    assert gpu_check.measured_minutes(row(wall, metric)) == expected


def test_a_row_whose_data_is_missing_is_skipped_and_says_what_to_fetch(tmp_path, monkeypatch):
    cache, home = tmp_path / "cache", tmp_path / "sk"
    cache.mkdir()
    monkeypatch.setattr(gpu_check, "data_homes", lambda: (cache, home))
    monkeypatch.setattr(gpu_check, "run_one", lambda *a, **k: pytest.fail("must not run"))
    results = tmp_path / "R.md"
    key = "16_face_recognition.ipynb"
    assert gpu_check.main(["--only", key, "--results", str(results)]) == 0
    assert gpu_check.read_rows(results)[key][4] == ("not run yet (needs lfw_home, mnist.npz)")
    (cache / "mnist.npz").write_bytes(b"")
    target = next(t for t in gpu_check.TARGETS if t.key == key)
    assert gpu_check.missing_data(target, cache, home) == [str(home / "lfw_home")]


def test_a_notebook_still_running_at_the_deadline_is_stopped(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(120)")]
    path = tmp_path / "03_slow.ipynb"
    nbformat.write(nb, path)
    run = gpu_check.run_one(path, tmp_path / "build", deadline=time.monotonic() + 4)
    assert not run.ok and run.seconds < 60 and "Timeout" in run.status

"""tools/full_smoke.py (`make full-smoke`): its budget table, environment and mirror server.

The run itself executes every notebook (minutes); `make full-smoke` does that. These tests
check what can be checked in seconds: that each notebook has a smoke budget that its own
`runtime.budget` accepts, and that the kernels get the smoke run's environment.
"""

from __future__ import annotations

import ast
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import full_smoke  # noqa: E402
import nbformat  # noqa: E402
from run_notebooks import notebooks  # noqa: E402

from cvutils import runtime  # noqa: E402

NOTEBOOKS = notebooks(ROOT / "notebooks")


def full_budget(path: Path) -> dict:
    """The ``full=dict(...)`` of the notebook's ``runtime.budget(...)`` call, as a dict."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "runtime.budget(" not in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "runtime.budget":
                full = next(k.value for k in node.keywords if k.arg == "full")
                return {k.arg: ast.literal_eval(k.value) for k in full.keywords}
    raise AssertionError(f"{path.name} has no runtime.budget(...) call")


def test_every_notebook_has_a_smoke_budget_and_no_other_entry():
    assert sorted(full_smoke.BUDGETS) == sorted(full_smoke.number(p) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_each_smoke_budget_fits_its_notebooks_full_budget(path):
    full = full_budget(path)
    text = full_smoke.BUDGETS[full_smoke.number(path)]
    chosen = runtime.budget_overrides(text, full, f"BUDGETS[{full_smoke.number(path)!r}]")
    assert chosen, "a smoke budget changes at least one setting"
    # tiny: no count of epochs, steps, images or iterations grows over the full budget
    for key, value in chosen.items():
        if isinstance(value, int) and not isinstance(value, bool) and key != "probe_k":
            assert value <= full[key], (key, value, full[key])


def test_smoke_env_sets_the_smoke_run_and_drops_the_seed(tmp_path):
    base = {"CVUTILS_SEED": "3", "MPLBACKEND": "Agg", "PATH": "/bin", "PYTHONPATH": "/x"}
    env = full_smoke.smoke_env(base, mirror="http://127.0.0.1:1", home=tmp_path, budget="a=1")
    assert env["CVUTILS_MODE"] == "full" and env["CVUTILS_SMOKE"] == "1"
    assert env["CVUTILS_MIRROR"] == "http://127.0.0.1:1" and env["CVUTILS_BUDGET"] == "a=1"
    for key in ("CVUTILS_CACHE", "KERAS_HOME", "SCIKIT_LEARN_DATA", "TFDS_DATA_DIR"):
        assert Path(env[key]).parent == tmp_path, key  # private caches, nothing real reused
    assert "CVUTILS_SEED" not in env and "MPLBACKEND" not in env  # seed 0, inline figures
    assert env["PATH"] == "/bin" and env["PYTHONPATH"].split(":") == [str(ROOT), "/x"]
    assert base["CVUTILS_SEED"] == "3"  # the caller's environment is left as it was


def test_select_picks_notebooks_by_number_and_refuses_unknown_ones():
    chosen = full_smoke.select(NOTEBOOKS, ["02", "14_training_a_yolo_detector.ipynb"])
    assert [p.name[:2] for p in chosen] == ["02", "14"]
    assert full_smoke.select(NOTEBOOKS, []) == list(NOTEBOOKS)
    with pytest.raises(SystemExit, match="99"):
        full_smoke.select(NOTEBOOKS, ["99"])


@pytest.mark.parametrize("use_file", [False, True])
def test_serve_gives_a_url_of_the_folder_and_stops(tmp_path, use_file):
    (tmp_path / "SHA256SUMS").write_text("x\n")
    with full_smoke.serve(tmp_path, use_file=use_file) as url:
        assert url.startswith("file://" if use_file else "http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/SHA256SUMS", timeout=10) as response:
            assert response.read() == b"x\n"
    if not use_file:
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{url}/SHA256SUMS", timeout=2)

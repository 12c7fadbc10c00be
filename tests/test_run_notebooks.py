"""`make run` executes every notebook with clean outputs and real figures.

The expensive test runs each notebook once, through `tools/run_notebooks.py` (the `make run`
path) with the environment that the Makefile gives its recipes, two notebooks at a time.
It replaces nbval's execution in `make test`: a cell error fails it with the cell and its
traceback, so CI still executes every notebook exactly once.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "tools" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
sys.modules["run_notebooks"] = run_notebooks  # worker processes unpickle its Run objects
_spec.loader.exec_module(run_notebooks)

#: Variables a user may have exported that decide what the kernels do; the Makefile must
#: not set them for the kernels (asked with them unset, as on a fresh shell or in CI).
KERNEL_VARS = ("MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL")


def make_recipe_env() -> dict | None:
    """The environment `make run` gives its recipe (exports applied); None without make."""
    if shutil.which("make") is None:
        return None
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARS and k != "MAKEFLAGS"}
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval=_print_env: ; @env -0", "_print_env"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def cell(source, *outputs):
    c = nbformat.v4.new_code_cell(source)
    c.outputs = [nbformat.from_dict(o) for o in outputs]
    return c


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


NOISY = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    "E0000 00:00:1796109538.725166    6496 node_def_util.cc:682] NodeDef mentions attribute\n",
    "I0000 00:00:1796109516.301395    6386 cpu_feature_guard.cc:227] This TensorFlow binary\n",
    "/home/me/cnn/.venv/lib/python3.11/site-packages/keras/src/trainers/epoch_iterator.py:107: "
    "UserWarning: shuffle=True was passed, but will be ignored\n",
    "Traceback (most recent call last):\n  File ...\nValueError: bad\n",
]


@pytest.mark.parametrize("text", NOISY, ids=["absl", "E0000", "I0000", "venv", "traceback"])
def test_problems_flags_noise(text):
    nb = nbformat.v4.new_notebook(cells=[cell("x = 1", stream("fine\n")), cell("y", stream(text))])
    found = run_notebooks.problems(nb)
    assert len(found) == 1 and found[0].startswith("cell 1:"), found


def test_problems_flags_errors_and_doubled_results():
    error = {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["boom"]}
    doubled = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/plain": "'RESULT: acc=0.9'"},
    }
    nb = nbformat.v4.new_notebook(
        cells=[cell("raise E", error), cell("result()", stream("RESULT: acc=0.9\n"), doubled)]
    )
    found = run_notebooks.problems(nb)
    assert [f.split(":")[0] for f in found] == ["cell 0", "cell 1"], found
    assert "traceback" in found[0] and "2 times" in found[1]


def test_clean_outputs_pass_and_figures_count():
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR"}}
    nb = nbformat.v4.new_notebook(
        cells=[cell("plt.plot([1, 2])", png, stream("RESULT: acc=0.9\n")), cell("1 + 1")]
    )
    assert run_notebooks.problems(nb) == []
    assert run_notebooks.figure_count(nb) == 1 and run_notebooks.draws(nb)
    assert run_notebooks.key_result(nb) == "acc=0.9"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_makefile_keeps_kernel_settings_out_of_recipes():
    env = make_recipe_env()
    leaked = {k: env[k] for k in KERNEL_VARS if k in env}
    assert not leaked, f"the Makefile exports {leaked} to make lab / make run kernels"


#: The whole notebook run (pytest-timeout's default of 900 s is per test, and this one test runs
#: every notebook): about 10 minutes on 2 idle cores here, more than twice that on a slower CI
#: machine. A hung cell is stopped sooner, by `run_notebooks.CELL_TIMEOUT`.
ALL_NOTEBOOKS_TIMEOUT = 3600


@pytest.mark.timeout(ALL_NOTEBOOKS_TIMEOUT)
def test_every_notebook_runs_clean_and_draws():
    """Each notebook once, as `make run` runs it: no cell error, clean outputs, figures."""
    env = make_recipe_env()
    if env is None:  # no make: this process's environment, less the unit tests' settings
        env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("CVUTILS_MODE", "fast")
    paths = run_notebooks.notebooks(ROOT / "notebooks")
    start = time.perf_counter()
    runs = run_notebooks.run_all(paths, ROOT / "build", workers=2, env=env, echo=lambda s: None)
    # the times of this run, as `make run` writes them, for `make bench` to show
    total = time.perf_counter() - start
    run_notebooks.write_run_times(runs, ROOT / "build", total, 2, env["CVUTILS_MODE"])
    report = []
    for run in runs:
        if not run.ok:
            report.append(f"{run.name} failed:\n{run.error}")
        report += [f"{run.name}: {p}" for p in run.problems]
        if run.draws and run.figures == 0:
            report.append(f"{run.name} draws but shows no figure (is MPLBACKEND=Agg leaking?)")
    assert not report, "\n".join(report)

"""The output checks and `make run`'s executor (`tools/run_notebooks.py`).

`make test` executes the notebooks with nbval (the root ``conftest.py`` applies
`tools/notebook_checks.py` to what nbval collected); `make run` executes them with nbclient
into ``build/`` with the same checks. Here: the checks themselves, and `run_all` on two tiny
notebooks.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import notebook_checks

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


def test_notebook_problems_wants_one_result_line_and_a_figure_where_it_draws():
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR"}}
    drawn = cell("plt.plot([1, 2])", png)
    undrawn = cell("plt.plot([1, 2])")
    result = cell("result()", stream("RESULT: acc=0.9\n"))
    ok = nbformat.v4.new_notebook(cells=[drawn, result])
    assert notebook_checks.notebook_problems(ok) == []
    none = nbformat.v4.new_notebook(cells=[drawn])
    assert "0 RESULT lines" in notebook_checks.notebook_problems(none)[0]
    blank = nbformat.v4.new_notebook(cells=[undrawn, result])
    assert "no figure" in notebook_checks.notebook_problems(blank)[0]


def test_a_progress_bar_left_behind_is_flagged_unless_ignored():
    bar = {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "40%|####  |"}}
    nb = nbformat.v4.new_notebook(cells=[cell("loop()", bar, stream("RESULT: a=1\n"))])
    assert "progress bar" in notebook_checks.notebook_problems(nb)[0]
    assert notebook_checks.notebook_problems(nb, ignore=("progress bar left behind",)) == []


def test_one_notebook_runs_through_run_all(tmp_path):
    """`make run`'s path: two notebooks on two spawned workers, rows in the order given."""
    paths = []
    for name, code in [("a.ipynb", "print('RESULT: a=1')"), ("b.ipynb", "1 / 0")]:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nbformat.write(nb, tmp_path / name)
        paths.append(tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARS}
    runs = run_notebooks.run_all(paths, tmp_path / "build", workers=2, env=env, echo=lambda s: None)
    assert [r.name for r in runs] == ["a.ipynb", "b.ipynb"]
    assert runs[0].ok and runs[0].status == "a=1"
    assert not runs[1].ok and "ZeroDivisionError" in runs[1].status
    assert (tmp_path / "build" / "a.html").exists()


@pytest.mark.timeout(600)
def test_nbval_fails_a_notebook_that_shows_what_a_learner_must_not_see():
    """The root conftest's hook fails the last cell of a noisy notebook, and passes a clean one."""
    import tempfile

    (ROOT / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "build") as folder:
        for name, first in [
            ("clean.ipynb", "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"),
            ("noisy.ipynb", "print('/home/me/secret')"),
        ]:
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
            nb.cells = [nbformat.v4.new_code_cell(first), nbformat.v4.new_code_cell("print(1)")]
            nb.cells.append(nbformat.v4.new_code_cell("print('RESULT: a=1')"))
            nbformat.write(nb, Path(folder) / name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-n", "0", "-rA", folder],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    out = run.stdout
    assert run.returncode == 1, out[-3000:]
    assert "FAILED build/" in out and "noisy.ipynb::Cell 2" in out, out[-3000:]
    assert "machine path" in out and "PASSED build/" in out, out[-3000:]
    assert "clean.ipynb::Cell 2" not in out.split("FAILED", 1)[1], out[-3000:]

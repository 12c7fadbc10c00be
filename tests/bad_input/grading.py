"""Bad-input specs of `cvutils.grading`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bad_input.registry import TMP, _mod, exempt, rng, spec

# --- grading (a package: its public API is `cvutils.grading.__all__`); file-based functions
# work on a tiny synthetic notebook in `TMP`.
_TINY_HIDDEN = """
from cvutils.grading.hidden import HiddenTest

def _cases():
    return [("case", (np.arange(3.0),), {})]

import numpy as np

TESTS = [HiddenTest("double", 1, _cases, lambda x: 2 * x, ())]
"""


def _tiny_nb(annotated: bool = True):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    header = "# Exercise 1 - double (1 point)\n" if annotated else ""
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom cvutils.grading import check"),
        nbformat.v4.new_code_cell(
            f"{header}def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
            "    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("check('double', double(np.arange(3.0)), np.arange(3.0) * 2)"),
    ]
    return nb


def _tiny_nb_file(folder: str = "nb", annotated: bool = True) -> Path:
    """A fresh copy each call (annotate writes in place)."""
    import nbformat

    path = TMP / folder / "99_tiny.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_tiny_nb(annotated), path)
    return path


def _tiny_hidden() -> Path:
    hidden = TMP / "hidden"
    hidden.mkdir(exist_ok=True)
    (hidden / "99_tiny.py").write_text(_TINY_HIDDEN)
    return hidden


# a failed check is check's documented answer: CheckFailed, an AssertionError
@spec("grading.check", verdicts=(AssertionError,))
def _():
    return _mod("grading").check, dict(
        name="zero_pad", got=np.ones(3), expected=np.ones(3), atol=1e-8, rtol=1e-6
    )


def _tiny_models():
    import keras

    def make(act):
        return keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3, activation=act)])

    return make("tanh"), make("tanh")


@spec("grading.check_outputs", verdicts=(AssertionError,))
def _():
    model, reference = _tiny_models()
    return _mod("grading").check_outputs, dict(
        name="conv", model=model, reference=reference, batch=rng().random((2, 4, 4, 1)), seed=0
    )


@spec("grading.layer_difference")
def _():
    model, reference = _tiny_models()
    return _mod("grading").layer_difference, dict(model=model, reference=reference)


@spec("grading.block_model")
def _():
    import keras

    return _mod("grading").block_model, dict(
        build=lambda x: keras.layers.Conv2D(2, 3)(x), input_shape=(6, 6, 1)
    )


@spec("grading.compare")
def _():
    return _mod("grading").compare, dict(
        name="zero_pad", got=np.ones(3), expected=np.ones(3), atol=1e-8, rtol=1e-6
    )


_SOLUTION_SRC = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"


@spec("grading.strip_solutions")
def _():
    return _mod("grading").strip_solutions, dict(
        source=_SOLUTION_SRC, replacement="raise NotImplementedError"
    )


@spec("grading.solution_lines")
def _():
    return _mod("grading").solution_lines, dict(source=_SOLUTION_SRC)


@spec("grading.until_implemented", aliases={"first": ["names[0]"], "second": ["names[1]"]})
def _():
    # *names: a context manager; swept through a wrapper that enters and leaves it
    def enter(first, second):
        with _mod("grading").until_implemented(first, second):
            return first

    return enter, dict(first="f", second="g")  # named names[0] and names[1] in messages


# NotebookError names a missing or malformed notebook by its file: "abc: no such notebook file"
NOTEBOOK_FILE = ["no such notebook file", "not a notebook", "not a valid notebook"]


@spec(
    "grading.read_notebook", skip=("name",), aliases={"path": NOTEBOOK_FILE}
)  # name: the caller's argument name
def _():
    return _mod("grading").read_notebook, dict(path=_tiny_nb_file(), name="path")


for _fn in ("find_exercises", "is_annotated", "student_notebook"):

    @spec(f"grading.{_fn}")
    def _(_fn=_fn):
        return getattr(_mod("grading"), _fn), dict(nb=_tiny_nb(), path="99_tiny.ipynb")


@spec("grading.cell_metadata")
def _():
    return _mod("grading").cell_metadata, dict(
        exercise=_mod("grading").find_exercises(_tiny_nb())[0]
    )


exempt("grading.Exercise", "a record that find_exercises returns; learners read it")
exempt("grading.ExerciseResult", "a record in grade's report; learners read it")


@spec(
    "grading.annotate", mutates=("path",), aliases={"path": NOTEBOOK_FILE}
)  # the file: annotating it in place is the point
def _():
    return _mod("grading").annotate, dict(path=_tiny_nb_file(annotated=False), write=True)


@spec("grading.exercise_notebooks")
def _():
    return _mod("grading").exercise_notebooks, dict(paths=[_tiny_nb_file()])


@spec("grading.student_version", aliases={"src": NOTEBOOK_FILE})
def _():
    return _mod("grading").student_version, dict(
        src=_tiny_nb_file(), dst=TMP / "student" / "99_tiny.ipynb"
    )


def _tiny_report():
    return {
        "notebook": "99_tiny.ipynb",
        "assignment": "99_tiny",
        "exercises": [
            dict(number=1, name="double", points=1, max_points=1, seconds=0.1, message="ok")
        ],
        "total": 1,
        "max_total": 1,
        "seconds": 0.5,
    }


@spec("grading.format_report")
def _():
    return _mod("grading").format_report, dict(report=_tiny_report())


@spec("grading.write_gradebook")
def _():
    return _mod("grading").write_gradebook, dict(
        reports=[_tiny_report()],
        failures=[{"notebook": "x.ipynb", "error": "not a notebook"}],
        dst=TMP / "gradebook.csv",
        due="2026-12-07T23:59",
        hidden_dir=_tiny_hidden(),
        assignment="99_tiny",
    )


@spec("grading.class_reports")
def _():
    return _mod("grading").class_reports, dict(
        reports=[_tiny_report()],
        failures=[{"notebook": "x.ipynb", "error": "not a notebook"}],
        due="2026-12-07T23:59",
        hidden_dir=_tiny_hidden(),
        assignment="99_tiny",
    )


@spec("grading.write_feedback")
def _():
    rows = _mod("grading").class_reports([_tiny_report()], [], hidden_dir=_tiny_hidden())
    return _mod("grading").write_feedback, dict(class_rows=rows, folder=TMP / "feedback")


@spec("grading.one_line")  # any message is text; only the limit can be wrong
def _():
    return _mod("grading").one_line, dict(message="NotImplementedError: ", limit=80)


@spec("grading.submission_info")
def _():
    return _mod("grading").submission_info, dict(path=_tiny_nb_file("info"))


@spec("grading.keep_going", aliases={"first": ["names[0]"], "second": ["names[1]"]})
def _():
    # *names; outside an IPython kernel it installs nothing and returns False
    def install(first, second):
        return _mod("grading").keep_going(first, second)

    return install, dict(first="f", second="g")


@spec("grading.nbgrader_checksum")
def _():
    nb, _ = _mod("grading").student_notebook(_tiny_nb(), "99_tiny.ipynb")
    return _mod("grading").nbgrader_checksum, dict(cell=nb.cells[2])


# grade and grade_folder execute the notebook in a kernel (seconds per accepted call): only
# the arguments whose bad values are refused before any execution are swept. Skipped:
# assignment (None is valid and grades), the timeouts and run_all (most bad numbers are valid
# and grade), kernel_name (a missing kernel is jupyter_client's NoSuchKernel, reported by
# grade as a kernel failure after seconds of retries).
_GRADE_SKIP = (
    "assignment",
    "cell_timeout",
    "exercise_timeout",
    "total_timeout",
    "run_all",
    "kernel_name",
    "timeout_factor",
    "timeout_margin",
    "memory_limit",
    "cpu_limit",
    "file_size_limit",
)


# hidden_dir=None: the package's hidden tests, which have none for this notebook; grade's
# NotebookError says so ("no hidden tests for assignment '99_tiny'")
@spec("grading.grade", skip=_GRADE_SKIP, aliases={"hidden_dir": ["hidden tests"]}, costly=True)
def _():
    return _mod("grading").grade, dict(
        path=_tiny_nb_file("graded"),
        assignment="99_tiny",
        hidden_dir=_tiny_hidden(),
        cell_timeout=60.0,
        exercise_timeout=30.0,
        total_timeout=120.0,
        run_all=False,
        kernel_name="python3",
        chained=False,
        prepared=None,
    )


@spec("grading.prepare", aliases={"hidden_dir": ["hidden tests"]})
def _():
    return _mod("grading").prepare, dict(assignment="99_tiny", hidden_dir=_tiny_hidden())


@spec("grading.grade_folder", costly=True)
def _():
    folder = _tiny_nb_file("graded_folder").parent
    grade_folder = _mod("grading").grade_folder

    def call(folder):  # the options travel as **kwargs; the folder is what a learner passes
        return grade_folder(folder, hidden_dir=_tiny_hidden(), exercise_timeout=30)

    return call, dict(folder=folder)


exempt(
    "grading.main",
    "the command line: argparse answers a bad argv with usage and SystemExit(2) (tested in "
    "test_grading); its commands call the functions swept here",
)


@spec("grading.python_source")
def _():
    return _mod("grading").python_source, dict(source="%time x = 1\nx = 2")


@spec("grading.dependencies")
def _():
    nb = _tiny_nb()
    return _mod("grading").dependencies, dict(nb=nb, exercises=_mod("grading").find_exercises(nb))


@spec("grading.exercise_namespace", aliases={"path": NOTEBOOK_FILE})
def _():
    return _mod("grading").exercise_namespace, dict(path=_tiny_nb_file("ns"), student=False)


# hidden_dir=None: the package's hidden tests, which have none for '99_tiny' (the message
# names the assignment and the hidden tests it lacks)
@spec("grading.grade_namespace", aliases={"hidden_dir": ["hidden tests"]})
def _():
    return _mod("grading").grade_namespace, dict(
        namespace={"double": lambda x: 2 * x}, assignment="99_tiny", hidden_dir=_tiny_hidden()
    )

"""The grading loop proven on every graded notebook of the course (fast mode, offline).

Graded notebooks are those with hidden tests in `cvutils.grading.hidden` (04 and 06 today).
For each: fully annotated; its solution version scores full points; its student version runs
(every check says "not implemented yet", no cell fails) and scores zero. A hostile submission
built from 04 (one exercise broken, one looping forever, one delegating to the package, one
wrong answer behind patched checking functions) scores exactly the other exercises.
"""

import re
import time
from pathlib import Path

import nbformat
import pytest

from cvutils import grading
from cvutils.grading import hidden

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WITH_EXERCISES = [p for p in NOTEBOOKS if grading.find_exercises(grading.read_notebook(p), p)]
GRADED = [p for p in WITH_EXERCISES if p.stem in hidden.assignments()]
ids = [p.stem[:2] for p in GRADED]


def test_graded_notebooks_are_04_and_06_and_have_notebooks():
    assert {p.stem[:2] for p in GRADED} >= {"04", "06"}
    assert set(hidden.assignments()) == {p.stem for p in GRADED}


@pytest.mark.parametrize("path", GRADED, ids=ids)
def test_graded_notebook_is_annotated_and_every_exercise_has_hidden_tests(path):
    nb = grading.read_notebook(path)
    assert grading.is_annotated(nb, path) == [], f"run: python -m cvutils.grading annotate {path}"
    assert nb.metadata["cvutils"]["assignment"] == path.stem
    exercises = grading.find_exercises(nb, path)
    tests = hidden.load(path.stem)
    assert [e.name for e in exercises] == list(tests), "hidden tests must cover every exercise"
    for e in exercises:
        assert tests[e.name].points == e.points, f"{e.name}: header and hidden tests disagree"
        assert e.points > 0
        between = nb.cells[e.cell + 1 : e.check_cell]
        assert all(c.cell_type != "code" for c in between), f"{e.name}: check cell must follow"
        assert tests[e.name].cases(), e.name
    assert len({e.number for e in exercises}) == len(exercises)


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem[:2] for p in WITH_EXERCISES])
def test_student_version_holds_no_solution_line(path, tmp_path):
    src = grading.read_notebook(path)
    dst = tmp_path / path.name
    n = grading.student_version(path, dst)
    assert n == len(grading.find_exercises(src, path)) > 0
    text = dst.read_text()
    student = grading.read_notebook(dst)
    sources = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    public = "\n".join(c.source for c in src.cells if grading.BEGIN not in c.source)
    lines = {line for c in src.cells for line in grading.solution_lines(c.source)}
    leaked = [line for line in lines if line not in public and (line in sources or line in text)]
    assert not leaked
    assert grading.BEGIN not in sources and grading.END not in sources
    assert all(c.get("outputs", []) == [] for c in student.cells if c.cell_type == "code")
    assert grading.find_exercises(student, dst) == grading.find_exercises(src, path)


def _grade(path, exercise_timeout=None):
    start = time.monotonic()
    report = grading.grade(path, run_all=False, exercise_timeout=exercise_timeout)
    print(grading.format_report(report))
    return report, time.monotonic() - start


@pytest.mark.parametrize("path", GRADED, ids=ids)
def test_solution_notebook_scores_full_points(path):
    report, _ = _grade(path)
    assert report["total"] == report["max_total"] > 0, report
    assert all(r["passed"] for r in report["exercises"])
    assert report["errors"] == []


@pytest.mark.parametrize("path", GRADED, ids=ids)
def test_student_notebook_runs_and_scores_zero(path, tmp_path):
    student = tmp_path / path.name
    grading.student_version(path, student)
    report, _ = _grade(student)
    assert report["total"] == 0 and report["max_total"] > 0
    assert report["errors"] == [], "a cell of the student version failed"
    assert all("not implemented yet" in r["message"] for r in report["exercises"])
    # The cells after the last check are those of the solution notebook (which nbval runs).
    nb, src = grading.read_notebook(student), grading.read_notebook(path)
    last = max(e.check_cell for e in grading.find_exercises(nb, student))
    assert [c.source for c in nb.cells[last + 1 :]] == [c.source for c in src.cells[last + 1 :]]


def _replace_solution(nb, name, new_body):
    ex = next(e for e in grading.find_exercises(nb) if e.name == name)
    cell = nb.cells[ex.cell]
    cell.source = re.sub(
        r"### BEGIN SOLUTION\n.*?### END SOLUTION",
        lambda m: "### BEGIN SOLUTION\n" + new_body + "\n    ### END SOLUTION",
        cell.source,
        flags=re.S,
    )


def test_hostile_submission_scores_exactly_the_other_exercises(tmp_path):
    path = ROOT / "notebooks" / "04_convolution_step_by_step.ipynb"
    nb = nbformat.read(path, as_version=4)
    (_replace_solution(nb, "pool_forward", "    A = np.zeros((m, n_H, n_W, n_C)"),)  # syntax
    _replace_solution(nb, "conv_backward", "    while True:\n        pass")  # infinite loop
    _replace_solution(nb, "conv_forward", "    Z, _ = conv.conv_forward(A_prev, W, b, hparameters)")
    ex = next(e for e in grading.find_exercises(nb) if e.name == "pool_backward")
    nb.cells[ex.cell].source = (  # a wrong answer behind patched checking functions
        "def check(*args, **kwargs):\n    print('correct')\n\n\n"
        "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        "conv.pool_backward = lambda dA, cache, mode='max': np.zeros(cache[0].shape)\n\n\n"
        + nb.cells[ex.cell].source.replace(
            "### END SOLUTION", "dA_prev = np.zeros(A_prev.shape)\n    ### END SOLUTION"
        )
    )
    sub = tmp_path / "mallory.ipynb"
    nbformat.write(nb, sub)
    before = sub.read_bytes()
    report, seconds = _grade(sub, exercise_timeout=10)
    scores = {r["name"]: r["points"] for r in report["exercises"]}
    messages = {r["name"]: r["message"] for r in report["exercises"]}
    assert scores == {
        "zero_pad": 1,
        "conv_single_step": 1,
        "conv_forward": 0,
        "pool_forward": 0,
        "conv_backward": 0,
        "create_mask_from_window": 1,
        "distribute_value": 1,
        "pool_backward": 0,
    }, messages
    assert report["total"] == 4 and report["max_total"] == 13
    assert "SyntaxError" in messages["pool_forward"] or "NameError" in messages["pool_forward"]
    assert "timed out" in messages["conv_backward"]
    assert (
        "delegation" in messages["conv_forward"]
        and "cvutils.conv.conv_forward" in (messages["conv_forward"])
    )
    assert "hidden tests passed" in messages["pool_backward"]
    assert sub.read_bytes() == before
    assert seconds < 240

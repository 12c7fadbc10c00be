"""The grading loop proven on every notebook of the course with exercises (fast mode, offline).

Every notebook with exercises is graded: it has hidden tests in `cvutils.grading.hidden` and is
fully annotated. Two proofs, sized to the CI budget (2 cores, ~20 notebooks that
tests/test_run_notebooks.py already executes once each):

* The full loop, on 04 and 06 (`FULL_LOOP`): the solution notebook is executed and graded by
  `grade` in a kernel and scores full points; the student version is executed the same way,
  runs (every check says "not implemented yet", no cell fails) and scores zero; a hostile
  submission built from 04 scores exactly the other exercises. This proves the machinery
  (kernels, timeouts, delegation, report) once, for every kind of cell.
* The cheap proof, on every graded notebook (a second or two each, no kernel, no lesson
  executed): (1) in this process, the setup cell's imports and each exercise cell's solution
  are run in a fresh namespace and the hidden tests pass on them (hidden tests and solutions
  agree); (2) the same with the student version's stubs scores zero, each exercise "not
  implemented yet"; (3) a function that delegates to each `forbidden` name scores zero;
  (4) the student version runs to the end, shown statically: it differs from the solution
  notebook (which test_run_notebooks.py executes) only in its exercise cells (whose stubs (2)
  defines without error), in the cells wrapped in `until_implemented` (which stop quietly
  at the first unimplemented call) and in its setup cell's last line, `keep_going`, which
  stops the check cells quietly (nbgrader locks them: they keep their source); so it
  suffices that no later cell reads a name that a wrapped (or check) cell binds at or after
  its first reference to an exercise (such a name would be unbound, or stale, in the student
  version). The analysis is syntactic (names, not values):
  it may refuse a safe notebook, which is then fixed by moving the assignment before the
  exercise call, but a student version it accepts cannot fail on such a name.
"""

import ast
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
FULL_LOOP = [p for p in GRADED if p.stem[:2] in ("04", "06")]
ids = [p.stem[:2] for p in GRADED]
full_ids = [p.stem[:2] for p in FULL_LOOP]
ex_ids = [p.stem[:2] for p in WITH_EXERCISES]


def _is_practice(path):
    """Solution blocks without header lines: ungraded practice, which CI refuses."""
    nb = grading.read_notebook(path)
    return not any(
        grading.HEADER.search(nb.cells[e.cell].source) for e in grading.find_exercises(nb)
    )


def test_every_notebook_with_exercises_is_graded():
    assert {p.stem[:2] for p in FULL_LOOP} == {"04", "06"}
    practice = [p.name for p in WITH_EXERCISES if _is_practice(p)]
    assert not practice, f"give their exercises header lines, then annotate them: {practice}"
    missing = sorted(p.name for p in WITH_EXERCISES if p not in GRADED)
    assert not missing, f"write cvutils/grading/hidden/<stem>.py for {missing}"
    assert set(hidden.assignments()) == {p.stem for p in GRADED}, "hidden tests without notebook"
    readme = (ROOT / "README.md").read_text()
    instructors = readme[readme.index("## For instructors") :]
    listed = re.search(r"today ([0-9,\sand]+), every\s+notebook with exercises", instructors)
    assert listed, "README, For instructors: the sentence listing the graded notebooks"
    numbers = re.findall(r"[0-9]{2}", listed.group(1))
    assert numbers == [p.stem[:2] for p in GRADED], "README: list the graded notebooks"
    assert "ungraded practice" not in instructors


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


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=ex_ids)
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


@pytest.mark.parametrize("path", FULL_LOOP, ids=full_ids)
def test_solution_notebook_scores_full_points(path):
    report, _ = _grade(path)
    assert report["total"] == report["max_total"] > 0, report
    assert all(r["passed"] for r in report["exercises"])
    assert report["errors"] == []


@pytest.mark.parametrize("path", FULL_LOOP, ids=full_ids)
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


# The cheap proof, on every graded notebook.


def _summary(report):
    return "\n".join(
        f"{r['name']}: {r['points']}/{r['max_points']} {r['message']}" for r in report["exercises"]
    )


@pytest.mark.parametrize("path", GRADED, ids=ids)
def test_hidden_tests_pass_on_the_solutions(path):
    report = grading.grade_namespace(grading.exercise_namespace(path), path.stem)
    assert report["total"] == report["max_total"] > 0, _summary(report)
    assert all(r["passed"] for r in report["exercises"]), _summary(report)


@pytest.mark.parametrize("path", GRADED, ids=ids)
def test_hidden_tests_score_the_student_stubs_zero(path):
    namespace = grading.exercise_namespace(path, student=True)
    report = grading.grade_namespace(namespace, path.stem)
    assert report["total"] == 0 and report["max_total"] > 0, _summary(report)
    assert all("not implemented yet" in r["message"] for r in report["exercises"]), _summary(report)


@pytest.mark.parametrize("path", GRADED, ids=ids)
def test_delegating_to_the_package_scores_zero(path):
    import importlib

    tests = hidden.load(path.stem)
    namespace = grading.exercise_namespace(path)
    checked = 0
    for name, test in tests.items():
        for dotted in test.forbidden:
            module, attr = dotted.rsplit(".", 1)
            reference = getattr(importlib.import_module(module), attr)  # the name resolves
            delegating = {"__name__": "mallory", "REFERENCE": reference}
            exec(
                f"def {name}(*args, **kwargs):\n    return REFERENCE(*args, **kwargs)\n", delegating
            )
            report = grading.grade_namespace({**namespace, name: delegating[name]}, path.stem)
            row = next(r for r in report["exercises"] if r["name"] == name)
            assert row["points"] == 0 and dotted in row["message"], row
            assert report["total"] == report["max_total"] - row["max_points"], _summary(report)
            checked += 1
    assert checked >= sum(bool(t.forbidden) for t in tests.values())


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=ex_ids)
def test_student_version_runs_to_the_end(path):
    src = grading.read_notebook(path)
    exercises = grading.find_exercises(src, path)
    student, _ = grading.student_notebook(src, path)
    needs = grading.dependencies(src, exercises)
    names = {e.name for e in exercises}
    first = min(e.cell for e in exercises)
    checks = {e.check_cell for e in exercises}
    setup = next(i for i, c in enumerate(src.cells) if c.cell_type == "code")
    keep_going = f"keep_going({', '.join(repr(e.name) for e in exercises)})".replace("'", '"')
    assert student.cells[setup].source.startswith(src.cells[setup].source)
    assert student.cells[setup].source.splitlines()[-1].startswith(keep_going[:-1])
    for i, (a, b) in enumerate(zip(src.cells, student.cells, strict=True)):
        if a.cell_type != "code" or i in {e.cell for e in exercises} or i == setup:
            continue
        if i in checks:  # nbgrader's locked cells keep their source; keep_going stops them
            assert a.source == b.source, f"cell {i}"
            assert grading.python_source(a.source) and set(needs[i]) & names
            assert {e.name for e in exercises if e.check_cell == i} <= set(
                grading.exercises._uses(a.source, sorted(names))
            ), f"check cell {i} does not call its exercise"
        elif i in needs:  # stops quietly at the first unsolved exercise it needs
            wrapped = f"with until_implemented({', '.join(repr(n) for n in needs[i])}):"
            assert wrapped in b.source, f"cell {i}"
            compile(grading.python_source(b.source), f"cell {i}", "exec")
        else:  # runs as in the solution notebook, which test_run_notebooks.py executes
            assert a.source == b.source, f"cell {i}"
            tree = ast.parse(grading.python_source(a.source))
            loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            assert i < first or not loads & names, f"cell {i} refers to an exercise"


def test_dependencies_follow_values_through_later_cells():
    cells = [
        "import numpy as np",
        "# Exercise 1 - f (1 point)\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n"
        "    ### END SOLUTION",
        "a = 1\nb = f(a)\nc = 2\nlog = []\nlog.append(f(b))\nnp.sum([b])",
        "print(a)",  # set before the call: runs
        "print(c)",  # set after it: needs f
        "d = c + 1",  # ... and so does what it computes
        "print(d)",
        "c = 3\nprint(c)",  # set again first: runs
        "print(np.pi)",  # np was only used after the call: still fine
        "print(log)",  # changed after the call
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.cells.insert(3, nbformat.v4.new_code_cell("print(f(1))"))
    needs = grading.dependencies(nb, grading.find_exercises(nb))
    assert needs == {2: ["f"], 3: ["f"], 5: ["f"], 6: ["f"], 7: ["f"], 10: ["f"]}

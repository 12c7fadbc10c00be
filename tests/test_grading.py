"""The grading loop on small notebooks: markers, annotate, student versions, the autograder.

The notebooks of the course are graded in tests/test_grading_notebooks.py.
"""

import json
import re
import textwrap

import nbformat
import numpy as np
import pytest

from cvutils import grading
from cvutils.checks import ArgumentTypeError

SOURCE = '''def zero_pad(X, pad):
    """Pads."""
    ### BEGIN SOLUTION
    # Hint: np.pad
    X = X + 0
    return np.pad(X, pad)
    ### END SOLUTION


def other():
        ### BEGIN SOLUTION
        return 1
        ### END SOLUTION
'''


def test_strip_solutions_keeps_indentation_hints_and_the_rest():
    out = grading.strip_solutions(SOURCE)
    assert "np.pad(X" not in out and "return 1" not in out
    assert (
        '    """Pads."""\n    # YOUR CODE HERE\n    # Hint: np.pad\n'
        "    raise NotImplementedError()\n" in out
    )
    assert "        # YOUR CODE HERE\n        raise NotImplementedError()\n" in out
    compile(out, "<student>", "exec")
    assert grading.solution_lines(SOURCE) == ["X = X + 0", "return np.pad(X, pad)", "return 1"]


@pytest.mark.parametrize(
    "source, match",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "1 '### BEGIN SOLUTION' but 0"),
        ("### END SOLUTION\nx = 1\n### BEGIN SOLUTION\n", "without '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION\n", "nested"),
    ],
)
def test_unpaired_markers_are_refused(source, match):
    with pytest.raises(ValueError, match=match):
        grading.strip_solutions(source)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: grading.strip_solutions(None), "source"),
        (lambda: grading.check(None, 1.0, 1.0), "name"),
        (lambda: grading.check("x", 1.0, 1.0, atol=-1), "atol"),
        (lambda: grading.student_version(None, "x.ipynb"), "src"),
        (lambda: grading.annotate(3), "path"),
        (lambda: grading.grade(None), "path"),
        (lambda: grading.grade("x.ipynb", cell_timeout=0), "cell_timeout"),
        (lambda: grading.until_implemented(3).__enter__(), "names"),
    ],
)
def test_arguments_are_checked(call, name):
    with pytest.raises(ValueError, match=rf"^{name}(\[0\])? must be"):
        call()
    with pytest.raises((ValueError, ArgumentTypeError)):
        call()


def test_check_passes_and_explains_failures(capsys):
    grading.check("f(x)", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert "f(x): correct" in capsys.readouterr().out
    with pytest.raises(grading.CheckFailed, match=r"shape \(2,\), expected \(3,\)"):
        grading.check("f(x)", np.zeros(2), np.zeros(3))
    with pytest.raises(grading.CheckFailed, match=r"largest difference 0.5 at index \(1,\)"):
        grading.check("f(x)", np.array([1.0, 2.5]), np.array([1.0, 2.0]))
    with pytest.raises(grading.CheckFailed, match="NaN"):
        grading.check("f(x)", np.array([np.nan]), np.array([1.0]))
    with pytest.raises(grading.CheckFailed, match=r"f\(x\)\[1\]"):
        grading.check("f(x)", (np.zeros(2), np.ones(2)), (np.zeros(2), np.zeros(2)))
    grading.check("mask", np.array([True, False]), np.array([True, False]))


def test_until_implemented_reports_only_not_implemented(capsys):
    with grading.until_implemented("f"):
        raise NotImplementedError()
    assert "f: not implemented yet" in capsys.readouterr().out
    with pytest.raises(ZeroDivisionError), grading.until_implemented("g"):
        1 / 0  # noqa: B018
    # a cell that needs f, still unsolved, reads a value f never computed: one line, no error
    with grading.until_implemented("f"):
        undefined_value  # noqa: B018, F821
    assert "f: not implemented yet; this cell needs it (NameError" in capsys.readouterr().out
    with grading.until_implemented("f"):  # f solved: its cells run through
        pass
    with pytest.raises(NameError), grading.until_implemented("f"):
        undefined_value  # noqa: B018, F821


def _cell(source, **meta):
    cell = nbformat.v4.new_code_cell(textwrap.dedent(source).strip("\n"))
    cell.metadata.update(meta)
    return cell


def _write(tmp_path, cells, name="99_tiny.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = cells
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _exercise(fn, body, k):
    return [
        _cell(
            f"def {fn}(x):\n    ### BEGIN SOLUTION\n{textwrap.indent(body, '    ')}\n"
            "    ### END SOLUTION"
        ),
        _cell(f"check('{fn}', {fn}(np.arange(3.0)), np.arange(3.0) * {k})"),
    ]


SETUP = _cell("import numpy as np\nfrom cvutils.grading import check")


def test_annotate_derives_headers_and_metadata_and_is_idempotent(tmp_path):
    path = _write(
        tmp_path,
        [SETUP, *_exercise("double", "return 2 * x", 2), *_exercise("triple", "return 3 * x", 3)],
    )
    assert grading.is_annotated(grading.read_notebook(path), path)
    exercises = grading.annotate(path)
    assert [(e.number, e.name, e.points) for e in exercises] == [(1, "double", 1), (2, "triple", 1)]
    first = path.read_text()
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].source.startswith("# Exercise 1 - double (1 point)\ndef double(x):")
    assert nb.cells[1].metadata.nbgrader == {
        "grade": False,
        "grade_id": "double",
        "locked": False,
        "schema_version": 3,
        "solution": True,
    }
    assert nb.cells[2].metadata.nbgrader["points"] == 1
    assert nb.cells[2].metadata.nbgrader["grade"] is True
    assert nb.metadata.cvutils == {"assignment": "99_tiny"}
    nb.cells[3].source = nb.cells[3].source.replace("(1 point)", "(2.5 points)")
    nbformat.write(nb, path)
    grading.annotate(path)
    again = path.read_text()
    grading.annotate(path)
    assert path.read_text() == again != first
    assert nbformat.read(path, as_version=4).cells[4].metadata.nbgrader["points"] == 2.5
    assert grading.is_annotated(grading.read_notebook(path), path) == []


@pytest.mark.parametrize(
    "cells, match",
    [
        (
            [SETUP, _cell("def f(x):\n    ### BEGIN SOLUTION\n    return x"), _cell("check()")],
            r"99_tiny.ipynb, cell 1: unterminated solution block",
        ),
        (
            [SETUP, *_exercise("f", "return x", 1), *_exercise("f", "return x", 1)],
            r"cell 3: duplicated exercise id 'f' \(also cell 1\)",
        ),
        (
            [
                SETUP,
                _cell("# Exercise 1 - f (1 point)\ndef f(x):\n    return x"),
                _cell("# Exercise 1 - g (1 point)\ndef g(x):\n    return x"),
                _cell("check()"),
            ],
            r"cell 1: exercise 'f' is not followed by a check cell",
        ),
        ([SETUP, *_exercise("f", "return x", 1)[:1]], r"cell 1: exercise 'f' is not followed"),
        (
            [SETUP, _cell("# Exercise 1 - f (0 points)\ndef f(x):\n    return x"), _cell("c()")],
            r"cell 1: exercise 'f' must be worth > 0 points",
        ),
        (
            [
                SETUP,
                _cell(
                    "# Exercise one - f\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n"
                    "    ### END SOLUTION"
                ),
                _cell("c()"),
            ],
            r"cell 1: expected one header",
        ),
    ],
)
def test_bad_exercise_notebooks_are_refused_naming_file_and_cell(tmp_path, cells, match):
    path = _write(tmp_path, cells)
    before = path.read_bytes()
    with pytest.raises(grading.NotebookError, match=match):
        grading.annotate(path)
    with pytest.raises(grading.NotebookError, match=match):
        grading.student_version(path, tmp_path / "student.ipynb")
    assert path.read_bytes() == before and not (tmp_path / "student.ipynb").exists()


@pytest.mark.parametrize(
    "text, match",
    [
        ("{not json", "not a notebook \\(not valid JSON"),
        ('{"a": 1}', "not a notebook \\(JSON without 'cells'"),
        ('{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": 3}', "not a valid"),
    ],
)
def test_files_that_are_not_notebooks_are_refused(tmp_path, text, match, capsys):
    path = tmp_path / "sub.ipynb"
    path.write_text(text)
    with pytest.raises(grading.NotebookError, match=f"sub.ipynb: {match}"):
        grading.grade(path)
    assert grading.main(["grade", str(path)]) == 2
    assert "sub.ipynb" in capsys.readouterr().err
    assert path.read_text() == text


def test_student_version_refuses_to_overwrite_its_source(tmp_path):
    path = _write(tmp_path, [SETUP, *_exercise("double", "return 2 * x", 2)])
    before = path.read_bytes()
    with pytest.raises(grading.NotebookError, match="refusing to overwrite"):
        grading.student_version(path, path)
    assert path.read_bytes() == before


TINY_TESTS = """
import numpy as np
from cvutils.grading.hidden import HiddenTest

def _cases():
    r = np.random.default_rng(7)
    return [(f"case {n}", (r.standard_normal(n),), {}) for n in (1, 2, 4, 5)]

TESTS = [
    HiddenTest(name, 1, _cases, (lambda k: lambda x: k * x)(k), ("cvutils.conv.zero_pad",))
    for k, name in enumerate(["double", "triple", "quad", "penta", "hexa", "hepta", "octa"], 2)
]
"""


def test_grading_survives_crashes_exits_syntax_errors_and_deleted_functions(tmp_path, capsys):
    """Each hostile exercise costs only itself; the others after it are still graded."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "99_tiny.py").write_text(TINY_TESTS)
    cells = [
        SETUP,
        *_exercise("double", "return 2 * x", 2),
        *_exercise("triple", "import os\nos._exit(1)", 3),  # kernel crash when called
        *_exercise("quad", "import sys\nsys.exit('bye')", 4),
        *_exercise("penta", "return 5 * x)", 5),  # syntax error
        _cell("# Exercise 5 - hexa (1 point)\n### BEGIN SOLUTION\n### END SOLUTION"),  # deleted
        _cell("check('hexa', hexa(np.arange(3.0)), np.arange(3.0) * 6)"),
        *_exercise("hepta", "return 7 * x if len(x) <= 3 else x", 7),  # half right
        *_exercise("octa", "return 8 * x", 8),
        _cell("1 / 0"),  # the last cell's error is reported too
    ]
    path = _write(tmp_path, cells)
    before = path.read_bytes()
    report = grading.grade(path, hidden_dir=hidden, exercise_timeout=30)
    scores = {r["name"]: r["points"] for r in report["exercises"]}
    messages = {r["name"]: r["message"] for r in report["exercises"]}
    assert scores["double"] == scores["octa"] == 1
    assert scores["triple"] == scores["quad"] == scores["penta"] == scores["hexa"] == 0
    assert scores["hepta"] == 0.5  # partial credit: 2 of the 4 hidden cases
    assert report["total"] == 2.5 and report["max_total"] == 7
    assert "died" in messages["triple"] or "exited" in messages["triple"]
    assert "SystemExit" in messages["quad"]
    assert "NameError" in messages["penta"] and "NameError" in messages["hexa"]
    assert report["kernel_restarts"] >= 1
    assert report["errors"][-1] == {
        "cell": len(cells) - 1,
        "error": "ZeroDivisionError: division by zero",
    }
    assert path.read_bytes() == before


def test_a_notebook_of_another_assignment_is_refused(tmp_path):
    path = _write(tmp_path, [SETUP, *_exercise("double", "return 2 * x", 2)], "sub.ipynb")
    with pytest.raises(grading.NotebookError, match="sub.ipynb: none of its exercises"):
        grading.grade(path)
    with pytest.raises(grading.NotebookError, match="sub.ipynb: a notebook of another assignment"):
        grading.grade(path, assignment="04_convolution_step_by_step")


def test_report_json_and_table(tmp_path, capsys):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "99_tiny.py").write_text(TINY_TESTS)
    folder = tmp_path / "subs"
    folder.mkdir()
    _write(folder, [SETUP, *_exercise("double", "return 2 * x", 2)], "alice.ipynb")
    _write(folder, [SETUP, *_exercise("double", "return 3 * x", 2)], "bob.ipynb")
    (folder / "carol.ipynb").write_text("{oops")
    args = [
        "grade",
        str(folder),
        "--hidden",
        str(hidden),
        "--assignment",
        "99_tiny",
        "--report",
        str(tmp_path / "r.json"),
    ]
    assert grading.main(args) == 1  # carol could not be graded; the others are
    out = capsys.readouterr().out
    assert "alice.ipynb" in out and "carol.ipynb" in out and "NOT GRADED" in out
    rows = (folder / "gradebook.csv").read_text().splitlines()  # one row per student
    names = "double,triple,quad,penta,hexa,hepta,octa"
    head = f"student,file,assignment,timestamp,late,{names},total,max,graded,comment,grader_version"
    assert rows[0] == head and len(rows) == 4
    assert re.match(r"alice,alice.ipynb,99_tiny,[-0-9T:+]+,,1,0,0,0,0,0,0,1,7,yes,", rows[1])
    assert re.match(r"bob,bob.ipynb,99_tiny,[-0-9T:+]+,,0,0,0,0,0,0,0,0,7,yes,", rows[2])
    assert re.match(r"carol,carol.ipynb,99_tiny,[-0-9T:+]+,,(0,){8}7,no,not graded", rows[3])
    report = json.loads((tmp_path / "r.json").read_text())
    missing = report["submissions"][0]["exercises"][1]
    assert missing["name"] == "triple" and missing["points"] == 0
    assert re.search(r"missing: no exercise cell for 'triple' in .*alice.ipynb", missing["message"])
    row = report["submissions"][0]["exercises"][0]
    assert set(row) >= {"id", "name", "points", "max_points", "passed", "message", "seconds"}
    assert set(report["submissions"][0]) >= {"notebook", "total", "max_total"}


# Regression tests for what the bad-input sweep found.
def _report():
    ex = dict(number=1, name="f", points=1, max_points=1, seconds=0.1, message="ok")
    keys = dict(notebook="a.ipynb", assignment="a", total=1, max_total=1, seconds=0.1)
    return {**keys, "exercises": [ex]}


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: grading.find_exercises(None), "nb"),
        (lambda: grading.is_annotated("abc"), "nb"),
        (lambda: grading.student_notebook({}), "nb"),
        (lambda: grading.cell_metadata("f"), "exercise"),
        (lambda: grading.compare("x", 1.0, 1.0, atol=None), "atol"),
        (lambda: grading.compare("x", 1.0, 1.0, rtol=-1.0), "rtol"),
        (lambda: grading.exercise_notebooks("notebooks"), "paths"),
        (lambda: grading.exercise_notebooks([b"abc"]), "paths[0]"),
        (lambda: grading.format_report(None), "report"),
        (lambda: grading.format_report({**_report(), "exercises": [{}]}), "report['exercises'][0]"),
        (lambda: grading.write_gradebook(None, [], "gb.csv"), "reports"),
        (lambda: grading.write_gradebook([{}], [], "gb.csv"), "reports[0]"),
        (lambda: grading.write_gradebook([], [None], "gb.csv"), "failures[0]"),
    ],
)
def test_sweep_regressions_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)} must be .+; got .+\.$"):
        call()


def test_grade_names_a_bad_hidden_dir_before_running_anything(tmp_path):
    path = _write(tmp_path, [SETUP, *_exercise("double", "return 2 * x", 2)])
    with pytest.raises(ValueError, match=r"^hidden_dir must be"):
        grading.grade(path, hidden_dir=tmp_path / "missing")
    assert grading.format_report(_report()).startswith("a.ipynb (assignment a)")


def test_compare_an_array_with_an_expected_string_is_a_difference_not_a_crash():
    assert grading.compare("x", np.ones(3), "abc").startswith("x: got array")


def test_keras_call_kind_compares_what_the_built_model_outputs(tmp_path):
    (tmp_path / "99_toy.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            from cvutils.grading.hidden import HiddenTest


            def _reference(batch, factor):
                return np.asarray(batch) * factor


            def _cases():
                return [("make_scaler(3) on ones", (np.ones((2, 3), "float32"), 3.0), {})]


            TESTS = [HiddenTest("make_scaler", 1, _cases, _reference, kind="keras_call")]
            """
        )
    )
    import keras

    for factor, points in [(0, 1.0), (1, 0.0)]:
        namespace = {"make_scaler": lambda f, extra=factor: keras.layers.Rescaling(f + extra)}
        report = grading.grade_namespace(namespace, "99_toy", hidden_dir=tmp_path)
        assert report["total"] == points, report

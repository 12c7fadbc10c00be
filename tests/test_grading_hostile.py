"""Hostile submissions: each scores what an instructor wants, and costs only its own exercise.

Two parts, sized for the CI budget. Small notebooks with tiny hidden tests (a few seconds each)
prove the mechanisms: a kernel death rebuilt by replaying the check cells, fair and chained
credit, the timeout rule, the memory and file-size limits, a hidden-test file rewritten by
one submission of a folder, parallel workers. One folder of two submissions built from the
course's notebooks 13 and 18 (graded once, by two workers, shared by the tests below it)
proves the delegation routes, copies and fair credit on real exercises (about a minute on
2 cores: marked slow, run with ``-m slow``).
"""

import json
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from cvutils import grading
from cvutils.grading import autograde

ROOT = Path(__file__).resolve().parent.parent


def _cell(source):
    return nbformat.v4.new_code_cell(textwrap.dedent(source).strip("\n"))


def _write(folder, cells, name):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["cvutils"] = {"assignment": "99_tiny"}
    nb.cells = cells
    path = folder / name
    nbformat.write(nb, path)
    return path


def _exercise(fn, body, check, number):
    return [
        _cell(
            f"# Exercise {number} - {fn} (1 point)\ndef {fn}(x):\n    ### BEGIN SOLUTION\n"
            f"{textwrap.indent(body, '    ')}\n    ### END SOLUTION"
        ),
        _cell(check),
    ]


SETUP = _cell("import numpy as np\nfrom cvutils.grading import check")
HIDDEN = """
import numpy as np
from cvutils.grading.hidden import HiddenTest

def _cases():
    r = np.random.default_rng(7)
    return [(f"case {n}", (r.standard_normal(n),), {}) for n in (1, 2, 4, 5)]

def _double(x):
    return 2 * x

def _quad(x):
    return 4 * x

TESTS = [
    HiddenTest("double", 1, _cases, _double, ("cvutils.conv.zero_pad",)),
    HiddenTest("quad", 1, _cases, _quad, ("cvutils.conv.zero_pad",)),
]
"""
DOUBLE_CHECK = "queries = np.arange(3.0)\ncheck('double', double(queries), 2 * queries)"
QUAD_CHECK = "check('quad', quad(queries), 4 * queries)"  # needs queries from double's check


@pytest.fixture
def hidden(tmp_path):
    folder = tmp_path / "hidden"
    folder.mkdir()
    (folder / "99_tiny.py").write_text(HIDDEN)
    return folder


def _scores(report):
    return {r["name"]: r["points"] for r in report["exercises"]}


def _messages(report):
    return {r["name"]: r["message"] for r in report["exercises"]}


def test_a_crash_in_a_check_cell_costs_only_its_exercise(tmp_path, hidden):
    """``os._exit`` in double: its check cell (which defines ``queries``) is replayed with the
    reference double, so quad's check, which reads ``queries``, still runs and scores."""
    path = _write(
        tmp_path,
        [
            SETUP,
            *_exercise("double", "import os\nos._exit(0)", DOUBLE_CHECK, 1),
            *_exercise("quad", "return 4 * x", QUAD_CHECK, 2),
        ],
        "sub.ipynb",
    )
    report = grading.grade(path, hidden_dir=hidden, timeout_margin=20)
    assert _scores(report) == {"double": 0, "quad": 1}, _messages(report)
    assert "died" in _messages(report)["double"] or "exited" in _messages(report)["double"]
    assert report["kernel_restarts"] >= 1


def test_a_wrong_upstream_exercise_costs_only_its_own_point_unless_chained(tmp_path, hidden):
    path = _write(
        tmp_path,
        [
            SETUP,
            *_exercise("double", "return 3 * x", DOUBLE_CHECK.replace("2 *", "3 *"), 1),
            *_exercise("quad", "return double(double(x))", QUAD_CHECK, 2),
        ],
        "sub.ipynb",
    )
    fair = grading.grade(path, hidden_dir=hidden, timeout_margin=20)
    assert _scores(fair) == {"double": 0, "quad": 1}, _messages(fair)
    assert "through double" in _messages(fair)["quad"]
    chained = grading.grade(path, hidden_dir=hidden, timeout_margin=20, chained=True)
    assert _scores(chained) == {"double": 0, "quad": 0}, _messages(chained)
    assert "it calls double, which failed" in _messages(chained)["quad"]


def test_a_loop_costs_the_timeout_rule_and_limits_stop_memory_and_huge_files(tmp_path, hidden):
    margin = 4.0
    path = _write(
        tmp_path,
        [
            SETUP,
            *_exercise("double", "while True:\n    pass", DOUBLE_CHECK, 1),
            *_exercise(
                "quad",
                # 256 GiB of address space in 1 GiB blocks (never touched, so without a limit
                # the machine's memory is not used), then a 256 MiB file in 16 MiB writes
                "hog = [np.empty(2**27) for _ in range(256)]\nreturn 4 * x",
                QUAD_CHECK,
                2,
            ),
        ],
        "sub.ipynb",
    )
    report = grading.grade(
        path, hidden_dir=hidden, timeout_margin=margin, memory_limit=6 << 30, file_size_limit=0
    )
    messages = _messages(report)
    assert _scores(report) == {"double": 0, "quad": 0}, messages
    prepared = autograde.prepare("99_tiny", hidden)
    limit = autograde.exercise_limit(prepared.tests["double"], 10, margin)
    assert limit == pytest.approx(10 * prepared.tests["double"].reference_seconds + margin)
    assert f"timed out after {int(limit)} s" in messages["double"]
    assert report["exercises"][0]["seconds"] < 3 * limit + 10
    assert "MemoryError" in messages["quad"]
    writer = "with open('big.bin', 'wb') as fh:\n    for _ in range(16):\n"
    writer += "        fh.write(bytes(1 << 24))\nreturn 4 * x"
    path = _write(
        tmp_path,
        [SETUP, *_exercise("double", writer, DOUBLE_CHECK, 1)],
        "files.ipynb",
    )
    report = grading.grade(path, hidden_dir=hidden, file_size_limit=8 << 20, timeout_margin=20)
    assert _scores(report)["double"] == 0
    assert (
        "File too large" in _messages(report)["double"] or "OSError" in _messages(report)["double"]
    )


def test_the_cpu_time_limit_stops_a_busy_kernel_before_the_timeout(tmp_path, hidden):
    # the exercise timeout is minutes here, so only the kernel's CPU-time limit can stop the
    # loop; the kernel dies, only that exercise loses its point, and quad (which needs the
    # queries of double's check cell) is graded after the replay
    path = _write(
        tmp_path,
        [
            SETUP,
            *_exercise("double", "while True:\n    pass", DOUBLE_CHECK, 1),
            *_exercise("quad", "return 4 * x", QUAD_CHECK, 2),
        ],
        "busy.ipynb",
    )
    report = grading.grade(path, hidden_dir=hidden, cpu_limit=12, timeout_margin=240)
    messages = _messages(report)
    assert _scores(report) == {"double": 0, "quad": 1}, messages
    assert "the kernel died" in messages["double"] and "CPU-time limit" in messages["double"]
    assert report["exercises"][0]["seconds"] < 120, report["exercises"][0]


def test_a_slow_correct_solution_is_accepted_within_the_bound(tmp_path, hidden):
    """0.5 s a call: 4 hidden cases take 2 s, within 10 x the reference's time + a 4 s margin."""
    body = "import time\ntime.sleep(0.5)\nreturn 2 * x"
    path = _write(tmp_path, [SETUP, *_exercise("double", body, DOUBLE_CHECK, 1)], "slow.ipynb")
    report = grading.grade(path, hidden_dir=hidden, timeout_margin=4)
    assert _scores(report) == {"double": 1, "quad": 0}, _messages(report)


def test_a_submission_that_rewrites_the_hidden_tests_changes_nothing_for_the_next(
    tmp_path, hidden, capsys
):
    """A rewrites the hidden-test file (the grader's and its own copy); B, graded after it in
    the same folder run, gets its usual score; A is reported and the file is put back."""
    folder = tmp_path / "subs"
    folder.mkdir()
    target = hidden / "99_tiny.py"
    before = target.read_text()
    forged = "import pathlib, cvutils.grading.hidden as h\n"
    forged += "fake = 'TESTS = []  # everything passes\\n'\n"
    forged += f"pathlib.Path({str(target)!r}).write_text(fake)\n"
    forged += (
        "pathlib.Path(h.__file__).with_name('04_convolution_step_by_step.py').write_text(fake)"
    )
    _write(
        folder,
        [SETUP, *_exercise("double", "return 2 * x", DOUBLE_CHECK, 1), _cell(forged)],
        "a.ipynb",
    )
    _write(folder, [SETUP, *_exercise("double", "return 3 * x", DOUBLE_CHECK, 1)], "b.ipynb")
    _write(folder, [SETUP, *_exercise("double", "return 2 * x", DOUBLE_CHECK, 1)], "c.ipynb")
    args = ["grade", str(folder), "--hidden", str(hidden), "--report", str(tmp_path / "r.json")]
    assert grading.main([*args, "--timeout-margin", "20"]) == 0
    reports = {
        Path(r["notebook"]).name: r
        for r in json.loads((tmp_path / "r.json").read_text())["submissions"]
    }
    assert [_scores(reports[n])["double"] for n in ("a.ipynb", "b.ipynb", "c.ipynb")] == [1, 0, 1]
    problems = reports["a.ipynb"]["integrity"]
    assert any("99_tiny.py (put back)" in p for p in problems), problems
    assert any("04_convolution_step_by_step.py" in p for p in problems), problems
    assert reports["b.ipynb"]["integrity"] == reports["c.ipynb"]["integrity"] == []
    assert target.read_text() == before
    assert "INTEGRITY" in capsys.readouterr().out


def test_workers_grade_a_folder_in_parallel(tmp_path, hidden):
    folder = tmp_path / "subs"
    folder.mkdir()
    for k, name in [(2, "ann"), (3, "bob"), (2, "cid")]:
        _write(
            folder,
            [SETUP, *_exercise("double", f"return {k} * x", DOUBLE_CHECK, 1)],
            f"{name}.ipynb",
        )
    (folder / "dan.ipynb").write_text("{oops")
    reports, failures = grading.grade_folder(
        folder, workers=2, hidden_dir=hidden, timeout_margin=20
    )
    assert [Path(r["notebook"]).name for r in reports] == ["ann.ipynb", "bob.ipynb", "cid.ipynb"]
    assert [r["total"] for r in reports] == [1, 0, 1]
    assert [Path(f["notebook"]).name for f in failures] == ["dan.ipynb"]
    with pytest.raises(ValueError, match="^workers must be"):
        grading.grade_folder(folder, workers=0)


# The course's notebooks: one folder, graded once by two workers.


def _replace_solution(nb, name, new_body, after=""):
    """The solution block of exercise ``name`` replaced; ``after`` appended to its cell."""
    ex = next(e for e in grading.find_exercises(nb) if e.name == name)
    cell = nb.cells[ex.cell]
    if new_body is not None:
        cell.source = re.sub(
            r"### BEGIN SOLUTION\n.*?### END SOLUTION",
            lambda m: (
                "### BEGIN SOLUTION\n"
                + textwrap.indent(new_body, "    ")
                + "\n    ### END SOLUTION"
            ),
            cell.source,
            flags=re.S,
        )
    cell.source += "\n\n" + textwrap.dedent(after).strip("\n") if after else ""


def _mallory13():
    """Notebook 13: iou a copy of the package's (inspect.getsource + exec); yolo_filter_boxes
    through getattr after switching the profilers off; yolo_non_max_suppression through a
    reference saved before grading (importlib); yolo_eval correct."""
    nb = nbformat.read(ROOT / "notebooks" / "13_yolo_building_blocks.ipynb", as_version=4)
    _replace_solution(
        nb,
        "iou",
        None,
        after="""
        import inspect
        import cvutils.boxes
        _namespace = dict(vars(cvutils.boxes))
        exec(inspect.getsource(cvutils.boxes.iou), _namespace)
        iou = _namespace["iou"]
        """,
    )
    _replace_solution(
        nb,
        "yolo_filter_boxes",
        "import cvutils.yolo as y\n"
        'scores, boxes, classes = getattr(y, "yolo_" + "filter_boxes")(\n'
        "    boxes, box_confidence, box_class_probs, threshold\n)",
        after="""
        import threading
        sys.setprofile = lambda *a, **k: None
        sys.settrace = lambda *a, **k: None
        threading.setprofile = lambda *a, **k: None
        """,
    )
    _replace_solution(
        nb,
        "yolo_non_max_suppression",
        'return globals()["_SAV" + "ED"](scores, boxes, classes, max_boxes, iou_threshold)',
        after="""
        import importlib
        _SAVED = importlib.import_module("cvutils.yolo").yolo_non_max_suppression
        """,
    )
    return nb


def _eve18():
    """Notebook 18: gram_matrix returns 2 A A^T; total_cost calls the hidden module's
    reference; the content cell rewrites (its copy of) the hidden tests of notebook 13, which
    mallory13, graded beside it, is graded with."""
    nb = nbformat.read(ROOT / "notebooks" / "18_neural_style_transfer.ipynb", as_version=4)
    _replace_solution(nb, "gram_matrix", "GA = 2 * tf.matmul(A, tf.transpose(A))")
    _replace_solution(
        nb,
        "total_cost",
        "from cvutils.grading import hidden\n"
        'ref = hidden.load("18_neural_style_transfer")["total_cost"].reference\n'
        "J = ref(J_content, J_style, alpha, beta)",
    )
    _replace_solution(
        nb,
        "compute_content_cost",
        None,
        after="""
        import pathlib
        import cvutils.grading.hidden
        _here = pathlib.Path(cvutils.grading.hidden.__file__)
        _here.with_name("13_yolo_building_blocks.py").write_text("TESTS = []\\n")
        """,
    )
    return nb


@pytest.fixture(scope="module")
def course_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course_submissions")
    nbformat.write(_eve18(), folder / "eve18.ipynb")
    nbformat.write(_mallory13(), folder / "mallory13.ipynb")
    reports, failures = grading.grade_folder(folder, workers=2, run_all=False)
    assert failures == []
    for report in reports:
        print(grading.format_report(report))
    return {Path(r["notebook"]).stem: r for r in reports}


@pytest.mark.slow
def test_delegation_and_copies_score_zero_and_only_there(course_folder):
    report = course_folder["mallory13"]
    messages = _messages(report)
    assert _scores(report) == {
        "iou": 0,
        "yolo_filter_boxes": 0,
        "yolo_non_max_suppression": 0,
        "yolo_eval": 2,
    }, messages
    assert messages["iou"].startswith(
        "copy: iou runs a copy of the package's own cvutils.boxes.iou"
    )
    assert "delegation" in messages["yolo_filter_boxes"]
    assert "cvutils.yolo.yolo_filter_boxes" in messages["yolo_filter_boxes"]
    assert "cvutils.yolo.yolo_non_max_suppression" in messages["yolo_non_max_suppression"]
    assert messages["yolo_eval"] == "public check and 3/3 hidden tests passed"
    assert report["integrity"] == []


@pytest.mark.slow
def test_a_wrong_gram_matrix_costs_its_own_point_and_hidden_references_score_zero(course_folder):
    report = course_folder["eve18"]
    messages = _messages(report)
    assert _scores(report) == {
        "compute_content_cost": 1,
        "gram_matrix": 0,
        "compute_layer_style_cost": 2,
        "compute_style_cost": 2,
        "total_cost": 0,
    }, messages
    assert "through gram_matrix" in messages["compute_layer_style_cost"]
    assert messages["total_cost"].startswith("delegation: total_cost calls the hidden tests'")
    assert any("13_yolo_building_blocks.py" in p for p in report["integrity"]), report


# The same routes in this process (grade_namespace: no kernel, a second each), so that
# `make test` runs them without the slow marker.

NB13 = ROOT / "notebooks" / "13_yolo_building_blocks.ipynb"
SIGNATURE = "def yolo_filter_boxes(boxes, box_confidence, box_class_probs, threshold=0.6):\n"
ARGS = "(boxes, box_confidence, box_class_probs, threshold)"
ROUTES = {
    "attribute": f"import cvutils.yolo as y\n{SIGNATURE}    return y.yolo_filter_boxes{ARGS}\n",
    "getattr, profilers off": (
        "import sys, threading\n"
        "sys.setprofile = sys.settrace = threading.setprofile = lambda *a, **k: None\n"
        f"{SIGNATURE}    import cvutils.yolo as y\n"
        f"    return getattr(y, 'yolo_' + 'filter_boxes'){ARGS}\n"
    ),
    "saved before grading": (
        "import importlib\n_SAVED = importlib.import_module('cvutils.yolo').yolo_filter_boxes\n"
        f"{SIGNATURE}    return globals()['_SAV' + 'ED']{ARGS}\n"
    ),
    "the hidden module's reference": (
        f"{SIGNATURE}    from cvutils.grading import hidden\n"
        "    tests = hidden.load('13_yolo_building_blocks')\n"
        f"    return tests['yolo_filter_boxes'].reference{ARGS}\n"
    ),
    "a copy": (
        "import inspect\nimport cvutils.yolo\n_ns = dict(vars(cvutils.yolo))\n"
        "exec(inspect.getsource(cvutils.yolo.yolo_filter_boxes), _ns)\n"
        "yolo_filter_boxes = _ns['yolo_filter_boxes']\n"
    ),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_delegation_route_scores_zero_and_costs_no_other_exercise(route):
    import sys
    import threading

    from cvutils.grading import _harness

    _harness.grader_state()  # the real switches, kept before a submission replaces them
    kept = sys.setprofile, sys.settrace, threading.setprofile
    namespace = grading.exercise_namespace(NB13)
    try:
        exec(ROUTES[route], namespace)
    finally:
        sys.setprofile, sys.settrace, threading.setprofile = kept
    report = grading.grade_namespace(namespace, NB13.stem)
    messages = _messages(report)
    assert _scores(report) == {
        "iou": 1,
        "yolo_filter_boxes": 0,
        "yolo_non_max_suppression": 2,
        "yolo_eval": 2,  # it calls the delegating yolo_filter_boxes: not its fault
    }, messages
    kind = "copy" if route == "a copy" else "delegation"
    assert messages["yolo_filter_boxes"].startswith(f"{kind}: yolo_filter_boxes"), messages

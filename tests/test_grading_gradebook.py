"""The gradebook an LMS reads, feedback files, and nbgrader's view of the student versions.

One class of 20 submissions of a tiny three-exercise assignment (built here: full, blank
student versions, wrong, half right, crashing, broken, not a notebook, another assignment)
is graded once by the command line (a module fixture, about a second a submission); the
tests read its gradebook, feedback files and JSON report. The nbgrader test runs only
where nbgrader is installed (``pip install .[instructor]``).
"""

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from cvutils import grading
from cvutils.grading import gradebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WITH_EXERCISES = [p for p in NOTEBOOKS if grading.find_exercises(grading.read_notebook(p), p)]

HIDDEN = """
import numpy as np
from cvutils.grading.hidden import HiddenTest

def _cases():
    r = np.random.default_rng(7)
    return [(f"case {n}", (r.standard_normal(n),), {}) for n in (1, 2, 4, 5)]

TESTS = [
    HiddenTest("double", 1, _cases, lambda x: 2 * x),
    HiddenTest("triple", 2, _cases, lambda x: 3 * x),
    HiddenTest("quad", 1, _cases, lambda x: 4 * x),
]
"""
DUE = "2026-03-01T12:00:00+00:00"
ON_TIME = dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.UTC).timestamp()
LATE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC).timestamp()
SOLUTIONS = {"double": "return 2 * x", "triple": "return 3 * x", "quad": "return 4 * x"}
POINTS = {"double": 1, "triple": 2, "quad": 1}


def _cell(source, **meta):
    cell = nbformat.v4.new_code_cell(textwrap.dedent(source).strip("\n"))
    cell.metadata.update(meta)
    return cell


def _notebook(bodies, student=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if student is not None:
        nb.metadata["cvutils"] = {"assignment": "99_tiny", "student": student}
    cells = [_cell("import numpy as np\nfrom cvutils.grading import check")]
    for number, (fn, body) in enumerate(bodies.items(), start=1):
        header = f"# Exercise {number} - {fn} ({POINTS.get(fn, 1)} point{'s' * (fn == 'triple')})"
        cells.append(
            _cell(
                f"{header}\ndef {fn}(x):\n    ### BEGIN SOLUTION\n"
                f"{textwrap.indent(body, '    ')}\n    ### END SOLUTION"
            )
        )
        k = {"double": 2, "triple": 3, "quad": 4}.get(fn, 5)
        cells.append(_cell(f"check('{fn}', {fn}(np.arange(3.0)), np.arange(3.0) * {k})"))
    # a lesson cell after the exercises that needs one of them
    cells.append(_cell("table = triple(np.ones(2))\nprint(table.sum())"))
    nb.cells = cells
    return nb


def _class(folder: Path, source: Path) -> dict:
    """Writes the 20 submissions; returns {file name: (student id, expected total or None)}."""
    expected = {}

    def put(name, nb, total, student=None, when=ON_TIME):
        path = folder / name
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
        os.utime(path, (when, when))
        expected[name] = (student or Path(name).stem, total)

    for k in range(6):  # full marks; half of them carry a student id in their metadata
        sid = f"s{k:04d}" if k % 2 == 0 else None
        put(f"full_{k}.ipynb", _notebook(SOLUTIONS, sid), 4.0, sid, LATE if k == 5 else ON_TIME)
    for k in range(3):  # blank: the student version as distributed
        grading.student_version(source, folder / f"blank_{k}.ipynb")
        os.utime(folder / f"blank_{k}.ipynb", (ON_TIME, ON_TIME))
        expected[f"blank_{k}.ipynb"] = (f"blank_{k}", 0.0)
    for k in range(3):  # triple wrong: its public check fails
        put(f"wrong_{k}.ipynb", _notebook({**SOLUTIONS, "triple": "return 2 * x"}), 2.0)
    for k in range(2):  # quad right only on short inputs: half the hidden cases
        half = "return 4 * x if len(x) <= 3 else x"
        put(f"half_{k}.ipynb", _notebook({**SOLUTIONS, "quad": half}), 3.5, when=LATE)
    put("crash.ipynb", _notebook({**SOLUTIONS, "triple": "import os\nos._exit(1)"}), 2.0)
    put("syntax.ipynb", _notebook({**SOLUTIONS, "double": "return 2 * x)"}), 3.0)
    multi = "raise ValueError('first line\\nsecond line\\n\\nthird line')"
    put("multiline.ipynb", _notebook({**SOLUTIONS, "quad": multi}), 3.0)
    put("unsolved.ipynb", _notebook({**SOLUTIONS, "double": "raise NotImplementedError()"}), 3.0)
    put("not_json.ipynb", "{oops", None)
    put("other.ipynb", _notebook({"penta": "return 5 * x"}), None)
    assert len(expected) == 20
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    hidden = tmp / "hidden"
    hidden.mkdir()
    (hidden / "99_tiny.py").write_text(HIDDEN)
    source = tmp / "99_tiny.ipynb"
    nbformat.write(_notebook(SOLUTIONS), source)
    grading.annotate(source)
    folder = tmp / "submissions"
    folder.mkdir()
    expected = _class(folder, source)
    out, err = io.StringIO(), io.StringIO()
    argv = ["grade", str(folder), "--hidden", str(hidden), "--assignment", "99_tiny"]
    argv += ["--due", DUE, "--report", str(tmp / "report.json"), "--exercise-timeout", "30"]
    argv += ["--workers", "2"]  # a class is graded in parallel
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = grading.main(argv)
    seconds = time.monotonic() - start
    with open(folder / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return dict(
        status=status,
        stdout=out.getvalue(),
        folder=folder,
        hidden=hidden,
        expected=expected,
        rows={r["file"]: r for r in rows},
        header=next(csv.reader(open(folder / "gradebook.csv", encoding="utf-8"))),
        report=json.loads((tmp / "report.json").read_text()),
        seconds=seconds,
    )


def test_the_gradebook_has_one_row_per_student_and_one_column_per_exercise(graded):
    print(f"graded 20 submissions in {graded['seconds']:.1f} s")
    assert graded["status"] == 1  # two files could not be graded; their rows say why
    assert graded["header"] == [
        "student", "file", "assignment", "timestamp", "late", "double", "triple", "quad",
        "total", "max", "graded", "comment", "grader_version",
    ]  # fmt: skip
    rows, expected = graded["rows"], graded["expected"]
    assert set(rows) == set(expected) and len(rows) == 20
    for name, (student, total) in expected.items():
        row = rows[name]
        assert row["student"] == student, name
        assert row["max"] == "4" and row["assignment"] == "99_tiny", name
        if total is None:  # not graded: 0 in every column, the reason in the comment
            assert row["graded"] == "no" and row["total"] == "0", name
            assert [row[c] for c in ("double", "triple", "quad")] == ["0", "0", "0"]
            assert row["comment"].startswith(f"not graded: {name}: "), row["comment"]
        else:
            assert row["graded"] == "yes" and float(row["total"]) == total, (name, row)
            points = sum(float(row[c]) for c in ("double", "triple", "quad"))
            assert points == pytest.approx(total)
    assert "not a notebook" in rows["not_json.ipynb"]["comment"]
    assert "another assignment" in rows["other.ipynb"]["comment"]
    versions = {r["grader_version"] for r in rows.values()}
    digest = gradebook.grader_version("99_tiny", graded["hidden"])
    assert versions == {digest} and re.fullmatch(r"cvutils \S+; hidden tests [0-9a-f]{12}", digest)
    assert "/" not in "".join(r["comment"] for r in rows.values())  # no machine paths


def test_late_flag_and_timestamps_come_from_the_file_times(graded):
    rows = graded["rows"]
    late = {name for name, r in rows.items() if r["late"] == "yes"}
    assert late == {"full_5.ipynb", "half_0.ipynb", "half_1.ipynb"}
    assert all(r["late"] in ("yes", "no") for r in rows.values())
    assert rows["full_5.ipynb"]["timestamp"] == "2026-03-02T09:00:00+00:00"
    assert rows["full_0.ipynb"]["timestamp"] == "2026-03-01T11:00:00+00:00"


def test_a_feedback_file_per_student_with_every_message_in_full(graded):
    folder = graded["folder"] / "feedback"
    files = sorted(p.name for p in folder.iterdir())
    students = sorted(f"{sid}.html" for sid, _ in graded["expected"].values())
    assert files == students
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
        assert not re.search(r"<script|<link|\bsrc=|\bhref=|https?://", text), path.name
        assert all(name in text for name in ("double", "triple", "quad")), path.name
    multi = (folder / "multiline.html").read_text()
    assert "first line\nsecond line\n\nthird line" in multi  # in full, in a <pre>
    assert "late" in (folder / "full_5.html").read_text()
    assert "Not graded: not_json.ipynb: not a notebook" in (folder / "not_json.html").read_text()


def test_messages_are_one_line_in_tables_and_never_end_empty(graded):
    quad = next(r for r in graded["report"]["submissions"] if r["student"] == "multiline")[
        "exercises"
    ][2]
    assert quad["message"].count("\n") >= 2  # the report keeps it whole
    table = [line for line in graded["stdout"].splitlines() if line.startswith("   3  quad")]
    assert len(table) == 18  # one line per graded submission, none broken
    assert any("first line | second line | third line" in line for line in table)
    double = [line for line in graded["stdout"].splitlines() if line.startswith("   1  double")]
    assert any(line.endswith("NotImplementedError: not implemented yet") for line in double)
    assert gradebook.one_line("ValueError: a\nb") == "ValueError: a | b"
    assert gradebook.one_line("public check failed: NotImplementedError: ").endswith(
        "NotImplementedError: not implemented yet"
    )
    assert gradebook.one_line("public check failed: KeyError:") == (
        "public check failed: KeyError: (no message)"
    )
    traceback = "Traceback (most recent call last):\n  File 'x', line 2\nZeroDivisionError: x"
    assert gradebook.one_line(f"cell 3: {traceback}") == "cell 3: | ZeroDivisionError: x"
    assert len(gradebook.one_line("x" * 1000)) == gradebook.ONE_LINE_LIMIT


def test_the_json_report_names_student_timestamp_and_grader_version(graded):
    report = graded["report"]
    assert len(report["submissions"]) == 18 and len(report["not_graded"]) == 2
    by_student = {r["student"]: r for r in report["submissions"]}
    first = by_student["s0000"]
    assert first["notebook"].endswith("full_0.ipynb") and first["total"] == 4
    assert first["timestamp"] == "2026-03-01T11:00:00+00:00" and first["late"] is False
    assert first["grader_version"].startswith("cvutils ") and first["due"] == DUE
    assert {r["student"] for r in report["not_graded"]} == {"not_json", "other"}


def test_a_bad_due_date_is_refused_before_anything_is_graded(tmp_path, capsys):
    assert grading.main(["grade", str(tmp_path), "--due", "next friday"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: due must be an ISO 8601 date") and "Traceback" not in err
    assert gradebook.parse_due("2026-12-07").time() == dt.time(23, 59, 59)


def test_submission_info_reads_the_student_id_from_the_metadata(tmp_path):
    path = tmp_path / "alice.ipynb"
    nbformat.write(_notebook(SOLUTIONS, student="  a.smith\n"), path)
    assert grading.submission_info(path)["student"] == "a.smith"
    nbformat.write(_notebook(SOLUTIONS), path)
    info = grading.submission_info(path)
    assert info["student"] == "alice" and info["timestamp"].endswith("+00:00")


# --- nbgrader: the student versions keep its locked cells and checksums


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem[:2] for p in WITH_EXERCISES])
def test_student_versions_keep_nbgraders_locked_cells_and_checksums(path):
    src = grading.read_notebook(path)
    student, exercises = grading.student_notebook(src, path)
    assert len(student.cells) == len(src.cells)
    for ex in exercises:
        a, b = src.cells[ex.check_cell], student.cells[ex.check_cell]
        assert a.source == b.source, f"check cell {ex.check_cell} changed"
        meta = b.metadata["nbgrader"]
        assert meta["locked"] and meta["checksum"] == grading.nbgrader_checksum(b)
        assert b.metadata["editable"] is b.metadata["deletable"] is False
        assert student.cells[ex.cell].metadata["nbgrader"]["checksum"]
    try:
        from nbgrader.utils import compute_checksum
    except ImportError:
        return
    for cell in student.cells:
        if "nbgrader" in cell.metadata:
            assert cell.metadata["nbgrader"]["checksum"] == compute_checksum(cell)


def _run_nbgrader(course, *args):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_nbgrader_generates_validates_and_autogrades_the_student_version(tmp_path):
    """nbgrader 0.9: no checksum warning on a `make student` file; blank 0, solution full."""
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install .[instructor])")
    if shutil.which("alembic", path=f"{Path(sys.executable).parent}{os.pathsep}") is None:
        if shutil.which("alembic") is None:
            pytest.skip("nbgrader's alembic command is not on PATH")
    from nbgrader.api import Gradebook
    from nbgrader.validator import Validator

    start = time.monotonic()
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'cvutils'\n"
    )
    source = course / "source" / "ps1" / "99_tiny.ipynb"
    nbformat.write(_notebook(SOLUTIONS), source)
    grading.annotate(source)
    log = _run_nbgrader(course, "generate_assignment", "ps1")
    for who in ("blank", "solved"):
        dst = course / "submitted" / who / "ps1" / "99_tiny.ipynb"
        dst.parent.mkdir(parents=True)
        if who == "blank":
            grading.student_version(source, dst)
        else:  # the student version with every exercise written
            grading.student_version(source, dst)
            nb = grading.read_notebook(dst)
            for ex in grading.find_exercises(nb, dst):
                cell = nb.cells[ex.cell]
                cell.source = cell.source.replace("raise NotImplementedError()", SOLUTIONS[ex.name])
            nbformat.write(nb, dst)
    result = Validator().validate(str(course / "submitted" / "blank" / "ps1" / "99_tiny.ipynb"))
    assert not result.get("changed"), result  # validate: no locked cell changed
    assert len(result["failed"]) == 3  # each check cell of the blank version fails
    log += _run_nbgrader(course, "autograde", "ps1")
    assert "has changed" not in log, log
    with Gradebook(f"sqlite:///{course}/gradebook.db") as book:
        scores = {who: book.find_submission("ps1", who).score for who in ("blank", "solved")}
    assert scores == {"blank": 0, "solved": 4}
    print(f"nbgrader generate + validate + autograde: {time.monotonic() - start:.1f} s")


def test_keep_going_lets_run_all_finish_a_blank_student_version(tmp_path):
    """In a kernel: the check cells of a blank student version print one line on stderr."""
    from nbclient import NotebookClient

    src = tmp_path / "99_tiny.ipynb"
    nbformat.write(_notebook(SOLUTIONS), src)
    grading.annotate(src)
    nb, exercises = grading.student_notebook(grading.read_notebook(src), src)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=False).execute()
    for ex in exercises:
        [out] = nb.cells[ex.check_cell].outputs
        assert out.name == "stderr" and out.text.startswith(f"{ex.name}: not implemented yet")
    assert "not implemented yet" in nb.cells[-1].outputs[0].text  # the wrapped lesson cell
    assert grading.keep_going("double") is False  # not in a kernel here: nothing installed


def test_keep_going_shows_a_real_error_once_the_exercise_is_written(tmp_path):
    """A written exercise's bug is a traceback, even while another exercise is unsolved."""
    from nbclient import NotebookClient

    src = tmp_path / "99_tiny.ipynb"
    nbformat.write(_notebook(SOLUTIONS), src)
    grading.annotate(src)
    nb, exercises = grading.student_notebook(grading.read_notebook(src), src)
    double = exercises[0]
    check = nb.cells[double.check_cell].source
    nb.cells += [
        _cell("def double(x):\n    return x + 'a'"),  # written, with a bug
        _cell(check),
        _cell("print(triple(np.ones(1)))"),  # still the stub
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    [first] = nb.cells[double.check_cell].outputs
    assert first.name == "stderr" and "not implemented yet" in first.text
    [again] = nb.cells[-2].outputs
    assert again.output_type == "error" and again.ename in ("TypeError", "UFuncTypeError")
    [stub] = nb.cells[-1].outputs
    assert stub.name == "stderr" and stub.text.startswith("triple: not implemented yet")

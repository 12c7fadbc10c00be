"""Command line of the grading loop: annotate, student, grade.

``grade`` prints a table per submission (messages on one line) and, for a folder, one line per
student; it writes the class gradebook (``--gradebook``, default ``FOLDER/gradebook.csv``: one
row per student, `cvutils.grading.gradebook`), a feedback page per student (``--feedback DIR``,
default ``FOLDER/feedback``) and, with ``--due``, the late flag. A single file writes them only
when asked. ``--report`` writes the JSON report (with student, timestamp, grader version).

Exit status of ``grade``: 0 when grading worked, whatever the score; 2 when the submission
could not be graded at all (not a notebook, not JSON, another assignment) or an argument is
unusable (a ``--report`` or ``--gradebook`` path that is a directory, a ``--feedback`` path
that is a file, a ``--due`` that is not ISO 8601, a file that cannot be written): then one
``error:`` line on stderr, never a traceback; for a folder, 1 when some files could not be
graded (the gradebook lists them with the reason).

Taught in notebooks/00_setup_and_tour.ipynb; for instructors: README, "For instructors".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cvutils.checks import check_path
from cvutils.grading import gradebook
from cvutils.grading.autograde import format_report, grade, grade_folder
from cvutils.grading.exercises import (
    NotebookError,
    annotate,
    exercise_notebooks,
    student_version,
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _write_json(obj, dst: str, protect: list[Path]) -> None:
    path = Path(dst)
    if any(path.resolve() == p.resolve() for p in protect):
        raise NotebookError(f"{path}: refusing to overwrite a submission with the report")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")


def _one_line(report: dict) -> dict:
    """A copy of ``report`` whose messages fit one table row."""
    rows = [{**r, "message": gradebook.one_line(r["message"])} for r in report["exercises"]]
    return {**report, "exercises": rows}


def _parser() -> argparse.ArgumentParser:
    """The command line: annotate, student and grade."""
    parser = argparse.ArgumentParser(
        prog="python -m cvutils.grading",
        description="Graded exercises: annotate notebooks, write student versions, grade.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("annotate", help="derive header lines and nbgrader metadata (in place)")
    a.add_argument("notebooks", nargs="+")
    a.add_argument("--check", action="store_true", help="only report what is not annotated")
    s = sub.add_parser("student", help="write student versions (solutions removed)")
    s.add_argument("sources", nargs="+", help="notebooks or folders (those with exercises)")
    s.add_argument("--out", required=True, help="folder to write the student versions to")
    g = sub.add_parser("grade", help="grade a submission or a folder of submissions")
    g.add_argument("path", help="a submitted .ipynb, or a folder of them")
    g.add_argument("--report", help="write the JSON report here")
    g.add_argument(
        "--gradebook",
        help="CSV gradebook, one row per student (default for a folder: FOLDER/gradebook.csv)",
    )
    g.add_argument(
        "--due",
        help="due date, ISO 8601 (2026-12-07T23:59, local time unless an offset is given): "
        "the gradebook's late column",
    )
    g.add_argument(
        "--feedback",
        metavar="DIR",
        help="write one HTML feedback file per student here (default for a folder: "
        "FOLDER/feedback)",
    )
    g.add_argument("--assignment", help="the assignment every submission must be")
    g.add_argument("--hidden", help="a folder of hidden tests (default: the package's)")
    g.add_argument("--cell-timeout", type=float, default=300, help="seconds per cell (300)")
    g.add_argument(
        "--exercise-timeout",
        type=float,
        help="seconds per exercise cell, check cell and hidden tests (default: FACTOR x the "
        "reference's time on the hidden cases + MARGIN)",
    )
    g.add_argument("--timeout-factor", type=float, default=10.0, help="FACTOR of that rule (10)")
    g.add_argument(
        "--timeout-margin", type=float, default=30.0, help="MARGIN of that rule, seconds (30)"
    )
    g.add_argument(
        "--chained",
        action="store_true",
        help="grade each exercise with the learner's own versions of the exercises it calls "
        "(default: those are the references, so a wrong one costs only its own points)",
    )
    g.add_argument(
        "--memory-limit",
        type=float,
        help="GiB of address space per kernel (default: 3/4 of the memory / workers, none "
        "with an NVIDIA GPU; 0: none)",
    )
    g.add_argument(
        "--workers", type=int, default=1, help="submissions of a folder graded at a time (1)"
    )
    g.add_argument("--total-timeout", type=float, default=1800, help="seconds in all (1800)")
    g.add_argument(
        "--until-last-exercise",
        action="store_true",
        help="stop after the last check cell instead of running the whole notebook",
    )
    return parser


def _annotate(args) -> int:
    """``annotate``: derive header lines and nbgrader metadata (or only report, ``--check``)."""
    bad = 0
    for nb in args.notebooks:
        if args.check:
            from cvutils.grading.exercises import is_annotated, read_notebook

            problems = is_annotated(read_notebook(nb), nb)
            bad += bool(problems)
            for p in problems:
                print(f"{nb}: {p}")
        else:
            exercises = annotate(nb)
            print(f"{nb}: {_plural(len(exercises), 'exercise')} annotated")
    return 1 if bad else 0


def _student(args) -> int:
    """``student``: write the student versions of the notebooks with exercises."""
    out = Path(args.out)
    for src in exercise_notebooks(args.sources):
        dst = out / src.name
        n = student_version(src, dst)
        print(f"{dst}: {_plural(n, 'exercise')}")
    return 0


def _grade_options(args) -> tuple[dict, dict]:
    """The keyword arguments of `grade` and of the gradebook, checked before any grading."""
    kwargs = dict(
        assignment=args.assignment,
        hidden_dir=args.hidden,
        cell_timeout=args.cell_timeout,
        exercise_timeout=args.exercise_timeout,
        total_timeout=args.total_timeout,
        run_all=not args.until_last_exercise,
        chained=args.chained,
        timeout_factor=args.timeout_factor,
        timeout_margin=args.timeout_margin,
        memory_limit=None if args.memory_limit is None else args.memory_limit * 2**30,
    )
    # the output paths and the due date are checked before grading (which can take minutes)
    for option, value in (("--report", args.report), ("--gradebook", args.gradebook)):
        if value is not None:
            check_path(option, value, kind="file")
    if args.feedback is not None:
        check_path("--feedback", args.feedback, kind="dir")
    if args.due is not None:
        gradebook.parse_due(args.due)
    extra = dict(due=args.due, hidden_dir=args.hidden, assignment=args.assignment)
    return kwargs, extra


def _grade_folder(args, path: Path, kwargs: dict, extra: dict) -> int:
    """``grade FOLDER``: every submission, a table each, the gradebook and feedback files."""
    reports, failures = grade_folder(path, workers=args.workers, **kwargs)
    protect = sorted(path.glob("*.ipynb"))
    rows = gradebook.class_reports(reports, failures, **extra)
    for rep in rows:
        if rep["graded"]:
            print(format_report(_one_line(rep)))
            for problem in rep.get("integrity", []):
                print(f"  INTEGRITY: {gradebook.one_line(problem)}")
    print(f"\n{path}: one row per student")
    for rep in rows:
        who = f"{rep['student']} ({Path(rep['notebook']).name})"
        late = " LATE" if rep.get("late") else ""
        if rep["graded"]:
            print(f"  {who:48s} {rep['total']:g}/{rep['max_total']:g}{late}")
        else:
            print(f"  {who:48s} NOT GRADED: {gradebook.one_line(rep['reason'])}")
    seen: dict[str, int] = {}
    for rep in rows:
        seen[rep["student"]] = seen.get(rep["student"], 0) + 1
    for student, n in seen.items():
        if n > 1:
            print(f"warning: student {student!r} has {n} submissions (one row each)")
    book = Path(args.gradebook) if args.gradebook else path / "gradebook.csv"
    gradebook.write_gradebook(reports, failures, book, **extra)
    print(f"gradebook: {book}")
    folder = Path(args.feedback) if args.feedback else path / "feedback"
    gradebook.write_feedback(rows, folder)
    print(f"feedback: {folder} ({_plural(len(rows), 'file')})")
    if args.report:
        graded = [r for r in rows if r["graded"]]
        not_graded = [r for r in rows if not r["graded"]]
        _write_json({"submissions": graded, "not_graded": not_graded}, args.report, protect)
    return 1 if failures else 0


def _grade_file(args, path: Path, kwargs: dict, extra: dict) -> int:
    """``grade FILE``: one submission's table (and its gradebook row or feedback on request)."""
    report = grade(path, **kwargs)
    rows = gradebook.class_reports([report], [], **extra)
    print(format_report(_one_line(rows[0])))
    for problem in report.get("integrity", []):
        print(f"  INTEGRITY: {gradebook.one_line(problem)}")
    if args.gradebook:
        gradebook.write_gradebook([report], [], args.gradebook, **extra)
        print(f"gradebook: {args.gradebook}")
    if args.feedback:
        written = gradebook.write_feedback(rows, args.feedback)
        print(f"feedback: {written[0]}")
    if args.report:
        _write_json(rows[0], args.report, [path])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the kernels' TensorFlow start-up logs
    try:
        if args.command == "annotate":
            return _annotate(args)
        if args.command == "student":
            return _student(args)
        kwargs, extra = _grade_options(args)
        path = Path(args.path)
        if path.is_dir():
            return _grade_folder(args, path, kwargs, extra)
        return _grade_file(args, path, kwargs, extra)
    except (NotebookError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a file that cannot be read or written: the user's to fix
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2

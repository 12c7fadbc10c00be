"""What an instructor hands on: a gradebook an LMS imports, a feedback file per student.

`grade` returns one report per submission; this module turns reports into

* a **gradebook** (`write_gradebook`): a CSV with one row per student, one column per
  exercise, the total and the maximum, the submission's timestamp, a late flag against a
  due date, the grader's version, and for a file that could not be graded 0 points with the
  reason. A spreadsheet or an LMS (Canvas, Moodle, Blackboard: "import grades from CSV")
  reads it; map the ``student`` column to the LMS's login or id column.
* a **feedback file** per student (`write_feedback`): one self-contained HTML page (no
  scripts, no external files) with each exercise's score and full message, the cells that
  failed and the grader's version, to send back to the learner.

The student's id is the notebook's metadata ``metadata["cvutils"]["student"]`` when it is
a non-empty string (an instructor or an LMS export can set it; nbgrader keeps no student id
in a notebook: its id is the ``submitted/<student>/`` folder, which is the file name here
once collected), else the file name without ``.ipynb``. The timestamp is the file's
modification time (UTC): a learner can edit a notebook's metadata, so the late flag never
trusts it; collect files with their times kept (``cp -p``, ``unzip``, ``rsync -t``).

Messages: the report keeps each message in full (tracebacks included); tables and the
gradebook show `one_line`, never an empty tail (``"NotImplementedError: "`` reads
``"NotImplementedError: (no message)"``).

For instructors: README, "For instructors".
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from cvutils.checks import check_path, check_str, describe, fail

STUDENT_KEY = "student"  # metadata["cvutils"]["student"]: the student's id
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_EMPTY_TAIL = re.compile(r"^(.*?\b(?:\w*Error|\w*Exception|\w*Exit|\w*Failed|Interrupt)):?\s*$")
ONE_LINE_LIMIT = 200


def full_message(message: Any) -> str:
    """``message`` as text without colour codes or trailing blanks, never ending empty.

    An exception without a message (``"NotImplementedError: "``) gets one: for
    NotImplementedError "not implemented yet", for others "(no message)".

    Examples:
        >>> full_message("public check failed: NotImplementedError: ")
        'public check failed: NotImplementedError: not implemented yet'
        >>> full_message("")
        '(no message)'
    """
    text = _ANSI.sub("", "" if message is None else str(message)).rstrip()
    if not text.strip():
        return "(no message)"
    last = text.splitlines()[-1]
    match = _EMPTY_TAIL.match(last)
    if match:
        what = "not implemented yet" if match.group(1).endswith("NotImplementedError") else ""
        fixed = f"{match.group(1)}: {what or '(no message)'}"
        text = "\n".join([*text.splitlines()[:-1], fixed])
    return text


def one_line(message: Any, limit: int = ONE_LINE_LIMIT) -> str:
    """``message`` on one line for a table: a traceback becomes its last line.

    Lines are joined with " | "; a traceback (``Traceback (most recent call last):``) is
    replaced by its final line (the exception); the result is cut to ``limit`` characters
    with "..." (the feedback file keeps the message in full).

    Examples:
        >>> one_line("public check failed: CheckFailed: conv_forward\\n  max abs diff 0.5")
        'public check failed: CheckFailed: conv_forward | max abs diff 0.5'
        >>> one_line("Traceback (most recent call last):\\n  File 'x', line 1\\nKeyError: 'a'")
        "KeyError: 'a'"
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 20:
        fail("limit", "an integer >= 20", describe(limit), kind=not isinstance(limit, int))
    text = full_message(message)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    start = text.find("Traceback (most recent call last)")
    if start >= 0:  # what comes before it, then the exception (the traceback's last line)
        before = [line.strip() for line in text[:start].splitlines() if line.strip()]
        lines = [*before, lines[-1]]
    text = " | ".join(lines)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def parse_due(due: Any) -> dt.datetime:
    """An ISO 8601 date or datetime as an aware datetime (naive: the machine's local time).

    A date alone (``2026-12-07``) means the end of that day (23:59:59).

    Raises:
        ValueError: naming ``due`` when it is not ISO 8601.

    Examples:
        >>> parse_due("2026-12-07T12:00+01:00").isoformat()
        '2026-12-07T12:00:00+01:00'
    """
    if isinstance(due, dt.datetime):
        when = due
    else:
        check_str("due", due)
        try:
            when = dt.datetime.fromisoformat(due.strip())
        except ValueError:
            fail("due", "an ISO 8601 date or datetime (2026-12-07T23:59)", repr(due))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", due.strip()):
            when = when.replace(hour=23, minute=59, second=59)
    return when if when.tzinfo is not None else when.astimezone()


def grader_version(assignment: Any, hidden_dir: Any = None) -> str:
    """``"cvutils <version>; hidden tests <sha256 of the assignment's hidden-test file, 12>"``.

    Two gradebooks with the same string were graded by the same package version against
    the same hidden tests; "hidden tests missing" when the file is not found.
    """
    import cvutils
    from cvutils.grading.hidden import HERE

    check_str("assignment", assignment)
    folder = HERE if hidden_dir is None else check_path("hidden_dir", hidden_dir, kind="dir")
    path = folder / f"{assignment}.py"
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        tests = f"hidden tests {digest}"
    except OSError:
        tests = "hidden tests missing"
    return f"cvutils {cvutils.__version__}; {tests}"


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def submission_info(path: Any) -> dict:
    """The student's id and the submission's timestamp of notebook file ``path``.

    Returns:
        ``{"student": id, "timestamp": ISO 8601 UTC}``: the id from the notebook's metadata
        ``metadata["cvutils"]["student"]`` when it is a non-empty string, else the file's
        name without ``.ipynb``; the timestamp from the file's modification time (None when
        the file is gone). A file that is not a notebook still gets both.
    """
    path = check_path("path", path)
    student = path.stem if path.suffix == ".ipynb" else path.name
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        given = (meta.get("cvutils") or {}).get(STUDENT_KEY)
        if isinstance(given, str) and given.strip():
            student = " ".join(given.split())  # one line, no stray blanks
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        pass  # not a notebook: the file name stands
    try:
        timestamp = _utc(path.stat().st_mtime)
    except OSError:
        timestamp = None
    return {"student": student, "timestamp": timestamp}


def late(timestamp: str | None, due: Any) -> bool | None:
    """Whether ISO ``timestamp`` is after ``due``; None without a due date or a timestamp."""
    if due is None or timestamp is None:
        return None
    return dt.datetime.fromisoformat(timestamp) > parse_due(due)


def complete_report(
    report: dict, *, due: Any = None, hidden_dir: Any = None, info: dict | None = None
) -> dict:
    """A copy of `grade`'s ``report`` with ``student``, ``timestamp``, ``grader_version``, ``late``.

    Messages are completed by `full_message` (never an empty tail). ``due`` adds ``due``
    and ``late``; ``info`` overrides `submission_info` of the report's notebook.
    """
    from cvutils.grading.autograde import _check_report

    _check_report("report", report)
    out = json.loads(json.dumps(report, default=str))
    when = parse_due(due) if due is not None else None
    out.update(info or submission_info(report["notebook"]))
    out["grader_version"] = grader_version(report["assignment"], hidden_dir)
    if when is not None:
        out["due"] = when.isoformat(timespec="seconds")
        out["late"] = late(out["timestamp"], when)
    for r in out["exercises"]:
        r["message"] = _short_paths(full_message(r["message"]), report["notebook"])
    return out


def _short_paths(text: str, notebook: Any) -> str:
    """``text`` with the submission's full path written as its file name (no machine paths)."""
    full = str(notebook)
    return text.replace(full, Path(full).name) if full else text


def _failure_report(failure: dict, *, due, hidden_dir, assignment, exercises) -> dict:
    info = submission_info(failure["notebook"])
    rows = [
        {**e, "points": 0.0, "passed": False, "message": "not graded", "seconds": 0.0}
        for e in exercises
    ]
    report = {
        "notebook": failure["notebook"],
        **info,
        "assignment": assignment,
        "total": 0.0,
        "max_total": round(sum(e["max_points"] for e in exercises), 2) if exercises else None,
        "exercises": rows,
        "graded": False,
        "error": failure["error"],
        "reason": _short_paths(full_message(failure["error"]), failure["notebook"]),
        "grader_version": grader_version(assignment, hidden_dir) if assignment else None,
    }
    if due is not None:
        report["due"] = parse_due(due).isoformat(timespec="seconds")
        report["late"] = late(info["timestamp"], due)
    return report


def _exercises_of(assignment: str | None, reports: list[dict], hidden_dir) -> list[dict]:
    """Exercise rows (number, name, max_points) of ``assignment``: from a report, else its tests."""
    for rep in reports:
        if rep["assignment"] == assignment:
            return [
                {"number": r["number"], "name": r["name"], "max_points": r["max_points"]}
                for r in rep["exercises"]
            ]
    if assignment is None:
        return []
    from cvutils.grading import hidden as hidden_tests

    try:
        tests = hidden_tests.load(assignment, hidden_dir)
    except (ValueError, OSError):
        return []
    return [
        {"number": k, "name": name, "max_points": float(t.points)}
        for k, (name, t) in enumerate(tests.items(), start=1)
    ]


def class_reports(
    reports: list[dict],
    failures: list[dict],
    *,
    due: Any = None,
    hidden_dir: Any = None,
    assignment: str | None = None,
) -> list[dict]:
    """One completed report per submission (`complete_report`), failures as 0-point reports.

    A failure (``{"notebook", "error"}``: a file that could not be graded) becomes a report
    with ``graded`` False, every exercise 0 "not graded", and ``reason``; its assignment is
    ``assignment`` or, when every graded report has the same one, that one.
    """
    from cvutils.grading.autograde import _check_list, _check_report

    for i, rep in enumerate(_check_list("reports", reports)):
        _check_report(f"reports[{i}]", rep)
    for i, f in enumerate(_check_list("failures", failures)):
        if not isinstance(f, dict) or "notebook" not in f or "error" not in f:
            fail(f"failures[{i}]", "a dict with keys notebook, error", describe(f))
    if assignment is not None:
        check_str("assignment", assignment)
    if due is not None:
        parse_due(due)
    out = [{**complete_report(r, due=due, hidden_dir=hidden_dir), "graded": True} for r in reports]
    kinds = {r["assignment"] for r in reports}
    common = assignment or (kinds.pop() if len(kinds) == 1 else None)
    exercises = _exercises_of(common, reports, hidden_dir)
    for f in failures:
        out.append(
            _failure_report(
                f, due=due, hidden_dir=hidden_dir, assignment=common, exercises=exercises
            )
        )
    return sorted(out, key=lambda r: (r["student"].casefold(), str(r["notebook"])))


def gradebook_table(class_rows: list[dict]) -> tuple[list[str], list[list]]:
    """The gradebook as (header, rows) from `class_reports`: one row per student.

    Columns: ``student, file, assignment, timestamp, late, <one per exercise>, total, max,
    graded, comment, grader_version``; the exercise columns are the exercise ids in
    assignment order (the union over assignments when a folder mixes them; empty where an
    exercise is not part of a row's assignment). ``late`` is ``yes``/``no``, empty without a
    due date. ``comment`` is the reason a file was not graded, else the failing cells.
    """
    columns: list[str] = []
    for rep in class_rows:
        for r in sorted(rep["exercises"], key=lambda r: r["number"]):
            if r["name"] not in columns:
                columns.append(r["name"])
    header = ["student", "file", "assignment", "timestamp", "late", *columns]
    header += ["total", "max", "graded", "comment", "grader_version"]
    rows = []
    for rep in class_rows:
        points = {r["name"]: _num(r["points"]) for r in rep["exercises"]}
        flag = rep.get("late")
        comment = f"not graded: {rep['reason']}" if not rep["graded"] else ""
        if not comment and rep.get("errors"):
            cells = ", ".join(str(e.get("cell")) for e in rep["errors"])
            noun = "an error in cell" if len(rep["errors"]) == 1 else "errors in cells"
            comment = f"{noun} {cells} (see the feedback file)"
        rows.append(
            [
                rep["student"],
                Path(str(rep["notebook"])).name,
                rep["assignment"] or "",
                rep["timestamp"] or "",
                "" if flag is None else ("yes" if flag else "no"),
                *[points.get(c, "") for c in columns],
                _num(rep["total"]),
                "" if rep["max_total"] is None else _num(rep["max_total"]),
                "yes" if rep["graded"] else "no",
                one_line(comment) if comment else "",
                rep.get("grader_version") or "",
            ]
        )
    return header, rows


def _num(x) -> Any:
    return f"{float(x):g}" if isinstance(x, int | float) and not isinstance(x, bool) else x


def write_gradebook(
    reports: list[dict],
    failures: list[dict],
    dst: Any,
    *,
    due: Any = None,
    hidden_dir: Any = None,
    assignment: str | None = None,
) -> Path:
    """Writes the class gradebook CSV: one row per student (see `gradebook_table`).

    Args:
        reports: reports of `grade` (or `grade_folder`'s first list).
        failures: ``{"notebook", "error"}`` of files that could not be graded (0 points,
            the reason in ``comment``).
        dst: the CSV file, written atomically (UTF-8, a header row).
        due: a due date (ISO 8601 string or datetime): fills the ``late`` column.
        hidden_dir: the hidden tests used (for the grader's version).
        assignment: the assignment of the failures when the reports do not tell.

    Returns:
        ``dst`` as a Path.
    """
    class_rows = class_reports(
        reports, failures, due=due, hidden_dir=hidden_dir, assignment=assignment
    )
    dst = check_path("dst", dst, kind="file")
    header, rows = gradebook_table(class_rows)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, suffix=".csv.part")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dst


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.4em; } table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .35em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.pts { white-space: nowrap; text-align: right; }
tr.full td.pts { background: #e6f4e6; } tr.part td.pts { background: #fff4d6; }
tr.zero td.pts { background: #fbe3e3; }
pre { white-space: pre-wrap; margin: 0; font-size: .92em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { font-weight: 600; } .late { color: #b00; font-weight: 600; }
"""


def feedback_html(report: dict) -> str:
    """The feedback page of one report of `class_reports` (or `complete_report`), as HTML."""
    e = html.escape
    flag = report.get("late")
    facts = [
        ("Student", e(str(report["student"]))),
        ("File", e(Path(str(report["notebook"])).name)),
        ("Assignment", e(str(report["assignment"] or "unknown"))),
        ("Submitted", e(str(report.get("timestamp") or "unknown"))),
    ]
    if report.get("due"):
        status = '<span class="late">late</span>' if flag else "on time"
        facts.append(("Due", f"{e(report['due'])}: {status}"))
    total = report["total"]
    maximum = report.get("max_total")
    score = f"{_num(total)} / {_num(maximum)}" if maximum is not None else f"{_num(total)}"
    facts.append(("Score", e(score)))
    facts.append(("Graded by", e(str(report.get("grader_version") or "unknown"))))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Feedback: {e(str(report['student']))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Feedback on {e(str(report['assignment'] or 'your submission'))}</h1>",
        "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>",
    ]
    if not report.get("graded", True):
        reason = full_message(report.get("reason"))
        parts.append(f"<p><strong>Not graded: {e(reason)}</strong></p>")
    parts.append("<table><tr><th>#</th><th>Exercise</th><th>Points</th><th>Message</th></tr>")
    for r in sorted(report["exercises"], key=lambda r: r["number"]):
        pts, mx = float(r["points"]), float(r["max_points"])
        kind = "full" if pts >= mx else ("part" if pts > 0 else "zero")
        detail = r.get("traceback") or r.get("detail")
        message = full_message(r["message"])
        if detail:
            message = f"{message}\n\n{full_message(detail)}"
        parts.append(
            f'<tr class="{kind}"><td>{e(str(r["number"]))}</td><td>{e(str(r["name"]))}</td>'
            f'<td class="pts">{_num(pts)} / {_num(mx)}</td><td><pre>{e(message)}</pre></td></tr>'
        )
    parts.append("</table>")
    if report.get("errors"):
        parts.append("<h2>Cells that failed</h2><table><tr><th>Cell</th><th>Error</th></tr>")
        for err in report["errors"]:
            parts.append(
                f"<tr><td>{e(str(err.get('cell')))}</td>"
                f"<td><pre>{e(full_message(err.get('error')))}</pre></td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<p>Points per exercise come from hidden tests (inputs the public checks do not use); "
        "cell numbers count every cell from 0.</p></body></html>"
    )
    return "\n".join(parts) + "\n"


def _safe_name(text: str) -> str:
    name = re.sub(r"[^\w.@+-]+", "_", text, flags=re.ASCII).strip("._") or "student"
    return name[:100]


def write_feedback(class_rows: list[dict], folder: Any) -> list[Path]:
    """Writes ``<student>.html`` into ``folder`` for each report of `class_reports`.

    File names are the student ids made safe (letters, digits, ``_.@+-``); two submissions
    of one student id get their file names appended. Returns the paths written.
    """
    if not isinstance(class_rows, list | tuple):
        fail(
            "class_rows", "a list of reports (from class_reports)", describe(class_rows), kind=True
        )
    for i, rep in enumerate(class_rows):
        keys = ("student", "notebook", "assignment", "exercises", "total")
        if not isinstance(rep, dict) or any(k not in rep for k in keys):
            fail(f"class_rows[{i}]", "a report of class_reports", describe(rep))
    folder = check_path("folder", folder, kind="dir")
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for rep in class_rows:
        key = _safe_name(str(rep["student"]))
        counts[key] = counts.get(key, 0) + 1
    written = []
    for rep in class_rows:
        name = _safe_name(str(rep["student"]))
        if counts[name] > 1:
            name = f"{name}__{_safe_name(Path(str(rep['notebook'])).stem)}"
        dst = folder / f"{name}.html"
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".html.part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(feedback_html(rep))
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(dst)
    return written

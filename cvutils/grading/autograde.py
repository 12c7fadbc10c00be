"""The autograder: executes a submission, runs hidden tests per exercise, writes a report.

How a submission is graded (`grade`):

1. It is read and validated (a file that is not a notebook is refused, naming it) and its
   assignment is found: the notebook's ``cvutils.assignment`` metadata, else its file name,
   else the exercise ids it holds. Points come from the hidden tests, never the submission.
2. Its cells run in order in a fresh kernel, in a temporary folder (the submission's folder
   and file are never written), each with a per-cell timeout and all under a total timeout.
3. Right after an exercise's check cell, that exercise is graded in the same kernel: the
   learner's function is taken from the notebook's namespace, its code is searched for the
   package's own implementation of the exercise (delegation), and it is called on the hidden
   cases; what it returns is compared in the grader's process with the reference, so a
   learner's patched ``check`` or ``np.testing`` cannot fake a pass.
4. An infinite loop is interrupted at the cell timeout (the kernel is restarted if it does not
   stop); a dead kernel (``os._exit``, ``exit()``, a segfault) is restarted and the cells run
   so far are replayed without the one that killed it. Either costs only the exercise whose
   cell it was; only the total timeout can cost the exercises not graded yet.

Score of an exercise: 0 if its public check cell failed (error, timeout, dead kernel), if its
function is missing, or if it delegates; else ``points * passed / cases`` over the hidden
cases.

Limits of delegation detection: the function's bytecode is searched for the reference
reached through a global name, a module attribute (``conv.conv_forward``,
``cvutils.conv.conv_forward``) or an alias, also through the notebook's own helper functions,
default arguments and closures; and while the hidden cases run, any call into the
reference's code is recorded (which catches ``getattr``/``importlib`` tricks). Code that
copies the reference's source text, or that attacks the grader inside its own kernel, is
beyond what a grader running in the learner's kernel can see.

Graded notebooks: every notebook with exercises (how exercises work:
notebooks/00_setup_and_tour.ipynb).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import pickle
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cvutils.checks import check_bool, check_path, check_real, check_str, describe, fail
from cvutils.grading import hidden as hidden_tests
from cvutils.grading.exercises import NotebookError, find_exercises, read_notebook
from cvutils.grading.public import compare

HARNESS = (Path(__file__).resolve().parent / "_harness.py").read_text(encoding="utf-8")


@dataclass
class ExerciseResult:
    """One row of a report: the score of one exercise."""

    id: str
    name: str
    number: int
    points: float
    max_points: float
    passed: bool
    message: str
    seconds: float


class _Session:
    """One kernel running one notebook, restarted (and replayed) when it dies or hangs."""

    def __init__(self, nb, cwd: str, kernel_name: str):
        from nbformat.v4 import new_code_cell

        # nbclient writes each executed cell back into nb.cells[index]: run a private copy,
        # with one scratch cell at the end for the grader's own code.
        self.nb = copy.deepcopy(nb)
        self.nb.cells.append(new_code_cell(""))
        self.scratch = len(self.nb.cells) - 1
        self.cwd, self.kernel_name = cwd, kernel_name
        self.client = None
        self.history: list[int] = []  # cells that ran without killing or hanging the kernel
        self.restarts = 0
        self._reply = None

    def start(self) -> None:
        from nbclient import NotebookClient

        self.client = NotebookClient(
            self.nb,
            timeout=60,
            allow_errors=True,
            kernel_name=self.kernel_name,
            resources={"metadata": {"path": self.cwd}},
            iopub_timeout=5,
        )
        self.client.on_cell_executed = self._on_executed
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel(stderr=subprocess.DEVNULL)
        self.client.start_new_kernel_client()

    def _on_executed(self, cell, cell_index, execute_reply):
        self._reply = execute_reply

    def stop(self) -> None:
        if self.client is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:  # a dead kernel may refuse a clean shutdown
                pass
            self.client = None

    def run_source(self, source: str, timeout: float) -> tuple[str, str]:
        """Executes the grader's own ``source`` (not stored in the kernel's history)."""
        from nbformat.v4 import new_code_cell

        self.nb.cells[self.scratch] = new_code_cell(source)
        return self.run(self.scratch, timeout, store_history=False)

    def run(self, index: int, timeout: float, store_history: bool = True) -> tuple[str, str]:
        """Executes cell ``index``; returns ``(status, detail)``, status ok/error/timeout/dead."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        self.client.timeout = max(1, int(timeout))
        self._reply = None
        try:
            self.client.execute_cell(self.nb.cells[index], index, store_history=store_history)
        except CellTimeoutError:
            self._recover_from_timeout()
            return "timeout", f"timed out after {int(timeout)} s"
        except DeadKernelError:
            return "dead", "the kernel died"
        content = (self._reply or {}).get("content", {})
        if content.get("status") == "error":
            return "error", f"{content.get('ename')}: {content.get('evalue')}"[:500]
        if not self.alive():
            return "dead", "the kernel exited"
        return "ok", ""

    def alive(self) -> bool:
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from nbformat.v4 import new_code_cell

        self.client.timeout = 10
        self.nb.cells[self.scratch] = new_code_cell("pass")
        try:
            self.client.execute_cell(self.nb.cells[self.scratch], self.scratch, store_history=False)
        except (CellTimeoutError, DeadKernelError):
            return False
        return True

    def _recover_from_timeout(self) -> None:
        from nbclient.util import run_sync

        run_sync(self.client.km.interrupt_kernel)()
        # nbclient leaves the timed-out cell's output reader running on the old channels,
        # where it would swallow the next cells' outputs: talk to the kernel on new ones.
        try:
            self.client.kc.stop_channels()
            self.client.start_new_kernel_client()
        except Exception:  # the kernel no longer answers: start afresh
            self.restart()
            return
        if not self.alive():
            self.restart()

    def restart(self) -> None:
        """A fresh kernel, with the cells of ``history`` replayed (outputs discarded)."""
        self.stop()
        self.restarts += 1
        self.start()
        for i in list(self.history):
            status, _ = self.run(i, 120)
            if status in ("timeout", "dead"):
                raise RuntimeError(f"replaying cell {i} after a restart failed ({status})")


def _assignment(nb, path: Path, exercises, given: str | None, hidden_dir) -> str:
    known = hidden_tests.assignments(hidden_dir)
    meta = (nb.metadata.get("cvutils") or {}).get("assignment")
    names = {ex.name for ex in exercises}
    if given is not None:
        if given not in known:
            raise NotebookError(f"{path}: no hidden tests for assignment {given!r} (have {known})")
        if (meta and meta != given) or not names & set(hidden_tests.load(given, hidden_dir)):
            raise NotebookError(
                f"{path}: a notebook of another assignment "
                f"({meta or 'exercises ' + str(sorted(names))}), not {given!r}"
            )
        return given
    if meta in known:
        return meta
    if path.stem in known:
        return path.stem
    overlap = {a: len(names & set(hidden_tests.load(a, hidden_dir))) for a in known}
    best = max(overlap, key=overlap.get, default=None)
    if best is None or overlap[best] == 0:
        raise NotebookError(
            f"{path}: none of its exercises {sorted(names)} belongs to a known assignment {known}"
        )
    return best


def _decode(node: dict, arrays) -> Any:
    kind = node.get("t")
    if kind == "none":
        return None
    if kind == "num":
        return node["v"]
    if kind == "seq":
        return tuple(_decode(v, arrays) for v in node["v"])
    if kind == "array":
        return arrays[node["k"]]
    return node.get("v", "?")


def _request(test, tmp: Path) -> tuple[list, list, Path, Path]:
    """Writes the pickled request of ``test``; returns (cases, references, request, out)."""
    cases = list(test.cases())
    references = [test.reference(*copy.deepcopy(a), **copy.deepcopy(k)) for _, a, k in cases]
    out = tmp / f"{test.name}-result"
    request = tmp / f"{test.name}-request.pkl"
    with open(request, "wb") as fh:
        pickle.dump(
            {
                "name": test.name,
                "cases": cases,
                "forbidden": list(test.forbidden),
                "out": str(out),
                "kind": test.kind,
            },
            fh,
        )
    return cases, references, request, out


def _score(
    test, cases, references, out: Path, detail: str = "", prefix: str = "public check and "
) -> tuple[float, str]:
    """Reads what the harness wrote to ``out`` and compares it with the references."""
    try:
        result = json.loads(Path(f"{out}.json").read_text())
        with np.load(f"{out}.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as err:
        return 0.0, f"hidden tests could not run ({detail or err})"
    try:
        return _score_result(test, cases, references, result, arrays, prefix)
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as err:
        # the result file is written inside the submission's kernel: a malformed one (a
        # tampered harness, a missing key) scores 0 with a message, never a crash
        return 0.0, f"hidden tests: malformed result from the kernel ({type(err).__name__}: {err})"


def _score_result(test, cases, references, result, arrays, prefix: str) -> tuple[float, str]:
    if not isinstance(result, dict) or not isinstance(result.get("cases", []), list):
        raise TypeError("the result is not a dict with a list of cases")
    if result.get("error"):
        return 0.0, str(result["error"])
    if result.get("delegation"):
        return 0.0, (
            f"delegation: {test.name} calls the package's own {result['delegation']}; "
            f"the exercise is to write it yourself"
        )
    passed, first = 0, None
    for (label, _, _), case, ref in zip(cases, result["cases"], references, strict=False):
        if case["status"] == "not implemented":
            msg = "not implemented yet"
        elif case["status"] != "ok":
            msg = f"{label}: {case.get('error')}"
        else:
            got = _decode(case["value"], arrays)
            if test.select is not None:
                ref = ref[test.select]
                got = got[test.select] if isinstance(got, tuple) and len(got) > test.select else got
            msg = compare(label, got, ref, atol=test.atol, rtol=test.rtol)
        if msg is None:
            passed += 1
        elif first is None:
            first = msg
    n = len(cases)
    if passed == n:
        return 1.0, f"{prefix}{n}/{n} hidden tests passed"
    return passed / n, f"{passed}/{n} hidden tests passed; {first}"


def _hidden(session: _Session, test, tmp: Path, timeout: float) -> tuple[float, str]:
    """Runs ``test`` in the session's kernel; returns (fraction passed, message)."""
    cases, references, request, out = _request(test, tmp)
    source = (
        f"exec(compile({HARNESS!r}, '<cvutils-grader>', 'exec'), __cvutils_grader := {{}})\n"
        f"__cvutils_grader['cvutils_hidden_run']({str(request)!r}, globals())\n"
        f"del __cvutils_grader"
    )
    status, detail = session.run_source(source, timeout)
    if status == "dead":
        session.restart()
        return 0.0, f"hidden tests: the kernel died while running {test.name} ({detail})"
    if status == "timeout":
        return 0.0, f"hidden tests: {test.name} {detail}"
    return _score(test, cases, references, out, detail)


def exercise_namespace(path: Any, *, student: bool = False) -> dict:
    """The exercises of notebook ``path`` defined in a fresh namespace, without running the lesson.

    Runs the import statements of the setup cell (the first code cell; not ``runtime.setup``,
    not the lesson's data or training cells), then each exercise cell, in order: its solution,
    or with ``student=True`` the stub of its student version. A cheap way to run the hidden
    tests against a notebook's exercises (`grade_namespace`) without executing the notebook.

    Args:
        path: a notebook with exercises.
        student: define the student version's stubs instead of the solutions.

    Returns:
        The namespace (a dict) holding the exercises' functions.

    Raises:
        NotebookError: see `find_exercises`. An exercise cell that needs a name the lesson
            defines (not an import of the setup cell) raises when it runs, naming it.

    Taught in notebooks/00_setup_and_tour.ipynb (for instructors: README, "For instructors").
    """
    import ast

    from cvutils.grading.exercises import python_source, student_notebook

    path = check_path("path", path)
    check_bool("student", student)
    nb = read_notebook(path)
    if student:
        nb, exercises = student_notebook(nb, path)
    else:
        exercises = find_exercises(nb, path)
    namespace: dict = {"__name__": f"cvutils_exercises_{Path(path).stem}"}
    setup = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
    if setup is not None and setup not in {ex.cell for ex in exercises}:
        tree = ast.parse(python_source(nb.cells[setup].source))
        imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        code = compile(ast.Module(body=imports, type_ignores=[]), f"<{path.name} setup>", "exec")
        exec(code, namespace)
    for ex in exercises:
        source = python_source(nb.cells[ex.cell].source)
        exec(compile(source, f"<{path.name} cell {ex.cell}>", "exec"), namespace)
    return namespace


def grade_namespace(namespace: dict, assignment: str, *, hidden_dir: Any = None) -> dict:
    """Runs the hidden tests of ``assignment`` on the functions of ``namespace``, in this process.

    The same cases, delegation detection and comparison as `grade`, without a kernel, a
    public check or a timeout: for trusted code (an instructor's solutions, the CI proof that
    hidden tests and solutions agree), never for a submission.

    Args:
        namespace: a dict of the exercises' functions, e.g. from `exercise_namespace`.
        assignment: the notebook stem whose hidden tests run.
        hidden_dir: a folder of hidden tests (default: those shipped with the package).

    Returns:
        ``{"assignment", "total", "max_total", "exercises": [...]}`` as in `grade`.

    Taught in notebooks/00_setup_and_tour.ipynb (for instructors: README, "For instructors").
    """
    from cvutils.grading._harness import cvutils_hidden_run

    if not isinstance(namespace, dict):
        fail("namespace", "a dict of functions", describe(namespace), kind=True)
    check_str("assignment", assignment)
    if hidden_dir is not None:
        hidden_dir = check_path("hidden_dir", hidden_dir, must_exist=True, kind="dir")
    tests = hidden_tests.load(assignment, hidden_dir)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cvutils-grade-") as tmp:
        for number, (name, test) in enumerate(tests.items(), start=1):
            t0 = time.monotonic()
            cases, references, request, out = _request(test, Path(tmp))
            cvutils_hidden_run(str(request), namespace)
            frac, message = _score(test, cases, references, out, prefix="")
            points = round(float(test.points) * frac, 2)
            seconds = round(time.monotonic() - t0, 2)
            row = ExerciseResult(
                name, name, number, points, float(test.points), frac == 1.0, message, seconds
            )
            rows.append(asdict(row))
    return {
        "assignment": assignment,
        "total": round(sum(r["points"] for r in rows), 2),
        "max_total": round(sum(r["max_points"] for r in rows), 2),
        "exercises": rows,
    }


def grade(
    path: Any,
    *,
    assignment: str | None = None,
    hidden_dir: Any = None,
    cell_timeout: float = 300,
    exercise_timeout: float | None = None,
    total_timeout: float = 1800,
    run_all: bool = True,
    kernel_name: str = "python3",
) -> dict:
    """Grades one submission and returns its report (see the module docstring for how).

    Args:
        path: the submitted ``.ipynb``.
        assignment: the assignment it must be (default: from its metadata or name).
        hidden_dir: a folder of hidden tests (default: those shipped in `cvutils.grading.hidden`).
        cell_timeout: seconds one cell of the lesson may run (imports, training).
        exercise_timeout: seconds an exercise cell, its check cell or its hidden tests may run
            (default: ``cell_timeout``); an infinite loop there costs this much.
        total_timeout: seconds the whole submission may run.
        run_all: also run the cells after the last exercise (they do not change the score but
            their errors are reported); False stops after the last check cell.
        kernel_name: the Jupyter kernel to run it in.

    Returns:
        ``{"notebook", "assignment", "total", "max_total", "exercises": [{"id", "name",
        "number", "points", "max_points", "passed", "message", "seconds"}], "errors":
        [{"cell", "error"}], "kernel_restarts", "seconds"}``.

    Raises:
        NotebookError: the file is not a notebook (not JSON, not nbformat 4), has malformed
            exercises, or belongs to another assignment; nothing is graded then.
    """
    path = check_path("path", path)
    if assignment is not None:
        check_str("assignment", assignment)
    cell_timeout = check_real("cell_timeout", cell_timeout, low=0, low_open=True)
    if exercise_timeout is None:
        exercise_timeout = cell_timeout
    exercise_timeout = check_real("exercise_timeout", exercise_timeout, low=0, low_open=True)
    total_timeout = check_real("total_timeout", total_timeout, low=0, low_open=True)
    check_bool("run_all", run_all)
    check_str("kernel_name", kernel_name)
    if hidden_dir is not None:
        hidden_dir = check_path("hidden_dir", hidden_dir, must_exist=True, kind="dir")
    start = time.monotonic()
    nb = read_notebook(path)
    exercises = find_exercises(nb, path)
    assignment = _assignment(nb, path, exercises, assignment, hidden_dir)
    tests = hidden_tests.load(assignment, hidden_dir)
    by_name = {ex.name: ex for ex in exercises}
    results: dict[str, ExerciseResult] = {}
    for number, (name, test) in enumerate(tests.items(), start=1):
        ex = by_name.get(name)
        results[name] = ExerciseResult(
            name,
            name,
            ex.number if ex else number,
            0.0,
            float(test.points),
            False,
            "not graded" if ex else f"missing: no exercise cell for {name!r} in {path}",
            0.0,
        )
    extra = sorted(set(by_name) - set(tests))
    check_cells = {ex.check_cell: ex for ex in exercises if ex.name in tests}
    exercise_cells = set(check_cells) | {ex.cell for ex in exercises}
    last = max([ex.check_cell for ex in check_cells.values()], default=-1)
    end = len(nb.cells) if run_all else last + 1
    deadline = start + total_timeout
    errors: list[dict] = []
    cell_status: dict[int, tuple[str, str]] = {}
    session = _Session(nb, "", kernel_name)
    restarts = 0
    with tempfile.TemporaryDirectory(prefix="cvutils-grade-") as tmp:
        session.cwd = tmp
        try:
            session.start()
            for i in range(end):
                cell = nb.cells[i]
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                left = deadline - time.monotonic()
                if left <= 1:
                    errors.append({"cell": i, "error": f"total time limit {total_timeout:g} s"})
                    break
                t0 = time.monotonic()
                limit = exercise_timeout if i in exercise_cells else cell_timeout
                status, detail = session.run(i, min(limit, left))
                cell_status[i] = (status, detail)
                if status != "ok":
                    errors.append({"cell": i, "error": detail})
                if status == "dead":
                    session.restart()
                elif status != "timeout":
                    session.history.append(i)
                if i in check_cells:
                    ex = check_cells[i]
                    r = results[ex.name]
                    sol_status = cell_status.get(ex.cell, ("ok", ""))
                    if status != "ok":
                        r.message = f"public check failed: {detail}"
                    elif sol_status[0] in ("timeout", "dead"):
                        r.message = f"exercise cell {ex.cell}: {sol_status[1]}"
                    else:
                        left = deadline - time.monotonic()
                        frac, r.message = _hidden(
                            session, tests[ex.name], Path(tmp), min(exercise_timeout, left)
                        )
                        r.points = round(r.max_points * frac, 2)
                        r.passed = frac == 1.0
                    r.seconds = round(time.monotonic() - t0, 2)
            for r in results.values():
                if r.message == "not graded":
                    r.message = "not graded: the total time limit ran out before it"
        except RuntimeError as err:  # a replay that could not be done
            for r in results.values():
                if r.message == "not graded":
                    r.message = f"not graded: {err}"
        finally:
            restarts = session.restarts
            session.stop()
    for name in extra:
        errors.append(
            {"cell": by_name[name].cell, "error": f"exercise {name!r} has no hidden tests"}
        )
    rows = sorted(results.values(), key=lambda r: r.number)
    return {
        "notebook": str(path),
        "assignment": assignment,
        "total": round(sum(r.points for r in rows), 2),
        "max_total": round(sum(r.max_points for r in rows), 2),
        "exercises": [asdict(r) for r in rows],
        "errors": errors,
        "kernel_restarts": restarts,
        "seconds": round(time.monotonic() - start, 1),
    }


_REPORT_KEYS = ("notebook", "assignment", "exercises", "total", "max_total", "seconds")
_RESULT_KEYS = ("number", "name", "points", "max_points", "seconds", "message")


def _check_report(name: str, report: Any) -> dict:
    """Refuses anything but a report of `grade` (the keys its readers use) by name."""
    expected = f"a report of grade (a dict with keys {', '.join(_REPORT_KEYS)})"
    if not isinstance(report, dict):
        fail(name, expected, describe(report), kind=True)
    if any(k not in report for k in _REPORT_KEYS) or not isinstance(report["exercises"], list):
        fail(name, expected, f"keys {sorted(map(str, report))}")
    for i, r in enumerate(report["exercises"]):
        if not isinstance(r, dict) or any(k not in r for k in _RESULT_KEYS):
            fail(
                f"{name}['exercises'][{i}]",
                f"a dict with keys {', '.join(_RESULT_KEYS)}",
                describe(r),
            )
    return report


def _check_list(name: str, value: Any) -> list:
    if not isinstance(value, list | tuple):
        fail(name, "a list", describe(value), kind=True)
    return list(value)


def format_report(report: dict) -> str:
    """The report as a table: one row per exercise and a total line."""
    _check_report("report", report)
    lines = [f"{report['notebook']} (assignment {report['assignment']})"]
    lines.append(f"  {'#':>2}  {'exercise':26s} {'points':>11s} {'time':>7s}  message")
    for r in report["exercises"]:
        pts = f"{r['points']:g}/{r['max_points']:g}"
        lines.append(
            f"  {r['number']:>2}  {r['name']:26s} {pts:>11s} {r['seconds']:6.1f}s  {r['message']}"
        )
    total = f"{report['total']:g}/{report['max_total']:g}"
    lines.append(f"      {'total':26s} {total:>11s} {report['seconds']:6.1f}s")
    return "\n".join(lines)


def grade_folder(folder: Any, **kwargs) -> tuple[list[dict], list[dict]]:
    """Grades every ``.ipynb`` of ``folder``; returns (reports, failures).

    A failure is ``{"notebook", "error"}`` for a file that could not be graded at all.
    """
    folder = check_path("folder", folder, must_exist=True, kind="dir")
    reports, failures = [], []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            reports.append(grade(path, **kwargs))
        except NotebookError as err:
            failures.append({"notebook": str(path), "error": str(err)})
    return reports, failures


def write_gradebook(reports: list[dict], failures: list[dict], dst: Any) -> Path:
    """Writes the gradebook CSV: one row per (student file, exercise), plus a TOTAL row."""
    for i, rep in enumerate(_check_list("reports", reports)):
        _check_report(f"reports[{i}]", rep)
    for i, f in enumerate(_check_list("failures", failures)):
        if not isinstance(f, dict) or "notebook" not in f or "error" not in f:
            fail(f"failures[{i}]", "a dict with keys notebook, error", describe(f))
    dst = check_path("dst", dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, suffix=".csv.part")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student_file", "exercise", "points", "max_points", "message"])
        for rep in reports:
            name = Path(rep["notebook"]).name
            for r in rep["exercises"]:
                w.writerow([name, r["name"], r["points"], r["max_points"], r["message"]])
            w.writerow([name, "TOTAL", rep["total"], rep["max_total"], ""])
        for f in failures:
            w.writerow([Path(f["notebook"]).name, "TOTAL", "", "", f"not graded: {f['error']}"])
    os.replace(tmp, dst)
    return dst

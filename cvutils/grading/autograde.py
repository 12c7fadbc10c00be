"""The autograder: executes a submission, runs hidden tests per exercise, writes a report.

How a submission is graded (`grade`):

1. Before any submission runs (`prepare`, once per assignment for a folder), the hidden tests
   are read (their text), their references run and timed, the fingerprints of the
   references' code taken, and every file of the package and of the hidden tests kept.
2. The submission is read and validated (a file that is not a notebook is refused, naming
   it) and its assignment found: the notebook's ``cvutils.assignment`` metadata, else its
   file name, else the exercise ids it holds. Points come from the hidden tests.
3. Its cells run in order in a fresh kernel, in a private temporary folder that holds the
   kernel's own copy of the package (written from the grader's snapshot), under limits on
   address space, CPU time and file size (`_harness.cvutils_bootstrap`), each cell with a
   timeout, all under a total timeout.
4. Right after an exercise's check cell, that exercise is graded in the same kernel
   (`_harness.cvutils_hidden_run`): the other exercises are replaced by the references, the
   package's own implementations of the exercise are locked, the learner's function is
   searched for delegation and copies and called on the hidden cases under a call recorder;
   what it returns is compared in the grader's process with the references.
5. A check cell that fails is run once more with the other exercises replaced by the
   references: if it passes then, the failure was upstream (named in the message) and the
   hidden tests decide. A loop is interrupted at the exercise's timeout (10 x the reference's
   time + 30 s by default); a dead kernel is restarted and the cells run so far replayed (a
   check cell that died or hung is replayed with the references, so the state the next
   cells need is there). Either costs only the exercise whose cell it was.
6. After the submission, the grader checks that nothing outside its folder changed (hidden
   tests rewritten are put back) and names what did in the report's ``integrity``.

Score of an exercise: 0 if its function is missing, delegates or is a copy of a reference,
or if its public check failed (error, timeout, dead kernel) with the references in place of
the other exercises too; else ``points * passed / cases`` over the hidden cases. With
``chained=True`` the learner's own versions of the other exercises are used throughout.

What is detected and what is not: README, "For instructors".

Graded notebooks: every notebook with exercises (how exercises work:
notebooks/00_setup_and_tour.ipynb).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import pickle
import signal
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
PACKAGE = Path(__file__).resolve().parent.parent  # the installed cvutils folder
TIMEOUT_FACTOR = 10.0  # default per-exercise timeout: this many times the reference's time ...
TIMEOUT_MARGIN = 30.0  # ... plus this many seconds (kernel start-up of TensorFlow, a first call)
FILE_SIZE_LIMIT = 1 << 30  # bytes one file of a submission may reach


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


@dataclass
class PreparedTest:
    """What the grader needs of one hidden test, computed before any submission runs."""

    name: str
    points: float
    kind: str
    forbidden: tuple
    select: int | None
    atol: float
    rtol: float
    cases: list
    references: list
    reference_seconds: float
    suspects: dict  # code fingerprint -> (what, file tail, prefilter key, instructions)
    upstream: tuple  # (dotted name or None, fingerprint or None) standing in for it


@dataclass
class Prepared:
    """An assignment's hidden tests, references and hashes, ready before any submission runs.

    Plain data (picklable), so that worker processes grade with the same tests whatever a
    submission does to the files meanwhile.
    """

    assignment: str
    source: str
    path: str
    tests: dict
    snapshot: dict  # path -> bytes of every file of the package and of the hidden tests


def _tail(path: str) -> str:
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(path)


def _suspects(test, module_functions) -> dict:
    """Fingerprints of the package's forbidden functions and of the hidden tests' functions."""
    from cvutils.grading._harness import (
        code_fingerprint,
        function_codes,
        instruction_count,
        prefilter_key,
        resolve,
    )

    out = {}
    for dotted in test.forbidden:
        obj = resolve(dotted)
        for code in function_codes(obj) if obj is not None else []:
            entry = (f"the package's own {dotted}", _tail(code.co_filename), prefilter_key(code))
            out[code_fingerprint(code)] = (*entry, instruction_count(code))
    for fn in module_functions:
        code = fn.__code__
        entry = (f"the hidden tests' {fn.__name__}", _tail(code.co_filename), prefilter_key(code))
        out.setdefault(code_fingerprint(code), (*entry, instruction_count(code)))
    return out


def _upstream(test) -> tuple:
    from cvutils.grading._harness import code_fingerprint, resolve

    dotted = test.upstream
    if dotted is None:
        dotted = next((d for d in test.forbidden if d.rsplit(".", 1)[-1] == test.name), "")
    fn = resolve(dotted) if dotted else None
    if fn is None or isinstance(fn, type) or not hasattr(fn, "__code__"):
        return (None, None)
    return (dotted, code_fingerprint(fn.__code__))


def _package_files(folders) -> dict:
    files = {}
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                files[str(p)] = p.read_bytes()
    return files


def prepare(assignment: str, hidden_dir: Any = None) -> Prepared:
    """Loads, runs and hashes what ``assignment`` is graded against, before any submission.

    The hidden tests are read once (their text), their references computed and timed in this
    process, the fingerprints of every reference's code taken, and every file of the package
    and of the hidden tests kept: `grade` verifies after each submission that none changed
    (and puts back any that did, naming the submission).
    """
    import types

    check_str("assignment", assignment)
    if hidden_dir is not None:
        hidden_dir = check_path("hidden_dir", hidden_dir, must_exist=True, kind="dir")
    path, source = hidden_tests.read_source(assignment, hidden_dir)
    snapshot = _package_files([PACKAGE] + ([hidden_dir] if hidden_dir is not None else []))
    tests = hidden_tests.load_source(assignment, source, path)
    module = next(iter(tests.values())).reference.__globals__ if tests else {}
    module_functions = [
        fn
        for fn in module.values()
        if isinstance(fn, types.FunctionType) and fn.__code__.co_filename == str(path)
    ]
    prepared = {}
    for name, test in tests.items():
        cases = list(test.cases())
        t0 = time.perf_counter()
        references = [test.reference(*copy.deepcopy(a), **copy.deepcopy(k)) for _, a, k in cases]
        seconds = time.perf_counter() - t0
        prepared[name] = PreparedTest(
            name=name,
            points=float(test.points),
            kind=test.kind,
            forbidden=tuple(test.forbidden),
            select=test.select,
            atol=test.atol,
            rtol=test.rtol,
            cases=cases,
            references=references,
            reference_seconds=seconds,
            suspects=_suspects(test, module_functions),
            upstream=_upstream(test),
        )
    return Prepared(assignment, source, str(path), prepared, snapshot)


def exercise_limit(test: PreparedTest, factor: float, margin: float) -> float:
    """The default timeout of an exercise: ``factor`` x its reference's time + ``margin`` s."""
    return factor * test.reference_seconds + margin


class _Session:
    """One kernel running one notebook, restarted (and replayed) when it dies or hangs."""

    def __init__(self, nb, cwd: str, kernel_name: str, limits: dict | None = None):
        from nbformat.v4 import new_code_cell

        # nbclient writes each executed cell back into nb.cells[index]: run a private copy,
        # with one scratch cell at the end for the grader's own code.
        self.nb = copy.deepcopy(nb)
        self.nb.cells.append(new_code_cell(""))
        self.scratch = len(self.nb.cells) - 1
        self.cwd, self.kernel_name = cwd, kernel_name
        self.limits = limits or {}
        self.client = None
        # cells that ran without killing or hanging the kernel, each with the request whose
        # references stood in for the exercises while it ran (None: the learner's own)
        self.history: list[tuple[int, str | None]] = []
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
        tmp = Path(self.cwd) / "tmp"
        tmp.mkdir(exist_ok=True)
        # the kernel's temporary files go into its own folder; the private copy of the
        # package in cwd comes first on its path (before PYTHONPATH and site-packages)
        env = {**os.environ, "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}
        self.client.start_new_kernel(stderr=subprocess.DEVNULL, env=env)
        self.client.start_new_kernel_client()
        self.run_source(
            f"exec(compile({HARNESS!r}, '<cvutils-grader>', 'exec'), __cvutils_grader := {{}})\n"
            f"__cvutils_grader['cvutils_bootstrap']({self.limits!r})\n"
            "del __cvutils_grader",
            120,
        )

    def _death(self) -> str:
        """Why the kernel died, as far as its process says (a signal names a limit)."""
        try:
            code = self.client.km.provisioner.process.poll()
        except AttributeError:  # another provisioner: no process to ask
            code = None
        if code is None or code == 0:
            return "the kernel died"
        if code > 0:
            return f"the kernel died (it exited with status {code})"
        try:
            name = signal.Signals(-code).name
        except ValueError:
            return f"the kernel died (signal {-code})"
        why = {
            "SIGXCPU": "its CPU-time limit",
            "SIGKILL": "killed: its CPU-time limit, or the machine ran out of memory",
            "SIGXFSZ": "its file-size limit",
            "SIGSEGV": "a crash in native code",
        }.get(name)
        return f"the kernel died ({name}: {why})" if why else f"the kernel died ({name})"

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

    def harness(self, call: str, timeout: float) -> tuple[str, str]:
        """Runs ``call`` (an expression on ``h``, the harness's functions) in the kernel."""
        return self.run_source(
            f"exec(compile({HARNESS!r}, '<cvutils-grader>', 'exec'), __cvutils_grader := {{}})\n"
            f"(lambda h: {call})(__cvutils_grader)\n"
            "del __cvutils_grader",
            timeout,
        )

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
            return "dead", self._death()
        content = (self._reply or {}).get("content", {})
        if content.get("status") == "error":
            return "error", f"{content.get('ename')}: {content.get('evalue')}"[:500]
        if not self.alive():
            return "dead", "the kernel exited"
        return "ok", ""

    def run_with_references(
        self, index: int, request: Path, timeout: float, include_self: bool
    ) -> tuple[str, str]:
        """Runs cell ``index`` with the exercises bound to the references of ``request``."""
        flag = "True" if include_self else "False"
        status, detail = self.harness(
            f"h['cvutils_bind_references']({str(request)!r}, globals(), {flag})", 120
        )
        if status != "ok":
            return status, f"binding the references failed ({detail})"
        status, detail = self.run(index, timeout)
        if status not in ("dead",):
            self.harness("h['cvutils_unbind_references'](globals())", 60)
        return status, detail

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
        for i, request in list(self.history):
            if request is None:
                status, _ = self.run(i, 120)
            else:
                status, _ = self.run_with_references(i, Path(request), 120, True)
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


def _request(
    test: PreparedTest, prepared: Prepared, tmp: Path, chained: bool = False, tag: str = ""
) -> tuple[Path, Path]:
    """Writes the pickled request of ``test`` into ``tmp``; returns (request, out)."""
    out = tmp / f"{test.name}{tag}-result"
    request = tmp / f"{test.name}{tag}-request.pkl"
    others = {n: t.upstream for n, t in prepared.tests.items() if n != test.name}
    with open(request, "wb") as fh:
        pickle.dump(
            {
                "name": test.name,
                "cases": test.cases,
                "forbidden": list(test.forbidden),
                "out": str(out),
                "kind": test.kind,
                "suspects": test.suspects,
                "chained": chained,
                "exercises": list(prepared.tests),
                "upstream": others,
                "self_upstream": {test.name: test.upstream},
                "hidden_source": prepared.source,
            },
            fh,
        )
    return request, out


def _score(
    test: PreparedTest, out: Path, detail: str = "", prefix: str = "public check and "
) -> tuple[float, str]:
    """Reads what the harness wrote to ``out`` and compares it with the references."""
    try:
        result = json.loads(Path(f"{out}.json").read_text())
        with np.load(f"{out}.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as err:
        return 0.0, f"hidden tests could not run ({detail or err})"
    try:
        return _score_result(test, result, arrays, prefix)
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as err:
        # the result file is written inside the submission's kernel: a malformed one (a
        # tampered harness, a missing key) scores 0 with a message, never a crash
        return 0.0, f"hidden tests: malformed result from the kernel ({type(err).__name__}: {err})"


def _score_result(test: PreparedTest, result, arrays, prefix: str) -> tuple[float, str]:
    if not isinstance(result, dict) or not isinstance(result.get("cases", []), list):
        raise TypeError("the result is not a dict with a list of cases")
    if result.get("error"):
        return 0.0, str(result["error"])
    if result.get("copy"):
        return 0.0, (
            f"copy: {test.name} runs a copy of {result['copy']} (the same bytecode); "
            f"the exercise is to write it yourself"
        )
    if result.get("delegation"):
        what = str(result["delegation"])
        what = what if what.startswith("the ") else f"the package's own {what}"
        return 0.0, f"delegation: {test.name} calls {what}; the exercise is to write it yourself"
    if result.get("tampered"):
        return 0.0, f"tampering: {result['tampered']}"
    passed, first = 0, None
    for (label, _, _), case, ref in zip(test.cases, result["cases"], test.references, strict=False):
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
    n = len(test.cases)
    if passed == n:
        return 1.0, f"{prefix}{n}/{n} hidden tests passed"
    return passed / n, f"{passed}/{n} hidden tests passed; {first}"


def _hidden(
    session: _Session,
    test: PreparedTest,
    prepared: Prepared,
    tmp: Path,
    timeout: float,
    chained: bool,
    prefix: str = "public check and ",
) -> tuple[float, str]:
    """Runs ``test`` in the session's kernel; returns (fraction passed, message)."""
    request, out = _request(test, prepared, tmp, chained)
    status, detail = session.harness(
        f"h['cvutils_hidden_run']({str(request)!r}, globals())", timeout
    )
    if status == "dead":
        session.restart()
        return 0.0, f"hidden tests: the kernel died while running {test.name} ({detail})"
    if status == "timeout":
        return 0.0, f"hidden tests: {test.name} {detail}"
    return _score(test, out, detail, prefix)


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

    The same cases, delegation and copy detection, references in place of the other
    exercises and comparison as `grade`, without a kernel, a public check or a timeout: for
    trusted code (an instructor's solutions, the CI proof that hidden tests and solutions
    agree), never for a submission.

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
    prepared = prepare(assignment, hidden_dir)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cvutils-grade-") as tmp:
        for number, (name, test) in enumerate(prepared.tests.items(), start=1):
            t0 = time.monotonic()
            request, out = _request(test, prepared, Path(tmp))
            cvutils_hidden_run(str(request), namespace)
            frac, message = _score(test, out, prefix="")
            row = ExerciseResult(
                id=name,
                name=name,
                number=number,
                points=round(test.points * frac, 2),
                max_points=test.points,
                passed=frac == 1.0,
                message=message,
                seconds=round(time.monotonic() - t0, 2),
            )
            rows.append(asdict(row))
    return {
        "assignment": assignment,
        "total": round(sum(r["points"] for r in rows), 2),
        "max_total": round(sum(r["max_points"] for r in rows), 2),
        "exercises": rows,
    }


def default_memory_limit(workers: int = 1) -> int:
    """Bytes of address space a kernel may use: 3/4 of the memory, shared by ``workers``,
    at least 4 GiB (TensorFlow alone reserves about 2.5 GiB of address space); 0 (no limit)
    where an NVIDIA GPU is visible, since CUDA reserves far more address space than memory."""
    import shutil

    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() not in ("", "-1")
    if visible and shutil.which("nvidia-smi"):
        return 0
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 16 << 30
    return int(max(4 << 30, 0.75 * physical / max(1, workers)))


class _Sandbox:
    """The private folder a submission runs in, and the checks that nothing outside changed.

    ``base`` (made by the grader, private) holds ``work``, the kernel's working folder, with
    a copy of the package written from the grader's snapshot (the kernel imports it first,
    so a submission that rewrites "its" package or hidden tests changes only its own copy)
    and ``work/tmp`` (its TMPDIR).
    """

    def __init__(self, base: Path, prepared: Prepared, folder: Path):
        self.base, self.prepared, self.folder = base, prepared, folder
        self.work = base / "work"
        self.work.mkdir()
        self.copy = {}
        for name, data in prepared.snapshot.items():
            p = Path(name)
            if PACKAGE in p.parents:
                dst = self.work / PACKAGE.name / p.relative_to(PACKAGE)
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(data)
                self.copy[dst] = data
        data_dir = PACKAGE.parent / "data"
        if data_dir.is_dir():
            (self.work / "data").symlink_to(data_dir, target_is_directory=True)
        self.folder_before = self._listing(folder)
        self.hidden_dirs = {Path(prepared.path).parent, PACKAGE / "grading" / "hidden"}
        self.start = time.time() - 1

    @staticmethod
    def _listing(folder: Path) -> dict:
        try:
            return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}
        except OSError:
            return {}

    def check(self) -> list[str]:
        """What the submission changed outside its own folder (put back where it could be)."""
        problems = []
        for dst, data in self.copy.items():
            if not dst.is_file() or dst.read_bytes() != data:
                rel = dst.relative_to(self.work)
                problems.append(f"it changed the grader's files (its copy of {rel})")
        for name, data in self.prepared.snapshot.items():
            p = Path(name)
            try:
                same = p.is_file() and p.read_bytes() == data
                written = not p.is_file() or p.stat().st_mtime >= self.start
            except OSError:
                same, written = False, True
            if same or not written:  # an edit made before this submission ran is not its
                continue
            if p.suffix == ".py" and p.parent in self.hidden_dirs:
                # hidden tests: put back (the next grading session reads them from disk)
                try:
                    p.write_bytes(data)
                    problems.append(f"it changed the hidden tests {p} (put back)")
                except OSError as err:
                    problems.append(f"it changed the hidden tests {p} (not put back: {err})")
            else:  # the submissions' kernels use the grader's copy: reported, not undone
                problems.append(f"{p} changed while it ran")
        for entry in sorted(self.base.iterdir()):
            if entry.name != "work":
                problems.append(f"it wrote {entry.name} outside its folder")
        after = self._listing(self.folder)
        for name in sorted(set(after) - set(self.folder_before)):
            problems.append(f"it wrote {name} into the submissions' folder {self.folder}")
        for name in sorted(set(after) & set(self.folder_before)):
            if after[name] != self.folder_before[name] and name.endswith(".ipynb"):
                problems.append(f"it changed {name} in the submissions' folder {self.folder}")
        return problems


def _called_exercises(source: str, names) -> list[str]:
    """The other exercises an exercise cell names (its upstream), in order of appearance."""
    import ast

    from cvutils.grading.exercises import python_source

    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return []
    seen = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names and node.id not in seen:
            seen.append(node.id)
    return seen


class _Grading:
    """The state of grading one submission, and its steps (see `grade`)."""

    def __init__(self, nb, path, exercises, prepared, options):
        self.nb, self.path, self.prepared, self.o = nb, path, prepared, options
        self.tests = prepared.tests
        self.by_name = {ex.name: ex for ex in exercises}
        self.results: dict[str, ExerciseResult] = {}
        for number, (name, test) in enumerate(self.tests.items(), start=1):
            ex = self.by_name.get(name)
            self.results[name] = ExerciseResult(
                id=name,
                name=name,
                number=ex.number if ex else number,
                points=0.0,
                max_points=test.points,
                passed=False,
                message="not graded" if ex else f"missing: no exercise cell for {name!r} in {path}",
                seconds=0.0,
            )
        self.check_cells = {ex.check_cell: ex for ex in exercises if ex.name in self.tests}
        self.exercise_cells = {ex.cell: ex for ex in exercises if ex.name in self.tests}
        self.upstream = {
            ex.name: [
                n
                for n in _called_exercises(nb.cells[ex.cell].source, set(self.tests))
                if n != ex.name
            ]
            for ex in exercises
        }
        self.errors: list[dict] = []
        self.cell_status: dict[int, tuple[str, str]] = {}
        self.session = None
        self.tmp = None

    def limit(self, name: str) -> float:
        if self.o["exercise_timeout"] is not None:
            return self.o["exercise_timeout"]
        return exercise_limit(self.tests[name], self.o["timeout_factor"], self.o["timeout_margin"])

    def left(self) -> float:
        return self.o["deadline"] - time.monotonic()

    def run_cells(self, end: int) -> None:
        """Runs cells ``0..end-1`` in order, grading each exercise right after its check."""
        for i in range(end):
            cell = self.nb.cells[i]
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if self.left() <= 1:
                self.errors.append({"cell": i, "error": f"total time limit {self.o['total']:g} s"})
                break
            t0 = time.monotonic()
            ex = self.check_cells.get(i) or self.exercise_cells.get(i)
            limit = self.limit(ex.name) if ex else self.o["cell_timeout"]
            status, detail = self.session.run(i, min(limit, self.left()))
            self.cell_status[i] = (status, detail)
            if status != "ok":
                self.errors.append({"cell": i, "error": detail})
            if status == "dead":
                self.session.restart()
            elif status != "timeout" and i not in self.check_cells:
                self.session.history.append((i, None))
            if i in self.check_cells:
                self.grade_exercise(self.check_cells[i], i, status, detail, limit)
                self.results[self.check_cells[i].name].seconds = round(time.monotonic() - t0, 2)

    def failed_upstream(self, name: str) -> list[str]:
        """The exercises ``name`` calls, directly or through others, that did not pass."""
        seen, todo = [], list(self.upstream.get(name, []))
        while todo:
            n = todo.pop(0)
            if n != name and n not in seen:
                seen.append(n)
                todo.extend(self.upstream.get(n, []))
        return [n for n in seen if not self.results[n].passed]

    def grade_exercise(self, ex, i: int, status: str, detail: str, limit: float) -> None:
        """Scores exercise ``ex`` after its check cell ``i`` ran with ``status``."""
        r, test = self.results[ex.name], self.tests[ex.name]
        tmp, chained = Path(self.tmp), self.o["chained"]
        sol_status = self.cell_status.get(ex.cell, ("ok", ""))
        prefix = "public check and "
        if status == "ok":
            self.session.history.append((i, None))
        elif status == "error" and not chained:
            # the check may have failed through another exercise: once more with references
            request, _ = _request(test, self.prepared, tmp, tag="-check")
            again, _ = self.session.run_with_references(i, request, min(limit, self.left()), False)
            upstream = self.failed_upstream(ex.name)
            if again == "ok":
                self.session.history.append((i, str(request)))
                names = ", ".join(upstream) or "the exercises it calls"
                prefix = (
                    f"public check failed through {names} (wrong upstream; passes with the "
                    f"references in their place); "
                )
                status = "ok"
            elif again == "dead":
                self.session.restart()
        elif status in ("dead", "timeout"):
            # rebuild the state the next cells need: the check once more, with this exercise
            # (and the others) replaced by the references
            request, _ = _request(test, self.prepared, tmp, tag="-replay")
            t0 = time.monotonic()
            cap = min(self.o["cell_timeout"], self.left())
            again, _ = self.session.run_with_references(i, request, cap, True)
            if again == "dead":
                self.session.restart()
            elif again == "ok":
                self.session.history.append((i, str(request)))
            if status == "timeout" and again == "ok" and time.monotonic() - t0 > 0.5 * limit:
                # the check is slow even with the reference: the limit, not the code, ran out
                prefix = (
                    f"public check slower than its {limit:.0f} s limit with the reference too; "
                )
                status = "ok"
        if status != "ok":
            r.message = f"public check failed: {detail}"
            if chained and self.failed_upstream(ex.name):
                r.message += f" (it calls {', '.join(self.failed_upstream(ex.name))}, which failed)"
            return
        if sol_status[0] in ("timeout", "dead"):
            r.message = f"exercise cell {ex.cell}: {sol_status[1]}"
            return
        frac, r.message = _hidden(
            self.session, test, self.prepared, tmp, min(limit, self.left()), chained, prefix
        )
        if frac < 1 and chained and self.failed_upstream(ex.name):
            r.message += f" (it calls {', '.join(self.failed_upstream(ex.name))}, which failed)"
        r.points = round(r.max_points * frac, 2)
        r.passed = frac == 1.0


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
    chained: bool = False,
    timeout_factor: float = TIMEOUT_FACTOR,
    timeout_margin: float = TIMEOUT_MARGIN,
    memory_limit: float | None = None,
    cpu_limit: float | None = None,
    file_size_limit: float | None = FILE_SIZE_LIMIT,
    prepared: Prepared | None = None,
) -> dict:
    """Grades one submission and returns its report (see the module docstring for how).

    Args:
        path: the submitted ``.ipynb``.
        assignment: the assignment it must be (default: from its metadata or name).
        hidden_dir: a folder of hidden tests (default: those shipped in `cvutils.grading.hidden`).
        cell_timeout: seconds one cell of the lesson may run (imports, training).
        exercise_timeout: seconds an exercise cell, its check cell or its hidden tests may run;
            default ``timeout_factor`` x the reference's time on the hidden cases +
            ``timeout_margin`` (an infinite loop costs that much).
        total_timeout: seconds the whole submission may run.
        run_all: also run the cells after the last exercise (they do not change the score but
            their errors are reported); False stops after the last check cell.
        kernel_name: the Jupyter kernel to run it in.
        chained: grade each exercise with the learner's own versions of the exercises it
            calls (a wrong ``gram_matrix`` then also costs the exercises that use it); by
            default they are the references while its public check is retried and its hidden
            tests run.
        timeout_factor, timeout_margin: the default per-exercise timeout's rule.
        memory_limit: bytes of address space the kernel may use (default
            `default_memory_limit`; 0: no limit, e.g. for CUDA, which reserves far more).
        cpu_limit: CPU seconds the kernel may use (default ``total_timeout`` x the CPUs; 0:
            no limit).
        file_size_limit: bytes one file the kernel writes may reach (0: no limit).
        prepared: `prepare`'s result for this assignment (a folder prepares it once).

    Returns:
        ``{"notebook", "assignment", "total", "max_total", "exercises": [{"id", "name",
        "number", "points", "max_points", "passed", "message", "seconds"}], "errors":
        [{"cell", "error"}], "integrity": [what it changed outside its folder],
        "kernel_restarts", "seconds"}``.

    Raises:
        NotebookError: the file is not a notebook (not JSON, not nbformat 4), has malformed
            exercises, or belongs to another assignment; nothing is graded then.
    """
    path = check_path("path", path)
    if assignment is not None:
        check_str("assignment", assignment)
    cell_timeout = check_real("cell_timeout", cell_timeout, low=0, low_open=True)
    if exercise_timeout is not None:
        exercise_timeout = check_real("exercise_timeout", exercise_timeout, low=0, low_open=True)
    total_timeout = check_real("total_timeout", total_timeout, low=0, low_open=True)
    timeout_factor = check_real("timeout_factor", timeout_factor, low=0)
    timeout_margin = check_real("timeout_margin", timeout_margin, low=0, low_open=True)
    check_bool("run_all", run_all)
    check_bool("chained", chained)
    check_str("kernel_name", kernel_name)
    limits = {
        "memory": default_memory_limit() if memory_limit is None else memory_limit,
        "cpu": total_timeout * (os.cpu_count() or 1) if cpu_limit is None else cpu_limit,
        "file_size": file_size_limit or 0,
    }
    for key, value in limits.items():
        limits[key] = int(check_real(f"{key}_limit", value, low=0))
    if hidden_dir is not None:
        hidden_dir = check_path("hidden_dir", hidden_dir, must_exist=True, kind="dir")
    if prepared is not None and not isinstance(prepared, Prepared):
        fail("prepared", "a result of prepare", describe(prepared), kind=True)
    start = time.monotonic()
    nb = read_notebook(path)
    exercises = find_exercises(nb, path)
    assignment = _assignment(nb, path, exercises, assignment, hidden_dir)
    if prepared is None or prepared.assignment != assignment:
        prepared = prepare(assignment, hidden_dir)
    options = {
        "cell_timeout": cell_timeout,
        "exercise_timeout": exercise_timeout,
        "total": total_timeout,
        "deadline": start + total_timeout,
        "chained": chained,
        "timeout_factor": timeout_factor,
        "timeout_margin": timeout_margin,
    }
    g = _Grading(nb, path, exercises, prepared, options)
    extra = sorted(set(g.by_name) - set(prepared.tests))
    last = max(g.check_cells, default=-1)
    end = len(nb.cells) if run_all else last + 1
    with tempfile.TemporaryDirectory(prefix="cvutils-grade-") as base:
        sandbox = _Sandbox(Path(base), prepared, path.parent)
        g.tmp = str(sandbox.work / "tmp")
        Path(g.tmp).mkdir()
        g.session = _Session(nb, str(sandbox.work), kernel_name, limits)
        try:
            g.session.start()
            g.run_cells(end)
            for r in g.results.values():
                if r.message == "not graded":
                    r.message = "not graded: the total time limit ran out before it"
        except RuntimeError as err:  # a replay that could not be done
            for r in g.results.values():
                if r.message == "not graded":
                    r.message = f"not graded: {err}"
        finally:
            restarts = g.session.restarts
            g.session.stop()
        integrity = sandbox.check()
    for name in extra:
        g.errors.append(
            {"cell": g.by_name[name].cell, "error": f"exercise {name!r} has no hidden tests"}
        )
    rows = sorted(g.results.values(), key=lambda r: r.number)
    return {
        "notebook": str(path),
        "assignment": assignment,
        "total": round(sum(r.points for r in rows), 2),
        "max_total": round(sum(r.max_points for r in rows), 2),
        "exercises": [asdict(r) for r in rows],
        "errors": g.errors,
        "integrity": integrity,
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


def _grade_one(path: str, kwargs: dict) -> tuple[str, Any]:
    """One submission of a folder (in a worker process): ("report", report) or ("error", msg)."""
    try:
        return "report", grade(path, **kwargs)
    except NotebookError as err:
        return "error", str(err)


def _prepare_folder(paths, kwargs: dict) -> tuple[dict, dict]:
    """Each file's assignment, and each assignment prepared, before any submission runs."""
    assignments, prepared, failures = {}, {}, {}
    hidden_dir = kwargs.get("hidden_dir")
    for path in paths:
        try:
            nb = read_notebook(path)
            exercises = find_exercises(nb, path)
            name = _assignment(nb, path, exercises, kwargs.get("assignment"), hidden_dir)
        except NotebookError as err:
            failures[path] = str(err)
            continue
        assignments[path] = name
        if name not in prepared:
            prepared[name] = prepare(name, hidden_dir)
    return {p: prepared[a] for p, a in assignments.items()}, failures


def grade_folder(folder: Any, *, workers: int = 1, **kwargs) -> tuple[list[dict], list[dict]]:
    """Grades every ``.ipynb`` of ``folder``; returns (reports, failures).

    The hidden tests of every assignment in the folder are prepared (loaded, run, hashed)
    before the first submission runs. ``workers`` > 1 grades that many submissions at a time,
    each in its own process and kernel (the default memory limit is shared among them).
    A failure is ``{"notebook", "error"}`` for a file that could not be graded at all.
    Other keyword arguments are those of `grade`.
    """
    from cvutils.checks import check_int

    folder = check_path("folder", folder, must_exist=True, kind="dir")
    workers = check_int("workers", workers, 1, 256)
    if kwargs.get("memory_limit") is None:
        kwargs["memory_limit"] = default_memory_limit(workers)
    paths = sorted(folder.glob("*.ipynb"))
    prepared, refused = _prepare_folder(paths, kwargs)
    outcomes = {p: ("error", e) for p, e in refused.items()}
    todo = [p for p in paths if p in prepared]
    if workers == 1 or len(todo) <= 1:
        for p in todo:
            outcomes[p] = _grade_one(str(p), {**kwargs, "prepared": prepared[p]})
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")  # no fork of a process with TensorFlow
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=context) as pool:
            futures = {
                p: pool.submit(_grade_one, str(p), {**kwargs, "prepared": prepared[p]})
                for p in todo
            }
            for p, future in futures.items():
                try:
                    outcomes[p] = future.result()
                except Exception as err:  # a worker that died: its file is not graded
                    outcomes[p] = ("error", f"the grading process failed ({err!r})")
    reports, failures = [], []
    for p in paths:
        kind, value = outcomes[p]
        if kind == "report":
            reports.append(value)
        else:
            failures.append({"notebook": str(p), "error": value})
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

"""Exercise cells: solution markers, header lines, nbgrader metadata, student versions.

A graded exercise is a code cell holding a header line and a solution block, followed by
a code cell with its public check::

    # Exercise 1 - zero_pad (1 point)
    def zero_pad(X, pad):
        ### BEGIN SOLUTION
        return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        ### END SOLUTION

The header line is the one source of the exercise's number, name and points; `annotate`
derives nbgrader's cell metadata from it (and writes a missing header from the function
the block sits in). Taught in notebooks/00_setup_and_tour.ipynb (how exercises work) and
graded in notebooks/04_convolution_step_by_step.ipynb.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvutils.checks import check_bool, check_path, check_str, describe, fail

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "# Hint:"
SCHEMA_VERSION = 3
_BLOCK = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.M | re.S
)
HEADER = re.compile(
    r"^#[ \t]*Exercise[ \t]+(\d+)[ \t]*[-\u2013\u2014:][ \t]*([A-Za-z_]\w*)[ \t]*"
    r"\([ \t]*(\d+(?:\.\d+)?)[ \t]*points?[ \t]*\)[ \t]*$",
    re.M,
)
_LOOSE_HEADER = re.compile(r"^#[ \t]*Exercise\b.*$", re.M)
_DEF = re.compile(r"^[ \t]*def[ \t]+([A-Za-z_]\w*)[ \t]*\(", re.M)


class NotebookError(ValueError):
    """A notebook cannot be annotated, turned into a student version or graded.

    The message names the file and, where there is one, the cell (0-based index).
    """


@dataclass(frozen=True)
class Exercise:
    """One graded exercise of a notebook.

    Attributes:
        number: the number of its header line (``Exercise 3``).
        name: its id, the function the learner writes (``conv_forward``); nbgrader's grade_id.
        points: the points it is worth (> 0).
        cell: index of the solution cell in ``nb.cells``.
        check_cell: index of the public-check cell that follows it.
    """

    number: int
    name: str
    points: float
    cell: int
    check_cell: int

    @property
    def header(self) -> str:
        """The canonical header line, e.g. ``# Exercise 3 - conv_forward (2 points)``."""
        pts = f"{self.points:g}"
        return f"# Exercise {self.number} - {self.name} ({pts} point{'' if pts == '1' else 's'})"


def _cell_location(path: Any, cell: int | None = None) -> str:
    """``"<path>, cell <n>"`` for messages (``"<notebook>"`` when there is no path)."""
    where = str(path) if path is not None else "<notebook>"
    return f"{where}, cell {cell}" if cell is not None else where


def _check_blocks(source: str, where: str) -> None:
    """Raises NotebookError unless every BEGIN has its END, in order, never nested."""
    depth = 0
    for lineno, line in enumerate(source.splitlines(), start=1):
        line = line.strip()
        if line.startswith(BEGIN):
            if depth:
                raise NotebookError(f"{where}: nested '{BEGIN}' at line {lineno}")
            depth = 1
        elif line.startswith(END):
            if not depth:
                raise NotebookError(f"{where}: '{END}' without '{BEGIN}' at line {lineno}")
            depth = 0
    if depth:
        raise NotebookError(f"{where}: unterminated solution block ('{BEGIN}' without '{END}')")


def strip_solutions(source: str, replacement: str = "raise NotImplementedError()") -> str:
    """Replaces each solution block in ``source`` with a stub at the block's indentation.

    The stub is ``# YOUR CODE HERE``, any ``# Hint:`` lines of the block, then ``replacement``.

    Args:
        source: the code of one cell.
        replacement: the statement that stands in for the solution.

    Returns:
        The source without solution lines.

    Raises:
        ValueError: if the markers do not pair up (`NotebookError`), or an argument is not a
            string (`cvutils.checks.ArgumentTypeError`).

    Taught in notebooks/00_setup_and_tour.ipynb.

    Examples:
        >>> print(strip_solutions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n"
        ...                       "    ### END SOLUTION\\n"), end="")
        def f():
            # YOUR CODE HERE
            raise NotImplementedError()
    """
    check_str("source", source, allow_empty=True)
    check_str("replacement", replacement)
    if source.count(BEGIN) != source.count(END):
        raise NotebookError(
            f"source has {source.count(BEGIN)} '{BEGIN}' but {source.count(END)} '{END}' markers"
        )
    _check_blocks(source, "source")

    def repl(match: re.Match) -> str:
        indent = match.group(1)
        hints = [
            f"{indent}{line.strip()}\n"
            for line in match.group(2).splitlines()
            if line.strip().startswith(HINT)
        ]
        return f"{indent}# YOUR CODE HERE\n{''.join(hints)}{indent}{replacement}{match.group(3)}"

    return _BLOCK.sub(repl, source)


def solution_lines(source: str) -> list[str]:
    """The stripped, non-empty lines inside the solution blocks of ``source`` (no hints).

    Examples:
        >>> solution_lines("x = 1\\n### BEGIN SOLUTION\\ny = 2\\n\\n### END SOLUTION\\n")
        ['y = 2']
    """
    check_str("source", source, allow_empty=True)
    out = []
    for match in _BLOCK.finditer(source):
        for line in match.group(2).splitlines():
            line = line.strip()
            if line and not line.startswith(HINT):
                out.append(line)
    return out


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_solution_cell(cell) -> bool:
    if cell.cell_type != "code":
        return False
    meta = _nbgrader(cell)
    return BEGIN in cell.source or bool(meta.get("solution")) or bool(HEADER.search(cell.source))


def _exercise_name(cell, where: str) -> str:
    header = HEADER.search(cell.source)
    if header:
        return header.group(2)
    grade_id = _nbgrader(cell).get("grade_id")
    if isinstance(grade_id, str) and re.fullmatch(r"[A-Za-z_]\w*", grade_id):
        return grade_id
    pos = cell.source.find(BEGIN)
    defs = [m for m in _DEF.finditer(cell.source) if pos < 0 or m.start() < pos]
    if not defs:
        raise NotebookError(
            f"{where}: cannot tell which function this exercise is; add a header line "
            f"'# Exercise N - <function name> (<points> points)'"
        )
    return defs[-1].group(1)


def _check_nb(nb) -> None:
    """Refuses anything but a notebook (an object with a list of ``cells``) by name."""
    if not isinstance(getattr(nb, "cells", None), list):
        fail("nb", "a notebook (nbformat.NotebookNode, version 4)", describe(nb), kind=True)


def find_exercises(nb, path: Any = None) -> list[Exercise]:
    """Lists the graded exercises of a notebook, in order, and validates them.

    An exercise cell is a code cell with a solution block, an nbgrader ``solution`` flag or
    an exercise header line; its public check is the next code cell.

    Args:
        nb: an `nbformat.NotebookNode` (version 4).
        path: the file it came from, for messages.

    Returns:
        The exercises; empty when the notebook has none.

    Raises:
        NotebookError: an unterminated or stray marker, a header line that is malformed, a
            duplicated exercise id or number, or an exercise without a check cell after it;
            the message names the file and the cell.
    """
    exercises: list[Exercise] = []
    seen_names: dict[str, int] = {}
    seen_numbers: dict[int, int] = {}
    _check_nb(nb)
    cells = nb.cells
    for i, cell in enumerate(cells):
        where = _cell_location(path, i)
        if cell.cell_type == "code" and (BEGIN in cell.source or END in cell.source):
            _check_blocks(cell.source, where)
        if not _is_solution_cell(cell):
            continue
        loose = [m.group(0) for m in _LOOSE_HEADER.finditer(cell.source)]
        headers = list(HEADER.finditer(cell.source))
        if len(loose) != len(headers) or len(headers) > 1:
            raise NotebookError(
                f"{where}: expected one header line '# Exercise N - <function name> "
                f"(<points> points)', found {loose!r}"
            )
        name = _exercise_name(cell, where)
        if headers:
            number, points = int(headers[0].group(1)), float(headers[0].group(3))
        else:
            number = len(exercises) + 1
            points = float(_check_points_meta(cells, i) or 1)
        if points <= 0:
            raise NotebookError(f"{where}: exercise {name!r} must be worth > 0 points")
        if name in seen_names:
            raise NotebookError(
                f"{where}: duplicated exercise id {name!r} (also cell {seen_names[name]})"
            )
        if number in seen_numbers:
            raise NotebookError(
                f"{where}: duplicated exercise number {number} (also cell {seen_numbers[number]})"
            )
        seen_names[name], seen_numbers[number] = i, i
        nxt = next((j for j in range(i + 1, len(cells)) if cells[j].cell_type == "code"), None)
        if nxt is None or _is_solution_cell(cells[nxt]):
            raise NotebookError(
                f"{where}: exercise {name!r} is not followed by a check cell "
                f"(a code cell calling check(...))"
            )
        exercises.append(Exercise(number, name, points, i, nxt))
    return exercises


def _check_points_meta(cells, i: int):
    for cell in cells[i + 1 :]:
        if cell.cell_type == "code":
            pts = _nbgrader(cell).get("points")
            return pts if isinstance(pts, int | float) and not isinstance(pts, bool) else None
    return None


def read_notebook(path: Any, name: str = "path"):
    """Reads a notebook, or raises NotebookError naming the file (missing, not JSON, not v4)."""
    import nbformat

    path = check_path(name, path)
    if not path.is_file():
        raise NotebookError(f"{path}: no such notebook file")
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise NotebookError(f"{path}: not a notebook (not valid JSON: {err})") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise NotebookError(f"{path}: not a notebook (JSON without 'cells' and 'nbformat')")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several kinds
        raise NotebookError(f"{path}: not a valid notebook ({type(err).__name__}: {err})") from None
    return nb


def write_notebook(nb, dst: Path, protect: tuple[Path, ...] = ()) -> None:
    """Writes ``nb`` to ``dst`` atomically; refuses to overwrite any path in ``protect``."""
    import nbformat

    dst = Path(dst)
    for p in protect:
        if dst.resolve() == Path(p).resolve():
            raise NotebookError(f"{dst}: refusing to overwrite the source notebook")
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, suffix=".ipynb.part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(nb, fh)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cell_metadata(exercise: Exercise) -> tuple[dict, dict]:
    """nbgrader metadata of the solution cell and of the check cell of ``exercise``."""
    if not isinstance(exercise, Exercise):
        fail("exercise", "an Exercise (from find_exercises)", describe(exercise), kind=True)
    solution = {
        "grade": False,
        "grade_id": exercise.name,
        "locked": False,
        "schema_version": SCHEMA_VERSION,
        "solution": True,
    }
    points = int(exercise.points) if float(exercise.points).is_integer() else exercise.points
    check = {
        "grade": True,
        "grade_id": f"{exercise.name}-check",
        "locked": True,
        "points": points,
        "schema_version": SCHEMA_VERSION,
        "solution": False,
    }
    return solution, check


def annotate(path: Any, *, write: bool = True) -> list[Exercise]:
    """Derives (or refreshes) the header lines and nbgrader metadata of a notebook's exercises.

    Idempotent: a second run changes nothing. A solution cell without a header line gets
    ``# Exercise N - <function> (1 point)`` as its first line (edit the points and run again).
    The notebook-level metadata records the assignment name (the file's stem).

    Args:
        path: the notebook (``.ipynb``), rewritten in place when something changes.
        write: False only validates and returns the exercises.

    Returns:
        The exercises, after annotation.

    Raises:
        NotebookError: see `find_exercises`; nothing is written then.

    Taught in notebooks/00_setup_and_tour.ipynb (for instructors: README, "For instructors").
    """
    path = check_path("path", path)
    check_bool("write", write)
    nb = read_notebook(path)
    before = json.dumps(nb, sort_keys=True)
    exercises = _annotate(nb, path)
    if write and json.dumps(nb, sort_keys=True) != before:
        write_notebook(nb, path)
    return exercises


def _annotate(nb, path) -> list[Exercise]:
    """Writes header lines and metadata into ``nb`` (in memory); returns the exercises."""
    exercises = find_exercises(nb, path)
    for ex in exercises:
        cell = nb.cells[ex.cell]
        if HEADER.search(cell.source):
            cell.source = HEADER.sub(ex.header, cell.source, count=1)
        else:
            cell.source = f"{ex.header}\n{cell.source}"
        sol, chk = cell_metadata(ex)
        cell.metadata["nbgrader"] = sol
        nb.cells[ex.check_cell].metadata["nbgrader"] = chk
    if exercises:
        nb.metadata["cvutils"] = {"assignment": Path(str(path)).stem}
    return find_exercises(nb, path)


def is_annotated(nb, path: Any = None) -> list[str]:
    """The problems that keep ``nb`` from being fully annotated (empty list: it is)."""

    def _meta(cell):  # a student version also carries nbgrader's checksums
        return {k: v for k, v in _nbgrader(cell).items() if k != "checksum"}

    problems = []
    for ex in find_exercises(nb, path):
        cell = nb.cells[ex.cell]
        sol, chk = cell_metadata(ex)
        if not HEADER.search(cell.source):
            problems.append(f"cell {ex.cell}: no header line {ex.header!r}")
        if _meta(cell) != sol:
            problems.append(f"cell {ex.cell}: nbgrader metadata {_nbgrader(cell)} != {sol}")
        if _meta(nb.cells[ex.check_cell]) != chk:
            problems.append(
                f"cell {ex.check_cell}: nbgrader metadata "
                f"{_nbgrader(nb.cells[ex.check_cell])} != {chk}"
            )
    return problems


def python_source(source: str) -> str:
    """The Python code of a notebook cell: IPython's ``%magic`` and ``!shell`` lines translated.

    Examples:
        >>> python_source("%pip install x\\nx = 1")
        "get_ipython().run_line_magic('pip', 'install x')\\nx = 1\\n"
    """
    check_str("source", source, allow_empty=True)
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # IPython comes with Jupyter and ipywidgets; without it, as written
        return source
    return TransformerManager().transform_cell(source)


def _uses(source: str, names: list[str]) -> list[str]:
    """The names of ``names`` that ``source`` refers to (calls, or passes as a value)."""
    import ast

    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:  # not Python: fall back on the words of the cell
        return [n for n in names if re.search(rf"(?<![.\w]){re.escape(n)}(?!\w)", source)]
    loaded = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return [n for n in names if n in loaded]


class _Names(ast.NodeVisitor):
    """Names code binds in its own scope (``stores``) and reads anywhere (``loads``).

    Nested functions, lambdas, classes and comprehensions bind in their own scope: their
    parameters and targets are ``local``, not stores; their reads count as reads.
    """

    def __init__(self):
        self.stores: set[str] = set()
        self.loads: set[str] = set()
        self.local: set[str] = set()
        self.mutated: set[str] = set()  # x in x[i] = ..., x.a = ..., x.method(...)
        self.depth = 0

    def visit_Subscript(self, node):
        if not isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name):
            self.mutated.add(node.value.id)
        self.generic_visit(node)

    visit_Attribute = visit_Subscript

    def visit_Call(self, node):
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            self.mutated.add(node.func.value.id)
        self.generic_visit(node)

    def _bind(self, name: str) -> None:
        (self.local if self.depth else self.stores).add(name)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.loads.add(node.id)
        else:
            self._bind(node.id)

    def _scope(self, node):
        self.depth += 1
        args = getattr(node, "args", None)
        if isinstance(args, ast.arguments):
            self.local.update(a.arg for a in ast.walk(args) if isinstance(a, ast.arg))
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node):
        self._bind(node.name)
        self._scope(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._bind(node.name)
        self._scope(node)

    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = _scope
    visit_GeneratorExp = _scope

    def visit_Import(self, node):
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import


def _names(nodes) -> _Names:
    v = _Names()
    for node in nodes:
        v.visit(node)
    return v


def dependencies(nb, exercises: list[Exercise]) -> dict[int, list[str]]:
    """The cells of ``nb`` that cannot run in full while exercises are unsolved, and on which.

    A cell depends on an exercise when it refers to its function, or when it reads a name that
    a cell depending on that exercise binds or changes (``x[i] = ...``, ``x.append(...)``) at
    or after its first such reference (in a student version that name is unset, or stale,
    because the cell stopped at the unsolved exercise).
    Only the statements up to a cell's own first reference count: it stops there.

    Args:
        nb: the notebook (solution or student version: same cells outside the exercises).
        exercises: its exercises (`find_exercises`).

    Returns:
        ``{cell index: [exercise names]}`` for the cells after the first exercise, exercise
        cells excluded.

    Taught in notebooks/00_setup_and_tour.ipynb (for instructors: README, "For instructors").
    """
    _check_nb(nb)
    if not isinstance(exercises, list | tuple) or not all(
        isinstance(ex, Exercise) for ex in exercises
    ):
        fail(
            "exercises", "a list of Exercise (from find_exercises)", describe(exercises), kind=True
        )
    names = {ex.name for ex in exercises}
    solution_cells = {ex.cell for ex in exercises}
    first = min(solution_cells, default=len(nb.cells))
    at_risk: dict[str, set[str]] = {}  # name -> the exercises it waits for
    imported: set[str] = set()  # modules: calling their functions changes no notebook value
    for cell in nb.cells:
        if cell.cell_type == "code":
            with contextlib.suppress(SyntaxError):
                tree = ast.parse(python_source(cell.source))
                imported |= {
                    a.asname or a.name.split(".")[0]
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Import | ast.ImportFrom)
                    for a in node.names
                }
    out: dict[int, list[str]] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or i <= first or i in solution_cells:
            continue
        try:
            body = ast.parse(python_source(cell.source)).body
        except SyntaxError:
            used = _uses(cell.source, sorted(names))
            if used:
                out[i] = used
            continue
        deps: set[str] = set()
        stop = len(body)
        for k, node in enumerate(body):
            found = _names([node])
            deps |= found.loads & names
            for n in (found.loads - found.stores - found.local) & set(at_risk):
                deps |= at_risk[n]
            if deps:
                stop = k
                break
            for n in found.stores:  # set again before anything waits: runs as in the solution
                at_risk.pop(n, None)
        if deps:
            after = _names(body[stop:])
            for n in after.stores | (after.mutated - imported):
                at_risk[n] = at_risk.get(n, set()) | deps
            out[i] = sorted(deps)
    return out


def _wrap(source: str, names: list[str]) -> str:
    body = "\n".join(("    " + line) if line.strip() else "" for line in source.splitlines())
    listed = ", ".join(repr(n) for n in names)
    return (
        "from cvutils.grading import until_implemented\n\n"
        f"with until_implemented({listed}):\n{body}\n"
    )


def _is_locked(cell) -> bool:
    """Whether nbgrader checksums ``cell``'s source (a test or read-only cell): keep it as is."""
    meta = _nbgrader(cell)
    return not meta.get("solution") and bool(meta.get("grade") or meta.get("locked"))


def nbgrader_checksum(cell) -> str:
    """The checksum nbgrader 0.9 computes for a cell (``nbgrader.utils.compute_checksum``).

    MD5 of the source, the cell type, the grade/solution/locked flags (as nbgrader reads them),
    the ``grade_id`` and, for a grade cell, its points as a float.
    """
    import hashlib

    if not (
        isinstance(cell, dict)
        and isinstance(cell.get("source"), str)
        and isinstance(cell.get("cell_type"), str)
        and isinstance(cell.get("metadata", {}), dict)
    ):
        fail("cell", "a notebook cell (nbformat.NotebookNode)", describe(cell), kind=True)
    meta = _nbgrader(cell)
    if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str):
        fail("cell", "a cell with nbgrader metadata (a grade_id)", describe(meta))
    grade, solution = bool(meta.get("grade")), bool(meta.get("solution"))
    locked = False if solution else (True if grade else bool(meta.get("locked")))
    md5 = hashlib.md5(usedforsecurity=False)
    for part in (cell["source"], cell["cell_type"], str(grade), str(solution), str(locked)):
        md5.update(part.encode("utf-8"))
    md5.update(meta["grade_id"].encode("utf-8"))
    if grade:
        points = meta.get("points")
        if not isinstance(points, int | float) or isinstance(points, bool):
            fail("cell", "a grade cell with numeric nbgrader points", describe(points))
        md5.update(str(float(points)).encode("utf-8"))
    return md5.hexdigest()


def _keep_going_lines(names: list[str], needs: dict[str, list[str]]) -> str:
    quoted = lambda items: ", ".join(f'"{n}"' for n in items)  # noqa: E731 (identifiers)
    listed = quoted(names)
    if needs:
        pairs = ", ".join(f'"{k}": [{quoted(v)}]' for k, v in needs.items())
        listed += f", needs={{{pairs}}}"
    return (
        "\n\n# Student version: a cell that stops at an unsolved exercise prints one line\n"
        '# ("not implemented yet") instead of a traceback, so Run all goes to the end.\n'
        "from cvutils.grading import keep_going\n\n"
        f"keep_going({listed})\n"
    )


def student_notebook(nb, path: Any = None):
    """Returns the student version of ``nb`` (a copy) and its exercises.

    Solutions become ``raise NotImplementedError()`` (signature, docstring and ``# Hint:``
    lines kept); outputs and execution counts are stripped; every later cell that depends on
    an exercise (`dependencies`: it calls the function, or reads what such a cell computes)
    runs inside `until_implemented`, so an unsolved exercise prints "not implemented yet" and
    the notebook still runs to the end. The check cells are the exception: nbgrader locks
    them and checksums their source, so they keep it byte for byte (and carry nbgrader's
    checksum); the setup cell (the first code cell) calls `keep_going`, which gives them the
    same one-line "not implemented yet" in a learner's kernel.

    Raises:
        NotebookError: see `find_exercises`, or if a solution line survived.
    """
    _check_nb(nb)
    out = copy.deepcopy(nb)
    exercises = _annotate(out, path)  # a student version always carries its exercise ids
    needs = dependencies(out, exercises)
    leaked = []
    for i, cell in enumerate(out.cells):
        if cell.cell_type != "code":
            continue
        if BEGIN in cell.source:
            leaked += solution_lines(cell.source)
            cell.source = strip_solutions(cell.source)
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        if i in needs and not _is_locked(cell):
            cell.source = _wrap(cell.source, needs[i])
    setup = next((i for i, c in enumerate(out.cells) if c.cell_type == "code"), None)
    if exercises and setup is not None:
        extra = {}  # what a check cell needs beyond the exercises it names
        for ex in exercises:
            named = set(_uses(out.cells[ex.check_cell].source, [e.name for e in exercises]))
            more = [n for n in needs.get(ex.check_cell, []) if n not in named]
            if more:
                extra[ex.name] = more
        lines = _keep_going_lines([ex.name for ex in exercises], extra)
        if _nbgrader(out.cells[setup]) or setup in {ex.cell for ex in exercises}:
            from nbformat.v4 import new_code_cell

            out.cells.insert(setup, new_code_cell(lines.strip()))
            exercises = find_exercises(out, path)
        else:
            out.cells[setup].source = out.cells[setup].source.rstrip() + lines.rstrip()
    for cell in out.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and "grade_id" in meta:
            meta["checksum"] = nbgrader_checksum(cell)
            if _is_locked(cell):  # as in nbgrader's release: Jupyter keeps them as they are
                cell.metadata["editable"] = cell.metadata["deletable"] = False
    out.metadata["cvutils"] = {
        "assignment": (nb.metadata.get("cvutils") or {}).get("assignment", Path(str(path)).stem),
        "version": "student",
    }
    public = "\n".join(c.source for c in nb.cells if c.cell_type != "code" or BEGIN not in c.source)
    text = "\n".join(c.source for c in out.cells)
    bad = [line for line in leaked if line not in public and line in text]
    if bad:
        raise NotebookError(f"{_cell_location(path)}: solution lines survived: {bad[:3]}")
    return out, exercises


def student_version(src: Any, dst: Any) -> int:
    """Writes the student version of notebook ``src`` to ``dst``; returns its exercise count.

    The file is written atomically (temporary file, then rename); ``src`` is never written.

    Raises:
        NotebookError: ``src`` is not a valid exercise notebook, or ``dst`` is ``src``.

    Taught in notebooks/00_setup_and_tour.ipynb (for instructors: README, "For instructors").
    """
    src = check_path("src", src)
    dst = check_path("dst", dst)
    nb = read_notebook(src, "src")
    out, exercises = student_notebook(nb, src)
    write_notebook(out, dst, protect=(src,))
    return len(exercises)


_UNSOLVED: set[str] = set()  # exercises seen raising NotImplementedError in this kernel


@contextlib.contextmanager
def until_implemented(*names: str):
    """Runs a cell that needs exercises ``names``; an unsolved one prints "not implemented yet".

    Used by the student versions around every cell that depends on an exercise, so that
    "Run all" goes to the end of an unfinished notebook. A `NotImplementedError` becomes one
    line; so does any other error while one of ``names`` was last seen unsolved in this kernel
    (the cell reads a value that an unsolved exercise did not compute). Once the exercises'
    cells run without `NotImplementedError`, errors show again.

    Examples:
        >>> with until_implemented("zero_pad"):
        ...     raise NotImplementedError()
        zero_pad: not implemented yet (write it in its exercise cell, then run this cell again)

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    for i, n in enumerate(names):
        check_str(f"names[{i}]", n)
    what = ", ".join(names) or "this exercise"
    try:
        yield
    except NotImplementedError as err:
        _UNSOLVED.update(names)
        code, raiser = _raiser(err.__traceback__)
        if raiser in names:
            _STUBS[raiser] = code
        print(
            f"{what}: not implemented yet (write it in its exercise cell, then run this cell again)"
        )
    except Exception as err:
        unsolved = sorted(_UNSOLVED.intersection(names))
        if not unsolved:
            raise
        print(
            f"{', '.join(unsolved)}: not implemented yet; this cell needs it "
            f"({type(err).__name__}: {str(err)[:80]})"
        )
    else:
        _UNSOLVED.difference_update(names)


def _raiser(tb):
    """The code object and function name of the innermost frame of traceback ``tb``."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return (tb.tb_frame.f_code, tb.tb_frame.f_code.co_name) if tb is not None else (None, "")


_STUBS: dict[str, Any] = {}  # exercise -> the code object seen raising NotImplementedError


class _KeepGoing:
    """The IPython hooks behind `keep_going` (one instance per kernel)."""

    def __init__(self, shell, names: tuple[str, ...], needs: dict[str, list[str]]):
        self.shell = shell
        self.names = set(names)
        self.needs = needs
        self.source = ""
        self.quiet = False  # the running cell's error was printed as one line

    def unsolved(self, names) -> list[str]:
        """Those of ``names`` whose function is still the one seen raising NotImplementedError."""
        out = []
        for n in sorted(set(names) & self.names):
            code = getattr(self.shell.user_ns.get(n), "__code__", None)
            if (n in _STUBS and code is _STUBS[n]) or (n not in _STUBS and n in _UNSOLVED):
                out.append(n)
        return out

    def pre_run_cell(self, info=None) -> None:
        self.source = getattr(info, "raw_cell", "") or ""
        self.quiet = False

    def post_run_cell(self, result=None) -> None:
        if result is not None and self.quiet:
            result.error_in_exec = None  # the cell ends "ok": Run all goes on
        elif result is not None and result.success:
            _UNSOLVED.difference_update(_uses(self.source, sorted(self.names)))
        self.quiet = False

    def handler(self, shell, etype, value, tb, tb_offset=None):
        import sys

        used = _uses(self.source, sorted(self.names)) if self.source else []
        if issubclass(etype, NotImplementedError):
            code, raiser = _raiser(tb)
            if raiser in self.names:
                _STUBS[raiser] = code
            what = [raiser] if raiser in self.names else used
            _UNSOLVED.update(what)
            detail = f" ({value})" if str(value) else ""
            line = (
                f"{', '.join(what) or 'this exercise'}: not implemented yet{detail} "
                "(write it in its exercise cell, then run this cell again)"
            )
        else:
            needed = set(used).union(*(self.needs.get(n, ()) for n in used))
            unsolved = self.unsolved(needed)
            if not unsolved:
                shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
                return None
            line = (
                f"{', '.join(unsolved)}: not implemented yet; this cell needs it "
                f"({type(value).__name__}: {str(value)[:80] or 'no message'})"
            )
        print(line, file=sys.stderr)  # stderr: nbgrader scores a test cell with it 0
        self.quiet = True
        return None


_KEEP_GOING: list[_KeepGoing] = []


def keep_going(*names: str, needs: dict | None = None) -> bool:
    """In this IPython kernel, a cell that stops at an unsolved exercise prints one line.

    Called by the setup cell of a student version with its exercise ids. Afterwards a cell
    that raises `NotImplementedError` (an unsolved exercise's stub), or that fails in any
    way while one of ``names`` is unsolved and the cell refers to one of them, prints
    "<exercise>: not implemented yet ..." on stderr instead of a traceback and counts as
    run, so "Run all" goes to the end of an unfinished notebook; any other error shows its
    traceback as usual (an exercise counts as unsolved while its function is the stub that
    raised; redefining it ends that). This is what `until_implemented` does for the lesson's
    cells, for the
    cells whose source must stay as it is (nbgrader's locked check cells). Under nbgrader
    (``NBGRADER_EXECUTION`` set by ``nbgrader autograde`` and ``validate``) it does nothing, so
    nbgrader sees the errors; the line on stderr would score the test cell 0 there anyway.

    Args:
        names: the exercise ids (function names) of the notebook.
        needs: ``{exercise: [exercises]}``: a cell that refers to the key also needs the values
            (the check cell of ``rmsprop_step`` reads what a cell computed with
            ``momentum_step``); `student_notebook` derives it with `dependencies`.

    Returns:
        True when installed; False outside an IPython kernel or under nbgrader.

    Taught in notebooks/00_setup_and_tour.ipynb (for instructors: README, "For instructors").
    """
    for i, n in enumerate(names):
        check_str(f"names[{i}]", n)
    needs = {} if needs is None else needs
    if not isinstance(needs, dict) or not all(
        isinstance(k, str) and isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)
        for k, v in needs.items()
    ):
        fail("needs", "a dict of exercise name -> list of exercise names", describe(needs))
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    for old in _KEEP_GOING:  # running the setup cell again replaces the hooks
        for event in ("pre_run_cell", "post_run_cell"):
            with contextlib.suppress(ValueError):
                shell.events.unregister(event, getattr(old, event))
    _KEEP_GOING.clear()
    hooks = _KeepGoing(shell, names, {k: list(v) for k, v in needs.items()})
    _KEEP_GOING.append(hooks)
    shell.events.register("pre_run_cell", hooks.pre_run_cell)
    shell.events.register("post_run_cell", hooks.post_run_cell)
    shell.set_custom_exc((Exception,), hooks.handler)
    hooks.quiet = False
    return True


def exercise_notebooks(paths: list[Any]) -> list[Path]:
    """The ``.ipynb`` files among ``paths`` (folders are searched, sorted) that hold exercises."""
    if isinstance(paths, str | bytes | os.PathLike) or not isinstance(paths, list | tuple):
        fail("paths", "a list of notebook or folder paths", describe(paths), kind=True)
    out = []
    for i, p in enumerate(paths):
        p = check_path(f"paths[{i}]", p, must_exist=True)
        files = sorted(p.glob("[0-9]*.ipynb")) if p.is_dir() else [p]
        for f in files:
            if find_exercises(read_notebook(f), f):
                out.append(f)
    if not out:
        fail("paths", "notebooks with exercises", repr([str(p) for p in paths]))
    return out

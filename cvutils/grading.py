"""Exercises: solution markers, student versions, public checks and a small autograder.

A graded exercise is a code cell whose solution sits between two marker lines::

    def zero_pad(X, pad):
        ### BEGIN SOLUTION
        return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        ### END SOLUTION

`student_version` replaces every solution block with ``raise NotImplementedError`` (kept
at the block's indentation) and strips outputs; the cell after it holds a public check
(`check`) that compares the learner's answer with the reference on seeded inputs.

Command line::

    python -m cvutils.grading student notebooks/04_x.ipynb build/student/04_x.ipynb
    python -m cvutils.grading grade build/student/04_x.ipynb   # executes, counts passing checks
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_BLOCK = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.M | re.S
)


class CheckFailed(AssertionError):
    """A public check failed; the message says what was expected and how it differs."""


def check(name: str, got, expected, *, atol: float = 1e-8, rtol: float = 1e-6) -> None:
    """Compares a learner's result with the reference and prints a helpful message.

    Args:
        name: what is being checked, e.g. ``"zero_pad(X, 2)"``.
        got: the learner's value (array, scalar, tuple of arrays).
        expected: the reference value, same structure.
        atol, rtol: tolerances for `numpy.allclose`.

    Raises:
        CheckFailed: with the shape, dtype or values that differ.
    """
    if isinstance(expected, (tuple, list)) and not np.isscalar(expected):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise CheckFailed(
                f"{name}: expected a tuple of {len(expected)} values, got {type(got).__name__}"
            )
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            check(f"{name}[{i}]", g, e, atol=atol, rtol=rtol)
        if name and not name.endswith("]"):
            print(f"{name}: all {len(expected)} parts correct")
        return
    g = np.asarray(got)
    e = np.asarray(expected)
    if g.shape != e.shape:
        raise CheckFailed(f"{name}: shape {g.shape}, expected {e.shape}")
    if g.dtype.kind in "fc" and not np.all(np.isfinite(g)):
        raise CheckFailed(f"{name}: contains NaN or inf")
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        diff = np.abs(g.astype(float) - e.astype(float))
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        raise CheckFailed(
            f"{name}: values differ; largest difference {diff.max():.3g} "
            f"at index {tuple(int(i) for i in where)}"
            f" (got {g[where] if diff.ndim else g}, expected {e[where] if diff.ndim else e})"
        )
    if not name.endswith("]"):
        print(f"{name}: correct")


def strip_solutions(source: str, replacement: str = "raise NotImplementedError") -> str:
    """Replaces each solution block in ``source`` with ``replacement`` at the block's indent.

    Raises:
        ValueError: if BEGIN and END markers do not pair up.
    """
    if source.count(BEGIN) != source.count(END):
        raise ValueError(
            f"source has {source.count(BEGIN)} '{BEGIN}' but {source.count(END)} '{END}' markers"
        )

    def repl(match: re.Match) -> str:
        indent = match.group(1)
        return f"{indent}# YOUR CODE HERE\n{indent}{replacement}{match.group(2)}"

    return _BLOCK.sub(repl, source)


def student_version(src: str | os.PathLike, dst: str | os.PathLike) -> int:
    """Writes the student version of notebook ``src`` to ``dst``; returns the number of exercises.

    The file is written atomically (temporary file, then rename).
    """
    import nbformat

    nb = nbformat.read(src, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            n = cell.source.count(BEGIN)
            if n:
                cell.source = strip_solutions(cell.source)
                count += n
            cell.outputs = []
            cell.execution_count = None
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, suffix=".ipynb.part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(nb, fh)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count


def grade(path: str | os.PathLike, timeout: int = 600) -> dict:
    """Executes a (student) notebook cell by cell and counts the exercises whose check passed.

    Every cell that calls `check(` is one graded check; it passes when it runs without error.
    (Cells that only define a solution are not counted: a definition whose body is
    ``raise NotImplementedError`` runs fine and proves nothing.) Execution goes on after a
    failing cell.

    Returns:
        ``{"passed": int, "failed": int, "failures": [(cell_index, first error line), ...]}``.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute()
    passed, failures = 0, []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "check(" not in cell.source:
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            failures.append((i, f"{errors[0]['ename']}: {errors[0]['evalue']}"))
        else:
            passed += 1
    return {"passed": passed, "failed": len(failures), "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cvutils.grading", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="write the student version of a notebook")
    s.add_argument("src")
    s.add_argument("dst")
    g = sub.add_parser("grade", help="execute a notebook and count passing graded cells")
    g.add_argument("path")
    args = parser.parse_args(argv)
    if args.command == "student":
        n = student_version(args.src, args.dst)
        print(f"{args.dst}: {n} exercises")
        return 0
    result = grade(args.path)
    print(f"{args.path}: {result['passed']} passed, {result['failed']} failed")
    for i, msg in result["failures"]:
        print(f"  cell {i}: {msg}")
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

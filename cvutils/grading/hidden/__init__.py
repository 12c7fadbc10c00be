"""Hidden tests: per exercise, inputs the public checks do not use and a reference.

One file per assignment, named like its notebook (``04_convolution_step_by_step.py``),
defining ``TESTS``, a list of `HiddenTest`. They ship with the package, outside the student
notebooks; an instructor can keep their own in a folder of the same layout and pass it to
the autograder (``--hidden DIR``). The learner's function runs in the submission's kernel;
the reference and the comparison run in the grader's process.

Graded notebooks: every notebook with exercises (one hidden-test file each, listed in
the README's "For instructors" section; a test keeps the two equal).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvutils.checks import check_path, check_str

HERE = Path(__file__).resolve().parent
KINDS = (
    "function",
    "keras_model",
    "keras_block",
    "keras_call",
    "keras_model_outputs",
    "keras_block_outputs",
)


@dataclass(frozen=True)
class HiddenTest:
    """The hidden test of one exercise.

    Attributes:
        name: the exercise id, the learner's function (``conv_forward``).
        points: what the exercise is worth (must equal its notebook header line).
        cases: a function returning ``[(label, args, kwargs), ...]``, fresh each call.
        reference: the reference implementation, called as ``reference(*args, **kwargs)``.
        forbidden: dotted names of the package's own implementations of this exercise; a
            learner function that reaches one of them scores zero (delegation).
        select: compare only this item of the returned tuple (None: the whole value).
        atol, rtol: tolerances of the comparison.
        kind: "function" compares what the learner's function returns; "keras_model" (the
            function returns a `keras.Model`) compares ``((layer class, output shape,
            parameters), ...)`` of its layers; "keras_block" (the function builds a block on
            a Keras tensor: each case's first argument is an input *shape*, the grader makes
            the `keras.Input`) compares ``(output shape, parameters, trainable parameters,
            has a residual Add)``; "keras_call" (the function builds a Keras model or layer,
            e.g. a seeded augmenter: each case's first argument is an input batch) compares the
            model's output on that batch with ``training=True``; "keras_model_outputs" and
            "keras_block_outputs" (each case's first argument is an input batch) compare the
            outputs of the model (or of the block built on a ``keras.Input``) on that batch
            after its weights are set from a seed by position (`_harness.seeded_outputs`), so
            a wrong activation or layer order fails. The reference returns the same summary or
            output (see `cvutils.grading._harness`).
        upstream: what stands in for this exercise while the *other* exercises are graded
            (so that a learner's wrong answer here costs only this exercise): the dotted name
            of a drop-in implementation (same signature and return types as the exercise);
            None (default) picks the entry of ``forbidden`` named like the exercise, if any;
            ``""`` (or no such entry) uses ``reference``.
    """

    name: str
    points: float
    cases: Callable[[], Sequence[tuple[str, tuple, dict]]]
    reference: Callable[..., Any]
    forbidden: tuple[str, ...] = field(default_factory=tuple)
    select: int | None = None
    atol: float = 1e-8
    rtol: float = 1e-6
    kind: str = "function"
    upstream: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {self.kind!r}.")


def assignments(directory: Any = None) -> list[str]:
    """The assignments (notebook stems) that have hidden tests in ``directory`` (default: here)."""
    folder = HERE if directory is None else check_path("directory", directory, kind="dir")
    return sorted(p.stem for p in folder.glob("[0-9]*.py"))


def load(assignment: str, directory: Any = None) -> dict[str, HiddenTest]:
    """The hidden tests of ``assignment``, by exercise id.

    Raises:
        ValueError: no hidden tests for that assignment, or a malformed file.
    """
    path, source = read_source(assignment, directory)
    return load_source(assignment, source, path)


def read_source(assignment: str, directory: Any = None) -> tuple[Path, str]:
    """``(path, text)`` of the hidden-test file of ``assignment`` (read once, before grading).

    Raises:
        ValueError: no hidden tests for that assignment.
    """
    check_str("assignment", assignment)
    folder = HERE if directory is None else check_path("directory", directory, kind="dir")
    path = folder / f"{assignment}.py"
    if not path.is_file():
        raise ValueError(
            f"assignment must be one with hidden tests {assignments(directory)}; "
            f"got {assignment!r} (no {path})."
        )
    return path, path.read_text(encoding="utf-8")


def load_source(
    assignment: str, source: str, path: Any = "<hidden tests>"
) -> dict[str, HiddenTest]:
    """The hidden tests defined by ``source`` (the text of a hidden-test file), by exercise id.

    The grader loads the tests from the text it read before any submission ran, so that a
    submission that rewrites the file cannot change what the next one is graded with.

    Raises:
        ValueError: a malformed file.
    """
    check_str("assignment", assignment)
    check_str("source", source)
    module = types.ModuleType(f"cvutils_hidden_{assignment}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    tests = getattr(module, "TESTS", None)
    if not isinstance(tests, list) or not all(isinstance(t, HiddenTest) for t in tests):
        raise ValueError(f"{path} must define TESTS, a list of HiddenTest")
    return {t.name: t for t in tests}

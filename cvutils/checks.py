"""Argument checks shared by every cvutils module: the one place where input is refused.

Every check raises with one message form, ``"<name> must be <expected>; got <actual>."``,
so a learner's mistake is reported in the same words wherever it happens. A value of the
wrong *kind* (a string where a number belongs, ``None`` where an array belongs) raises
`ArgumentTypeError`, which is both a `TypeError` and a `ValueError`; a value of the right
kind but wrong size, range or content raises `ValueError`. Catch ``ValueError`` to catch
both.

Rules that hold everywhere:

* Booleans are not numbers: ``True`` is refused where an int or a real is expected, and only
  ``True``/``False`` (or NumPy booleans) are accepted where a flag is expected.
* Arrays must hold real numbers (no complex, strings, objects or ragged lists) and, unless a
  check says otherwise, only finite ones.
* Integer-valued floats are **accepted** as class labels (``[0.0, 2.0]`` becomes
  ``[0, 2]``); any other float label is refused.
* File names stay inside their directory: no separators, no ``..``.

Examples:
    >>> check_int("stride", 2, minimum=1)
    2
    >>> check_int("stride", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: stride must be an integer >= 1; got 0.
    >>> check_labels("y", [0.0, 2.0], n_classes=3)
    array([0, 2])
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MAX_COUNT",
    "MAX_PARAMS",
    "ArgumentTypeError",
    "check_array",
    "check_bool",
    "check_callable",
    "check_choice",
    "check_filename",
    "check_float_tensor",
    "check_int",
    "check_labels",
    "check_path",
    "check_real",
    "check_renamed",
    "check_same_length",
    "check_same_shape",
    "check_shape",
    "check_size",
    "check_str",
    "check_tensor",
    "describe",
    "fail",
]

#: A sane upper bound for counts and sizes a learner passes (samples, filters, pixels).
MAX_COUNT = 10**8

#: The most weights one layer or network built by cvutils may hold (see `check_size`):
#: 10**8 float32 values are 400 MB, far beyond what the course's networks need (VGG-16 has
#: 1.4 * 10**8 weights at 224x224 with its 1000 classes; every builder here is smaller).
MAX_PARAMS = 2 * 10**8


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind; a `TypeError` that ``except ValueError`` also catches."""


def describe(value: Any, limit: int = 60) -> str:
    """A short description of ``value`` for an error message.

    Arrays are described by shape and dtype, everything else by a truncated ``repr`` and
    its type name.

    Examples:
        >>> describe(np.zeros((2, 3)))
        'an array of shape (2, 3) and dtype float64'
        >>> describe("abc")
        "'abc' (str)"
    """
    if isinstance(value, np.ndarray) or (
        hasattr(value, "shape") and hasattr(value, "dtype") and not np.isscalar(value)
    ):
        try:
            shape = tuple(int(d) if d is not None else None for d in value.shape)
        except TypeError:  # symbolic shapes
            shape = value.shape
        return f"an array of shape {shape} and dtype {getattr(value.dtype, 'name', value.dtype)}"
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{text} ({type(value).__name__})"


def fail(name: str, expected: str, got: str, *, kind: bool = False) -> None:
    """Raises the one error form: ``"<name> must be <expected>; got <got>."``.

    Args:
        name: the argument's name.
        expected: what was expected, e.g. ``"an integer >= 1"``.
        got: what was received, already described (see `describe`).
        kind: True when the value is of the wrong kind (raises `ArgumentTypeError`).

    Raises:
        ValueError: always (`ArgumentTypeError` when ``kind`` is True, or when ``name``,
            ``expected`` or ``got`` is not a string: then the message names that one).
    """
    for arg, text in (("name", name), ("expected", expected), ("got", got)):
        if not isinstance(text, str):
            raise ArgumentTypeError(f"{arg} must be a string; got {describe(text)}.")
    cls = ArgumentTypeError if kind else ValueError
    got = got.rstrip(".")
    raise cls(f"{name} must be {expected}; got {got}.")


def check_int(name: str, value: Any, minimum: int | None = 0, maximum: int | None = None) -> int:
    """Returns ``value`` as an ``int`` if it is an integer (not a bool) in range, else raises.

    Args:
        name: the argument's name, used in the message.
        value: what was received (a Python or NumPy integer).
        minimum: smallest allowed value (None: no lower bound).
        maximum: largest allowed value (None: no upper bound).

    Raises:
        ArgumentTypeError: ``value`` is not an integer.
        ValueError: ``value`` is out of range.
    """
    if minimum is None and maximum is None:
        expected = "an integer"
    elif maximum is None:
        expected = f"an integer >= {minimum}"
    elif minimum is None:
        expected = f"an integer <= {maximum}"
    else:
        expected = f"an integer in {minimum}..{maximum}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        fail(name, expected, describe(value), kind=True)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        fail(name, expected, repr(int(value)))
    return int(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """Returns ``value`` as a float if it is a finite real number (not a bool) in range.

    Args:
        name: the argument's name, used in the message.
        value: what was received.
        low, high: the bounds (None: unbounded on that side).
        low_open, high_open: whether the bound itself is excluded (default ``[low, high)``).

    Raises:
        ArgumentTypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN, infinite or out of range.
    """
    lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
    hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
    expected = f"a finite real number in {lo}, {hi}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        fail(name, expected, describe(value), kind=True)
    if not math.isfinite(value):
        fail(name, expected, repr(value))
    value = float(value)
    too_low = low is not None and (value < low or (low_open and value == low))
    too_high = high is not None and (value > high or (high_open and value == high))
    if too_low or too_high:
        fail(name, f"in {lo}, {hi}", repr(value))
    return value


def check_renamed(name: str, value: Any, default: Any, old_name: str, old_value: Any) -> Any:
    """The value of an argument that was renamed: ``value``, or the one passed by its old name.

    A function that renames an argument keeps the old name as a keyword-only argument that
    defaults to None, and calls this first, so that old calls keep working. ``value`` equal to
    ``default`` (of the same type) counts as "not given".

    Args:
        name: the argument's (new) name.
        value: what was passed under ``name`` (or its default).
        default: the default of ``name`` in the signature.
        old_name: the argument's old name.
        old_value: what was passed under ``old_name``; None when it was not used.

    Returns:
        ``old_value`` when the old name was used, else ``value`` (unchecked either way: the
        caller checks it under ``name``).

    Raises:
        ValueError: both names were given.

    Examples:
        >>> check_renamed("n_classes", 10, 10, "classes", 4)
        4
        >>> check_renamed("n_classes", 5, 10, "classes", None)
        5
    """
    if old_value is None:
        return value
    if not (value is default or (type(value) is type(default) and value == default)):
        fail(
            old_name,
            f"left out when {name} is given (it is {name}'s old name)",
            describe(old_value),
        )
    return old_value


def check_bool(name: str, value: Any) -> bool:
    """Returns ``value`` if it is ``True`` or ``False`` (or a NumPy bool), else raises.

    ``"no"``, ``0``, ``2`` and ``None`` are refused: a flag is a flag.
    """
    if not isinstance(value, bool | np.bool_):
        fail(name, "True or False", describe(value), kind=True)
    return bool(value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Returns ``value`` if it is one of ``choices`` (compared with ``==``), else raises."""
    choices = tuple(choices)
    try:
        ok = any(type(value) is type(c) and value == c for c in choices)
    except Exception:  # exotic __eq__
        ok = False
    if not ok:
        listed = ", ".join(repr(c) for c in choices)
        fail(name, f"one of {listed}", describe(value), kind=not isinstance(value, str))
    return value


def check_str(name: str, value: Any, *, allow_empty: bool = False) -> str:
    """Returns ``value`` if it is a string (non-empty unless ``allow_empty``), else raises."""
    if not isinstance(value, str):
        fail(name, "a string", describe(value), kind=True)
    if not allow_empty and not value:
        fail(name, "a non-empty string", "''")
    return value


def check_callable(name: str, value: Any) -> Callable:
    """Returns ``value`` if it is callable, else raises."""
    if not callable(value):
        fail(name, "callable", describe(value), kind=True)
    return value


def check_path(name: str, value: Any, *, must_exist: bool = False, kind: str = "any") -> Path:
    """Returns ``value`` as a `Path` if it is a string or path-like (not an int), else raises.

    Args:
        name: the argument's name.
        value: a ``str`` or ``os.PathLike`` (an integer file descriptor is refused).
        must_exist: require the path to exist.
        kind: ``"file"``, ``"dir"`` or ``"any"``: what an existing path must be.
    """
    if not isinstance(value, str | os.PathLike) or isinstance(value, bytes):
        fail(name, "a path (str or os.PathLike)", describe(value), kind=True)
    path = Path(value)
    if not str(value):
        fail(name, "a non-empty path", "''")
    if must_exist and not path.exists():
        fail(name, "an existing path", repr(str(path)))
    if path.exists() and kind == "file" and not path.is_file():
        fail(name, "a file", f"{str(path)!r}, which is not a regular file")
    if path.exists() and kind == "dir" and not path.is_dir():
        fail(name, "a directory", f"{str(path)!r}, which is not a directory")
    return path


def check_filename(name: str, value: Any) -> str:
    """Returns ``value`` if it is a plain file name that stays inside its directory.

    Refused: non-strings, empty names, ``.`` and ``..``, and names holding a path separator.

    Examples:
        >>> check_filename("filename", "mnist.npz")
        'mnist.npz'
    """
    check_str(name, value)
    seps = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
    if value in {".", ".."} or any(s in value for s in seps) or "\x00" in value:
        fail(name, "a plain file name without separators or '..'", repr(value))
    return value


def _to_array(name: str, x: Any) -> np.ndarray:
    if x is None:
        fail(name, "an array", "None", kind=True)
    if isinstance(x, str | bytes):
        fail(name, "a numeric array", describe(x), kind=True)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged lists, objects that refuse conversion
        fail(name, "a numeric array of consistent shape", f"{describe(x)}: {err}", kind=True)
    return arr


def check_array(
    name: str,
    x: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    min_ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    dtype: Any = None,
    finite: bool = True,
    allow_empty: bool = True,
    cast: bool = True,
    layout: str = "",
) -> np.ndarray:
    """Converts ``x`` to a real NumPy array and checks it, or raises naming ``name``.

    Args:
        name: the argument's name, used in the message.
        x: array-like: a NumPy array, a nested list, an eager TensorFlow tensor.
        ndim: the allowed rank, or a sequence of allowed ranks (None: any).
        min_ndim: the smallest allowed rank (None: any).
        shape: the expected shape, ``None`` entries matching any size, e.g. ``(None, 4)``.
        dtype: ``None`` keeps any real dtype (booleans become int64); ``"float"`` keeps
            floating arrays and promotes integers to float64; ``"int"`` requires integers;
            a NumPy dtype casts to it (or, with ``cast=False``, requires it exactly).
        finite: refuse NaN and infinities.
        allow_empty: accept arrays with zero elements.
        cast: with a NumPy ``dtype``, cast to it (True) or require it (False).
        layout: a reminder of the expected layout for the message, e.g. ``"(m, n_H, n_W, n_C)"``.

    Returns:
        The array (a view of ``x`` where no conversion was needed; callers never write to it).

    Raises:
        ArgumentTypeError: ``x`` is not a real numeric array (None, strings, complex, objects).
        ValueError: wrong rank or shape, empty when not allowed, or NaN/inf when ``finite``.

    Examples:
        >>> check_array("X", [[1, 2]], ndim=2, dtype="float")
        array([[1., 2.]])
        >>> check_array("X", [1, 2], ndim=2, layout="(m, n)")
        Traceback (most recent call last):
        ...
        ValueError: X must be an array of rank 2 (m, n); got an array of shape (2,) and dtype int64.
    """
    arr = _to_array(name, x)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        fail(name, "an array of real numbers", describe(arr), kind=True)
    where = f" {layout}" if layout else ""
    if ndim is not None:
        ndims = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if arr.ndim not in ndims:
            want = " or ".join(str(d) for d in ndims)
            fail(name, f"an array of rank {want}{where}", describe(arr))
    if min_ndim is not None and arr.ndim < min_ndim:
        fail(name, f"an array of rank >= {min_ndim}{where}", describe(arr))
    if shape is not None:
        shape = tuple(shape)
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            fail(name, f"an array of shape {want}{where}", describe(arr))
    if not allow_empty and arr.size == 0:
        fail(name, "a non-empty array", describe(arr))
    if dtype is not None:
        if isinstance(dtype, str) and dtype == "float":
            if arr.dtype.kind != "f":
                arr = arr.astype(np.float64)
        elif isinstance(dtype, str) and dtype == "int":
            if arr.dtype.kind not in "iu":
                fail(name, "an array of integers", describe(arr), kind=True)
        else:
            want = np.dtype(dtype)
            if arr.dtype != want:
                if not cast:
                    fail(name, f"an array of dtype {want.name}", describe(arr), kind=True)
                arr = arr.astype(want)
    if finite and arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        fail(name, "an array of finite numbers", f"{bad} NaN or inf value(s) in {describe(arr)}")
    return arr


def check_labels(
    name: str, y: Any, n_classes: int | None = None, *, n: int | None = None
) -> np.ndarray:
    """Checks 1-D integer class labels and returns them as ``int64``.

    Integer-valued floats (``2.0``) are accepted and converted; any other float, a boolean
    array, NaN, or a label outside ``0..n_classes-1`` is refused.

    Args:
        name: the argument's name.
        y: ``(n,)`` class indices.
        n_classes: the number of classes (None: only non-negativity is checked).
        n: the expected number of labels, e.g. the number of examples (None: any).

    Returns:
        ``(n,)`` int64 array.

    Examples:
        >>> check_labels("y", [1, 0], n_classes=2, n=2)
        array([1, 0])
        >>> check_labels("y", [0, 3], n_classes=3)
        Traceback (most recent call last):
        ...
        ValueError: y must be class indices in 0..2; got values in 0..3.
    """
    arr = _to_array(name, y)
    if arr.dtype == np.bool_ or arr.dtype.kind not in "iuf":
        fail(name, "integer class indices", describe(arr), kind=True)
    if arr.ndim != 1:
        fail(name, "a 1-D array of class indices", describe(arr))
    if n is not None and arr.shape[0] != n:
        fail(name, f"{n} labels (one per example)", f"{arr.shape[0]} labels")
    if arr.dtype.kind == "f":
        if not (np.isfinite(arr).all() and np.array_equal(arr, np.round(arr))):
            fail(name, "integer class indices (integer-valued floats are accepted)", describe(arr))
    arr = arr.astype(np.int64)
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or (n_classes is not None and hi >= n_classes):
            want = "non-negative" if n_classes is None else f"in 0..{n_classes - 1}"
            fail(name, f"class indices {want}", f"values in {lo}..{hi}")
    return arr


def check_same_length(name_a: str, a: Any, name_b: str, b: Any) -> int:
    """Checks that ``a`` and ``b`` have the same length (first axis) and returns it."""
    try:
        la, lb = len(a), len(b)
    except TypeError as err:
        fail(f"{name_a} and {name_b}", "sized sequences or arrays", str(err), kind=True)
    if la != lb:
        fail(name_b, f"of the same length as {name_a} ({la})", f"length {lb}")
    return la


def check_shape(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    minimum: int = 1,
    maximum: int = MAX_COUNT,
) -> tuple[int, ...]:
    """Checks a shape tuple such as an ``input_shape``: a sequence of integers in range.

    The one place where a shape becomes a tuple: a tuple, a list or a 1-D NumPy array of
    integers (``np.array(image.shape)``) is accepted, and a tuple of Python ints returned.

    Examples:
        >>> check_shape("input_shape", (64, 64, 3), ndim=3)
        (64, 64, 3)
        >>> check_shape("image_shape", np.array([720, 1280]), ndim=2)
        (720, 1280)
    """
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value.tolist())
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        fail(name, "a tuple of integers", describe(value), kind=True)
    if ndim is not None:
        ndims = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if len(value) not in ndims:
            want = " or ".join(str(d) for d in ndims)
            fail(name, f"a tuple of {want} integers", describe(value))
    out = []
    for i, v in enumerate(value):
        out.append(check_int(f"{name}[{i}]", v, minimum=minimum, maximum=maximum))
    return tuple(out)


def check_size(
    name: str, count: Any, *, maximum: int = MAX_PARAMS, what: str = "weights", detail: str = ""
) -> int:
    """Refuses a size (weights, values) beyond ``maximum`` *before* anything is allocated.

    A builder computes what its arguments would allocate (exactly, with Python integers that
    cannot overflow) and calls this first, so that a huge width is refused at once instead of
    hanging while TensorFlow tries to allocate it (and then raising ``ResourceExhaustedError``).

    Args:
        name: the argument (or arguments, e.g. ``"filters and kernel_size"``) that set the size.
        count: the size, an integer (or an integer-valued number).
        maximum: the largest size allowed (default `MAX_PARAMS`).
        what: the unit, for the message (``"weights"``, ``"values"``).
        detail: said after the bound, e.g. ``" on input shape (1, 32, 32, 3)"``.

    Returns:
        ``count`` as an ``int``.

    Raises:
        ValueError: ``count`` exceeds ``maximum`` (or is not a finite number).

    Examples:
        >>> check_size("filters", 3 * 3 * 64 * 10**12)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: filters must be small enough for at most 200,000,000 weights; got 576,...
    """
    if isinstance(count, bool | np.bool_) or not isinstance(count, numbers.Real):
        fail(name, "a size (a number)", describe(count), kind=True)
    finite = isinstance(count, numbers.Integral) or math.isfinite(count)
    if not finite or count > maximum:
        digits = len(str(int(count))) if finite else 0
        shown = (
            repr(count)
            if not finite
            else f"{int(count):,}"
            if digits <= 24
            else (f"about 10**{digits - 1}")
        )
        fail(name, f"small enough for at most {maximum:,} {what}{detail}", f"{shown} {what}")
    return int(count)


# ----------------------------------------------------------------------------- tensors
# Keras is imported inside these functions, so that `cvutils.checks` stays importable (and
# quick to import) without TensorFlow.


def check_tensor(name: str, x: Any, dtype: str | None = None):
    """``x`` as a Keras/TensorFlow tensor of real numbers (symbolic tensors pass through).

    Args:
        name: the argument's name.
        x: an array, a nested list, an eager tensor or a symbolic `keras.KerasTensor`.
        dtype: cast to this dtype (None: keep it).

    Raises:
        ArgumentTypeError: None, strings, complex or object values.
    """
    import keras
    from keras import ops

    if x is None or isinstance(x, str | bytes):
        fail(name, "an array or tensor", describe(x), kind=True)
    if isinstance(x, keras.KerasTensor):
        return x if dtype is None else ops.cast(x, dtype)
    try:
        t = ops.convert_to_tensor(x)
    except (TypeError, ValueError) as err:
        fail(name, "a numeric array or tensor", f"{describe(x)}: {err}", kind=True)
    kind = keras.backend.standardize_dtype(t.dtype)
    if kind != "bool" and not kind.startswith(("float", "bfloat", "int", "uint")):
        fail(name, "an array or tensor of real numbers", describe(t), kind=True)
    if dtype is not None:
        t = ops.cast(t, dtype)
    return t


def check_float_tensor(name: str, x: Any):
    """`check_tensor`, then integers become floatx; float16/bfloat16 stay as they are."""
    import keras
    from keras import ops

    t = check_tensor(name, x)
    if "float" not in keras.backend.standardize_dtype(t.dtype):
        t = ops.cast(t, keras.config.floatx())
    return t


def _static_dims(name: str, x: Any) -> tuple:
    """``x.shape`` as a tuple of ints and None (unknown sizes), or the one error naming ``name``."""
    shape = getattr(x, "shape", None)
    if shape is None or isinstance(x, str | bytes):
        fail(name, "an array or tensor (with a shape)", describe(x), kind=True)
    try:
        return tuple(None if d is None else check_int(f"{name}.shape", d) for d in shape)
    except TypeError:  # a shape that is not a sequence
        fail(name, "an array or tensor (with a shape)", describe(x), kind=True)


def check_same_shape(name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Checks that ``b`` has ``a``'s static shape (unknown sizes match anything).

    Raises:
        ArgumentTypeError: ``name_a`` or ``name_b`` is not a string, or ``a`` or ``b`` has no
            shape.
        ValueError: the shapes differ.
    """
    check_str("name_a", name_a)
    check_str("name_b", name_b)
    sa = _static_dims(name_a, a)
    sb = _static_dims(name_b, b)
    if len(sa) != len(sb) or any(
        x is not None and y is not None and x != y for x, y in zip(sa, sb, strict=False)
    ):
        fail(name_b, f"of the same shape as {name_a} {sa}", describe(b))

"""Run-time settings shared by every notebook: mode, seeds, device, strategy, budgets.

Two modes decide how much a notebook trains:

* ``fast``: correctness on a laptop CPU or in CI (about a minute a notebook on 2 cores,
  offline, deterministic ops).
* ``full``: results; the notebook trains to the accuracy it promises (meant for a GPU).

The mode comes from the environment variable ``CVUTILS_MODE``; when it is unset the
mode is ``full`` if TensorFlow sees a GPU and ``fast`` otherwise. Arguments are checked with
`cvutils.checks` (``"<name> must be <expected>; got <actual>."``).

Smoke runs. ``CVUTILS_SMOKE=1`` together with ``CVUTILS_MODE=full`` marks a *smoke run*
(`is_smoke`): every full-mode cell is executed, but with tiny budgets (``CVUTILS_BUDGET``) and
miniature stand-ins of the online data (``CVUTILS_MIRROR``), so that code is never shipped
unexecuted (``make full-smoke``, ``tools/full_smoke.py``). A model trained for one epoch on a
few dozen images cannot reach the accuracy a notebook promises, so a notebook asserts its
*targets* (the trained quality it promises: an accuracy, an mAP, an IoU, a gap beyond the
noise) through `target`, never a plain ``assert``: `target` raises ``AssertionError`` when a
target is missed in every ordinary run (fast or full), and in a smoke run prints one
``target not checked (smoke run): ...`` line with the value and the threshold instead, so a
smoke run never passes a target silently. Everything else (shapes, ranges, equalities with
a reference, that a loss is finite) stays a plain ``assert`` and is checked in smoke runs too.

Taught in notebooks/00_setup_and_tour.ipynb.
"""

from __future__ import annotations

import ast
import math
import numbers
import os
import platform
import random
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from cvutils.checks import check_bool, check_int, check_real, check_str, describe, fail

MODES = ("fast", "full")
ENV_VAR = "CVUTILS_MODE"
BUDGET_VAR = "CVUTILS_BUDGET"
SEED_VAR = "CVUTILS_SEED"
SMOKE_VAR = "CVUTILS_SMOKE"


def _tf():
    """Imports TensorFlow lazily, with a message that says how to install it."""
    try:
        import tensorflow as tf
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ImportError(
            "cvutils needs TensorFlow >= 2.16. Install it with one of the package extras: "
            "`pip install -e .[cpu]` (no NVIDIA GPU), `.[gpu]` (NVIDIA GPU on Linux) or `.[tf]`."
        ) from err
    return tf


def gpus() -> list:
    """Returns the physical GPUs TensorFlow sees (an empty list on a CPU-only machine).

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    return _tf().config.list_physical_devices("GPU")


def mode() -> str:
    """Returns the run mode, ``"fast"`` or ``"full"``.

    Reads ``CVUTILS_MODE``; unset or empty means ``full`` when a GPU is visible, else ``fast``.

    Raises:
        ValueError: if ``CVUTILS_MODE`` holds anything else than ``fast`` or ``full``.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return "full" if gpus() else "fast"
    if value not in MODES:
        fail(
            ENV_VAR,
            f"one of {MODES} (set it with e.g. `export {ENV_VAR}=fast` for quick CPU runs or "
            f"`{ENV_VAR}=full` on a GPU)",
            repr(os.environ[ENV_VAR]),
        )
    return value


def is_fast() -> bool:
    """True in fast mode. Taught in notebooks/00_setup_and_tour.ipynb."""
    return mode() == "fast"


def is_smoke() -> bool:
    """True in a smoke run: ``CVUTILS_SMOKE=1`` with ``CVUTILS_MODE=full`` (see the module).

    Unset, empty or ``0`` means an ordinary run.

    Raises:
        ValueError: if ``CVUTILS_SMOKE`` holds anything else than ``0`` or ``1``, or is ``1``
            while the mode is not ``full`` (a fast run always checks its targets).
    """
    value = os.environ.get(SMOKE_VAR, "").strip()
    if value in ("", "0"):
        return False
    if value != "1":
        fail(SMOKE_VAR, "0 or 1 (1: a full-mode smoke run, `make full-smoke`)", repr(value))
    if mode() != "full":
        fail(
            SMOKE_VAR,
            f"1 only together with {ENV_VAR}=full (a smoke run executes full mode with tiny "
            "budgets; fast mode always checks its targets)",
            f"{SMOKE_VAR}=1 with mode={mode()}",
        )
    return True


def target(name: str, value: Any, *, at_least: Any = None, at_most: Any = None) -> bool:
    """Checks a target of trained quality: asserts it, except in a smoke run, where it says so.

    Use it for what training must reach (``target("test accuracy", acc, at_least=0.99)``) or a
    comparison that training must win (``target("CNN beats k-NN", acc_cnn > acc_knn)``); keep
    plain ``assert`` for mechanics (shapes, ranges, agreement with a reference).

    Examples:
        >>> target("accuracy", 0.97, at_least=0.9)
        True
        >>> target("the deeper net fits better", 0.12 < 0.31)
        True

    Args:
        name: what is measured, as the learner reads it (e.g. ``"test accuracy"``).
        value: the measured number (a Python or NumPy real, or a 0-d NumPy array) with
            ``at_least`` and/or ``at_most`` (NaN, no measurement, misses every target); or
            a condition (a bool) with neither.
        at_least: the value must be ``>=`` this.
        at_most: the value must be ``<=`` this.

    Returns:
        Whether the target is met (always True outside a smoke run, since a miss raises).

    Raises:
        AssertionError: outside a smoke run, when the target is missed; the message names
            the target, the value and the threshold.
        ValueError: for a non-string or empty ``name``, a value that is not a real or a bool,
            a threshold that is not a finite real, a number without a threshold or a
            condition with one.
    """
    name = check_str("name", name)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_):
        if at_least is not None or at_most is not None:
            fail("at_least", "None for a condition (a bool value)", repr((at_least, at_most)))
        met, shown = bool(value), f"{name}: {'holds' if value else 'does not hold'}"
    else:
        if isinstance(value, numbers.Real) and math.isnan(value):
            value = math.nan  # no measurement (e.g. the precision of no detections): a miss
        else:
            value = check_real("value", value)
        if at_least is None and at_most is None:
            fail("at_least", "a threshold for a number (at_least=, at_most= or both)", "neither")
        low = None if at_least is None else check_real("at_least", at_least)
        high = None if at_most is None else check_real("at_most", at_most)
        wanted = " and ".join(
            f"{op} {bound:.4g}" for op, bound in ((">=", low), ("<=", high)) if bound is not None
        )
        met = not math.isnan(value) and (low is None or value >= low)
        met = met and (high is None or value <= high)
        shown = f"{name} = {value:.4g}, target {wanted}"
    if is_smoke():
        verdict = "met" if met else "missed"
        print(f"target not checked (smoke run): {shown} ({verdict} with the smoke budget)")
        return met
    if not met:
        raise AssertionError(f"target missed: {shown}")
    return True


def device_name() -> str:
    """A short human name for the device Keras will use, e.g. ``"GPU x1 (NVIDIA H100)"``.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    tf = _tf()
    found = gpus()
    if not found:
        return f"CPU ({os.cpu_count()} cores)"
    try:
        details = tf.config.experimental.get_device_details(found[0])
        name = details.get("device_name", "GPU")
    except Exception:  # pragma: no cover - depends on the driver
        name = "GPU"
    return f"GPU x{len(found)} ({name})"


def _supports_mixed_float16() -> bool:
    """True when the first GPU has compute capability >= 7.0 (tensor cores)."""
    tf = _tf()
    found = gpus()
    if not found:
        return False
    try:
        cc = tf.config.experimental.get_device_details(found[0]).get("compute_capability")
    except Exception:  # pragma: no cover - depends on the driver
        return False
    return bool(cc) and tuple(cc) >= (7, 0)


@dataclass(frozen=True)
class RuntimeInfo:
    """What `setup` chose; ``str()`` gives the one line a notebook prints.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """

    python: str
    tensorflow: str
    keras: str
    device: str
    mode: str
    seed: int
    deterministic: bool
    precision: str
    smoke: bool = False

    def __str__(self) -> str:
        smoke = " | smoke run (targets not checked)" if self.smoke else ""
        return (
            f"Python {self.python} | TensorFlow {self.tensorflow} | Keras {self.keras} | "
            f"{self.device} | mode={self.mode} | seed={self.seed} | "
            f"deterministic={self.deterministic} | precision={self.precision}{smoke}"
        )


def set_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy and the Keras backend with one integer.

    Args:
        seed: an integer in ``0..2**32 - 1`` (NumPy's range).

    Raises:
        ValueError: for anything else.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    seed = check_int("seed", seed, 0, 2**32 - 1)
    import keras

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - learners use the legacy global RNG too
    keras.utils.set_random_seed(seed)


def setup(
    seed: int = 0, *, mixed_precision: bool | None = None, verbose: bool = True
) -> RuntimeInfo:
    """Prepares a notebook: seeds, determinism, precision; prints one line.

    Args:
        seed: seeds Python, NumPy and Keras (`keras.utils.set_random_seed`). The environment
            variable ``CVUTILS_SEED`` replaces it (to rerun a notebook on another seed without
            editing it); the printed line and the returned record show the seed used.
        mixed_precision: use the ``mixed_float16`` policy. ``None`` (default) turns it on in
            full mode on a GPU that supports it (compute capability >= 7.0), off otherwise.
        verbose: print the one-line report.

    Returns:
        A `RuntimeInfo` with versions, device, mode, seed, precision and whether this is a
        smoke run (`is_smoke`; its line then ends with ``smoke run (targets not checked)``).

    Raises:
        ValueError: for a bad ``seed``, a ``mixed_precision`` other than None/True/False, a
            non-bool ``verbose`` (checked before anything is changed), mixed precision
            asked for without a GPU, or a bad ``CVUTILS_SMOKE`` (`is_smoke`).

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    seed = check_int("seed", seed, 0, 2**32 - 1)
    override = os.environ.get(SEED_VAR, "").strip()
    if override:
        if not override.isdigit():
            fail(SEED_VAR, "an integer in 0..2**32 - 1", repr(override))
        seed = check_int(SEED_VAR, int(override), 0, 2**32 - 1)
    if mixed_precision is not None:
        mixed_precision = check_bool("mixed_precision", mixed_precision)
    verbose = check_bool("verbose", verbose)
    tf = _tf()
    import keras

    current = mode()
    smoke = is_smoke()
    set_seed(seed)
    deterministic = current == "fast"
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    if mixed_precision is None:
        mixed_precision = current == "full" and _supports_mixed_float16()
    if mixed_precision and not gpus():
        fail(
            "mixed_precision",
            "None (choose automatically) or False without a GPU: True needs a GPU with compute "
            "capability >= 7.0",
            "True and no GPU is visible",
        )
    policy = "mixed_float16" if mixed_precision else "float32"
    keras.mixed_precision.set_global_policy(policy)
    info = RuntimeInfo(
        python=platform.python_version(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        device=device_name(),
        mode=current,
        seed=int(seed),
        deterministic=deterministic,
        precision=policy,
        smoke=smoke,
    )
    if verbose:
        print(info)
    return info


def strategy(devices: list[str] | None = None):
    """Returns the `tf.distribute` strategy to build and train models under.

    Args:
        devices: explicit device names (e.g. ``["/cpu:0", "/cpu:1"]``) to mirror over.
            ``None`` picks automatically: `tf.distribute.MirroredStrategy` over all GPUs when
            more than one is visible, otherwise the default (single-device) strategy.

    Returns:
        A `tf.distribute.Strategy`; use ``with strategy().scope(): model = ...``.

    Raises:
        ValueError: if ``devices`` is not None or a non-empty list of device-name strings.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    if devices is not None:
        if not isinstance(devices, list | tuple):
            fail("devices", "a list of device names or None", describe(devices), kind=True)
        if not devices:
            fail("devices", "a non-empty list of device names", "[]")
        devices = [check_str(f"devices[{i}]", d) for i, d in enumerate(devices)]
    tf = _tf()
    if devices is not None:
        return tf.distribute.MirroredStrategy(devices=devices)
    if len(gpus()) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


@dataclass(frozen=True)
class Budget:
    """The training budget of the current mode; read values as attributes or keys.

    Made by `budget`. ``overrides`` holds the settings that ``CVUTILS_BUDGET`` changed.
    Taught in notebooks/00_setup_and_tour.ipynb.
    """

    mode: str
    values: MappingProxyType = field(repr=False)
    other: MappingProxyType = field(repr=False)
    overrides: MappingProxyType = field(repr=False, default_factory=lambda: MappingProxyType({}))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "values")
        if name in values:
            return values[name]
        raise AttributeError(f"budget has no entry {name!r}; it has {sorted(values)}")

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __str__(self) -> str:
        def fmt(d):
            return ", ".join(
                f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in d.items()
            )

        other = "full" if self.mode == "fast" else "fast"
        changed = f", {BUDGET_VAR}: {fmt(self.overrides)}" if self.overrides else ""
        return (
            f"Budget [{self.mode} mode{changed}]: {fmt(self.values)}   "
            f"({other} mode: {fmt(self.other)})"
        )


def _same_kind(old: Any, new: Any) -> bool:
    """True when ``new`` may replace the setting ``old`` (an int may stand for a float)."""
    if old is None or new is None:
        return True
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new)
    if isinstance(old, int | float) and isinstance(new, int | float):
        return isinstance(old, float) or isinstance(new, int)
    return type(old) is type(new)


def budget_overrides(text: str, settings: dict, name: str = "text") -> dict:
    """Parses a ``CVUTILS_BUDGET`` value: keyword arguments that replace budget settings.

    Examples:
        >>> budget_overrides("epochs=3, augment=False", dict(epochs=20, augment=True, lr=0.1))
        {'epochs': 3, 'augment': False}

    Args:
        text: Python keyword arguments with literal values, e.g.
            ``"epochs=3, depths=(20,), degradation=False"``; empty or blank means none.
        settings: the budget of the current mode; every key of ``text`` must be one of its
            keys, and each value of the same kind (an int may replace a float; ``None``
            may replace anything and be replaced by anything).
        name: the name errors give to ``text`` (`budget` passes ``"CVUTILS_BUDGET"``).

    Returns:
        The replaced settings, in the order given.

    Raises:
        ValueError: naming ``name``, for text that is not keyword arguments with
            literal values, an unknown key, a repeated key or a value of another kind.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    name = check_str("name", name)
    text = check_str(name, text, allow_empty=True)
    if not isinstance(settings, dict | MappingProxyType):
        fail("settings", "a dict of budget settings", describe(settings), kind=True)
    if not text.strip():
        return {}
    expected = "keyword arguments with literal values, like 'epochs=3, augment=False'"
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if call.args or not call.keywords or any(k.arg is None for k in call.keywords):
            raise ValueError
        pairs = [(k.arg, ast.literal_eval(k.value)) for k in call.keywords]
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        fail(name, expected, repr(text))
    chosen: dict = {}
    for key, value in pairs:
        if key not in settings:
            fail(name, f"settings of this notebook's budget {sorted(settings)}", repr(key))
        if key in chosen:
            fail(name, "each setting at most once", f"{key!r} twice")
        if not _same_kind(settings[key], value):
            fail(
                name,
                f"{key}= of the same kind as {settings[key]!r} ({type(settings[key]).__name__})",
                f"{value!r} ({type(value).__name__})",
            )
        chosen[key] = value
    return chosen


def budget(*, fast: dict, full: dict, verbose: bool = True) -> Budget:
    """Declares, in one visible line, what each mode trains, and returns the current one.

    The environment variable ``CVUTILS_BUDGET`` (e.g. ``"epochs=3, augment=False"``, see
    `budget_overrides`) replaces settings of the current mode without editing the notebook;
    the printed line names what it replaced. ``tools/gpu_check.py`` uses it to size runs.

    Examples:
        In a notebook, ``model.fit(x[: B.n_train], y[: B.n_train], epochs=B.epochs)``:

        >>> B = budget(fast=dict(epochs=2, n_train=2000), full=dict(epochs=30, n_train=60000),
        ...            verbose=False)
        >>> B.epochs in (2, 30)
        True

    Args:
        fast: the settings of fast mode (CPU, CI).
        full: the settings of full mode (GPU); must have the same keys as ``fast``.
        verbose: print the line ``Budget [mode]: ...``.

    Raises:
        ValueError: if the two dicts are empty, their keys differ or are not identifiers,
            ``verbose`` is not a bool, or ``CVUTILS_BUDGET`` does not fit the budget.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    for name, value in (("fast", fast), ("full", full)):
        if not isinstance(value, dict):
            fail(name, "a non-empty dict of settings", describe(value), kind=True)
        if not value:
            fail(name, "a non-empty dict of settings", "{}")
        for key in value:
            if not isinstance(key, str) or not key.isidentifier():
                fail(name, "a dict whose keys are names (identifiers)", f"key {key!r}")
    if set(fast) != set(full):
        fail(
            "full",
            f"the same settings as fast {sorted(fast)}",
            f"only in fast: {sorted(set(fast) - set(full))}, "
            f"only in full: {sorted(set(full) - set(fast))}",
        )
    verbose = check_bool("verbose", verbose)
    current = mode()
    chosen, other = (fast, full) if current == "fast" else (full, fast)
    overrides = budget_overrides(os.environ.get(BUDGET_VAR, ""), chosen, BUDGET_VAR)
    result = Budget(
        current,
        MappingProxyType({**chosen, **overrides}),
        MappingProxyType(dict(other)),
        MappingProxyType(overrides),
    )
    if verbose:
        print(result)
    return result


def environment_report() -> str:
    """A multi-line report of versions and devices, for bug reports.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    import keras
    import matplotlib
    import skimage
    import sklearn

    tf = _tf()
    lines = [
        f"python      {platform.python_version()} ({platform.platform()})",
        f"numpy       {np.__version__}",
        f"tensorflow  {tf.__version__}",
        f"keras       {keras.__version__} (backend {keras.backend.backend()})",
        f"scikit-learn {sklearn.__version__}",
        f"scikit-image {skimage.__version__}",
        f"matplotlib  {matplotlib.__version__}",
        f"device      {device_name()}",
        f"mode        {mode()}",
    ]
    return "\n".join(lines)


def result(**values: Any) -> None:
    """Prints a notebook's key result as one ``RESULT: name=value, ...`` line.

    `make run` (tools/run_notebooks.py) shows this line next to each notebook's run time.
    Floats, also inside lists and tuples, are printed with 4 significant digits. Nothing is
    returned, so a notebook cell that ends with this call shows the line once.

    Raises:
        ValueError: when no ``name=value`` pair is given.

    Taught in notebooks/00_setup_and_tour.ipynb.

    Examples:
        >>> result(accuracy=0.98765, epochs=3, errors=[0.018460303, 0.10536])
        RESULT: accuracy=0.9877, epochs=3, errors=[0.01846, 0.1054]
    """
    if not values:
        fail("values", "at least one name=value pair", "none")
    print("RESULT: " + ", ".join(f"{k}={_short(v)}" for k, v in values.items()))


def _short(value: Any) -> str:
    """``value`` for a RESULT line: floats (NumPy's too) with 4 significant digits."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_short(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' * (len(value) == 1)})"
    return str(value)


def _kernel_display():
    """IPython's ``display`` when running inside a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    from IPython.display import display

    return display


class _Line:
    """A ``text/plain`` display whose repr is a progress line (or nothing at the end)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def progress(iterable, desc: str = "", total: int | None = None, every: float = 0.25):
    """Yields the items of ``iterable`` while a progress line shows how far it got.

    In a Jupyter kernel (JupyterLab, Colab, nbclient, nbval) the line is one display that is
    updated in place at most every ``every`` seconds and emptied at the end, so a saved or
    executed notebook keeps no progress bar in its outputs. Elsewhere it is tqdm's bar on
    stderr, removed at the end (``leave=False``).

    Args:
        iterable: what to loop over.
        desc: the bar's label.
        total: the number of items, when ``len(iterable)`` does not tell it.
        every: seconds between two updates of the line.

    Returns:
        An iterator over the items of ``iterable``, unchanged.

    Examples:
        >>> [x * x for x in progress(range(4), desc="squares")]
        [0, 1, 4, 9]
    """
    check_str("desc", desc, allow_empty=True)
    every = check_real("every", every, low=0)
    try:
        iter(iterable)  # a 0-d array has __iter__ but refuses to be iterated
    except TypeError:
        fail("iterable", "an iterable", describe(iterable), kind=True)
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if total is not None:
        total = check_int("total", total, minimum=0)
    display = _kernel_display()
    if display is None:
        from tqdm.auto import tqdm

        return iter(tqdm(iterable, desc=desc or None, total=total, leave=False))
    return _kernel_progress(display, iterable, desc, total, every)


def _kernel_progress(display, iterable, desc: str, total: int | None, every: float):
    """`progress` in a Jupyter kernel: one display updated in place, emptied at the end."""
    import time

    from tqdm.auto import tqdm

    start = last = time.perf_counter()
    handle = display(_Line(tqdm.format_meter(0, total, 0, prefix=desc)), display_id=True)
    try:
        for done, item in enumerate(iterable, 1):
            yield item
            now = time.perf_counter()
            if now - last >= every:
                last = now
                handle.update(_Line(tqdm.format_meter(done, total, now - start, prefix=desc)))
    finally:
        handle.update(_Line(""))

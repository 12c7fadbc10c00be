"""Run-time settings shared by every notebook: mode, seeds, device, strategy, budgets.

Two modes decide how much a notebook trains:

* ``fast``: correctness on a laptop CPU or in CI (about a minute a notebook on 2 cores,
  offline, deterministic ops).
* ``full``: results; the notebook trains to the accuracy it promises (meant for a GPU).

The mode comes from the environment variable ``CVUTILS_MODE``; when it is unset the
mode is ``full`` if TensorFlow sees a GPU and ``fast`` otherwise.
"""

from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from cvutils.checks import check_int

MODES = ("fast", "full")
ENV_VAR = "CVUTILS_MODE"


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
    """Returns the physical GPUs TensorFlow sees (an empty list on a CPU-only machine)."""
    return _tf().config.list_physical_devices("GPU")


def mode() -> str:
    """Returns the run mode, ``"fast"`` or ``"full"``.

    Reads ``CVUTILS_MODE``; unset or empty means ``full`` when a GPU is visible, else ``fast``.

    Raises:
        ValueError: if ``CVUTILS_MODE`` holds anything else than ``fast`` or ``full``.
    """
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return "full" if gpus() else "fast"
    if value not in MODES:
        raise ValueError(
            f"{ENV_VAR} must be one of {MODES}, got {os.environ[ENV_VAR]!r}. "
            f"Set it with e.g. `export {ENV_VAR}=fast` (quick, CPU) or `{ENV_VAR}=full` (GPU)."
        )
    return value


def is_fast() -> bool:
    """True in fast mode."""
    return mode() == "fast"


def device_name() -> str:
    """A short human name for the device Keras will use, e.g. ``"GPU x1 (NVIDIA H100)"``."""
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
    """What `setup` chose; ``str()`` gives the one line a notebook prints."""

    python: str
    tensorflow: str
    keras: str
    device: str
    mode: str
    seed: int
    deterministic: bool
    precision: str

    def __str__(self) -> str:
        return (
            f"Python {self.python} | TensorFlow {self.tensorflow} | Keras {self.keras} | "
            f"{self.device} | mode={self.mode} | seed={self.seed} | "
            f"deterministic={self.deterministic} | precision={self.precision}"
        )


def set_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy and the Keras backend with one integer."""
    seed = check_int("seed", seed, 0)
    import keras

    random.seed(int(seed))
    np.random.seed(int(seed))  # noqa: NPY002 - learners use the legacy global RNG too
    keras.utils.set_random_seed(int(seed))


def setup(
    seed: int = 0, *, mixed_precision: bool | None = None, verbose: bool = True
) -> RuntimeInfo:
    """Prepares a notebook: seeds, determinism, precision; prints one line.

    Args:
        seed: seeds Python, NumPy and Keras (`keras.utils.set_random_seed`).
        mixed_precision: use the ``mixed_float16`` policy. ``None`` (default) turns it on in
            full mode on a GPU that supports it (compute capability >= 7.0), off otherwise.
        verbose: print the one-line report.

    Returns:
        A `RuntimeInfo` with versions, device, mode, seed and precision.
    """
    tf = _tf()
    import keras

    current = mode()
    set_seed(seed)
    deterministic = current == "fast"
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    if mixed_precision is None:
        mixed_precision = current == "full" and _supports_mixed_float16()
    if mixed_precision and not gpus():
        raise ValueError(
            "mixed_precision=True needs a GPU with compute capability >= 7.0; none is visible. "
            "Leave mixed_precision=None to choose automatically."
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
    """
    tf = _tf()
    if devices is not None:
        if not devices or not all(isinstance(d, str) for d in devices):
            raise ValueError(f"devices must be a non-empty list of device names, got {devices!r}")
        return tf.distribute.MirroredStrategy(devices=list(devices))
    if len(gpus()) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


@dataclass(frozen=True)
class Budget:
    """The training budget of the current mode; read values as attributes or keys."""

    mode: str
    values: MappingProxyType = field(repr=False)
    other: MappingProxyType = field(repr=False)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "values")
        if name in values:
            return values[name]
        raise AttributeError(f"budget has no entry {name!r}; it has {sorted(values)}")

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __str__(self) -> str:
        def fmt(d):
            return ", ".join(f"{k}={v}" for k, v in d.items())

        other = "full" if self.mode == "fast" else "fast"
        return f"Budget [{self.mode} mode]: {fmt(self.values)}   ({other} mode: {fmt(self.other)})"


def budget(*, fast: dict, full: dict, verbose: bool = True) -> Budget:
    """Declares, in one visible line, what each mode trains, and returns the current one.

    Example:
        >>> B = budget(fast=dict(epochs=2, n_train=2000), full=dict(epochs=30, n_train=60000))
        >>> model.fit(x[: B.n_train], y[: B.n_train], epochs=B.epochs)

    Args:
        fast: the settings of fast mode (CPU, CI).
        full: the settings of full mode (GPU); must have the same keys as ``fast``.
        verbose: print the line ``Budget [mode]: ...``.

    Raises:
        ValueError: if the two dicts are empty or their keys differ.
    """
    if not isinstance(fast, dict) or not isinstance(full, dict) or not fast:
        raise ValueError(f"fast and full must be non-empty dicts, got fast={fast!r}, full={full!r}")
    if set(fast) != set(full):
        raise ValueError(
            f"fast and full must name the same settings; only in fast: "
            f"{sorted(set(fast) - set(full))}, only in full: {sorted(set(full) - set(fast))}"
        )
    current = mode()
    chosen, other = (fast, full) if current == "fast" else (full, fast)
    result = Budget(current, MappingProxyType(dict(chosen)), MappingProxyType(dict(other)))
    if verbose:
        print(result)
    return result


def environment_report() -> str:
    """A multi-line report of versions and devices, for bug reports."""
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
    Floats are printed with 4 significant digits. Nothing is returned, so a notebook cell
    that ends with this call shows the line once.
    """
    if not values:
        raise ValueError("result() needs at least one name=value pair")
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()]
    print("RESULT: " + ", ".join(parts))

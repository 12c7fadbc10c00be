"""Shared timing helpers of the benchmark scripts (``run.py``, ``bench_conv.py``, ``bench_nms.py``).

Timings on a shared machine vary with its load, so every figure the benchmarks report is a
*ratio* of two functions timed side by side in one process: `best_times` interleaves them,
`busy_process` adds one competing process, and `machine_report` says what the machine was
doing (load average, thread settings) while they ran.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

#: The environment variables that set thread pools (BLAS, OpenMP, TensorFlow).
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def best_times(fns: dict[str, Callable[[], object]], repeat: int, rounds: int = 3) -> dict:
    """Best wall time (s) of each function over ``rounds`` interleaved rounds.

    In each round every function runs in turn: one untimed warm-up, then ``repeat`` timed
    runs (``time.perf_counter``). Within a round a function runs alone, so the worker threads
    one library leaves spinning do not slow the other one's every run; the rounds alternate
    so that all see the same machine load. The best (not the mean) is kept: the load only
    ever adds time.

    Args:
        fns: name -> function without arguments.
        repeat: timed runs per function and round, >= 1.
        rounds: interleaved rounds, >= 1.

    Returns:
        name -> best seconds.
    """
    if repeat < 1 or rounds < 1:
        raise ValueError(f"repeat and rounds must be >= 1; got {repeat} and {rounds}.")
    times = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()
            for _ in range(repeat):
                start = time.perf_counter()
                fn()
                times[name] = min(times[name], time.perf_counter() - start)
    return times


@contextlib.contextmanager
def busy_process() -> Iterator[subprocess.Popen]:
    """Runs one competing CPU-bound process (``while True: pass``) for the ``with`` block.

    The process is always killed and reaped when the block ends, also on an error or Ctrl-C.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", "while True: pass"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.2)  # let it start spinning
        yield proc
    finally:
        proc.kill()
        proc.wait()


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, or None where the platform has none."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine_report(tf=None) -> dict:
    """What decides the timings: CPUs, load, BLAS pools (threadpoolctl), TF threads, env.

    Args:
        tf: the imported ``tensorflow`` module, to report its intra/inter op thread settings
            (0 means TensorFlow's default: one thread per core).
    """
    import numpy as np

    report: dict = {
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": load_average(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "env": {k: os.environ.get(k, "unset") for k in THREAD_ENV},
    }
    try:
        from threadpoolctl import threadpool_info

        report["threadpools"] = [
            {k: pool.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for pool in threadpool_info()
        ]
    except ImportError:
        report["threadpools"] = "threadpoolctl not installed"
    if tf is not None:
        report["tensorflow"] = tf.__version__
        report["tf_intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()
        report["tf_inter_op_threads"] = tf.config.threading.get_inter_op_parallelism_threads()
    return report

"""Shared test settings: a non-interactive matplotlib backend and fast mode by default.

Agg is chosen in this process only (`matplotlib.use`), not through ``MPLBACKEND``: the
environment reaches the Jupyter kernels that tests start, and those must draw inline.
"""

import os

os.environ.setdefault("CVUTILS_MODE", "fast")

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

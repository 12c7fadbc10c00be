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


#: The longest test file by far (every notebook, about ten minutes on 2 cores).
LONGEST = "tests/test_run_notebooks.py"


def pytest_collection_modifyitems(items):
    """Puts the notebook run first (otherwise in collection order).

    Under ``pytest -n 2 --dist loadfile`` a worker takes files in this order: started first,
    the notebook run overlaps all the unit tests, which the other worker runs meanwhile,
    instead of starting after a worker has already spent minutes on unit tests.
    """
    items.sort(key=lambda item: item.nodeid.split("::")[0] != LONGEST)

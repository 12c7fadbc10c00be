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


@pytest.fixture
def no_network(monkeypatch):
    """Makes every socket connection fail, as on a machine without network."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh, empty download cache (``CVUTILS_CACHE``) for one test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CVUTILS_CACHE", str(folder))
    return folder

"""Bad-input specs of `cvutils.downloads`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bad_input.registry import TMP, _mod, exempt, spec

exempt("downloads.cache_dir", "takes no argument (reads CVUTILS_CACHE; tested in test_datasets)")


# --- datasets (offline only: nothing here may touch the network)
def _small_file() -> Path:
    path = TMP / "small.bin"
    path.write_bytes(b"cvutils")
    return path


@spec("downloads.sha256sum")
def _():
    return _mod("datasets").sha256sum, dict(path=_small_file(), chunk=4)


@spec("downloads.RemoteFile")
def _():
    return _mod("datasets").RemoteFile, dict(
        url="https://example.org/x.npz", sha256="0" * 64, filename="x.npz"
    )


def _offline(fn: Callable) -> Callable:
    """``fn`` with the network switched off: a cache miss fails at once, nothing is sent."""

    def call(**kwargs):
        from unittest import mock

        no_network = OSError("the bad-input sweep never reaches the network")
        with mock.patch("urllib.request.urlopen", side_effect=no_network):
            return fn(**kwargs)

    return call


# url: never let a sweep reach the network. A bad filename or directory misses the cache;
# with the network off, download's documented answer is its RuntimeError "Could not download".
@spec("downloads.download", skip=("url",), verdicts=(RuntimeError,))
def _():
    import hashlib

    data = b"cvutils"
    (TMP / "cached.bin").write_bytes(data)
    return _offline(_mod("datasets").download), dict(
        url="https://example.invalid/cached.bin",
        sha256=hashlib.sha256(data).hexdigest(),
        filename="cached.bin",
        directory=TMP,
        offline_alternative="none",
        timeout=1.0,
    )


exempt("downloads.mirror_url", "takes no argument (reads CVUTILS_MIRROR; tested in test_mirror)")

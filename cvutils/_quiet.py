"""Keeps TensorFlow's start-up logs out of notebook outputs, a terminal and Colab.

TensorFlow's C++ core writes straight to the process's file descriptor 2 (not to Python's
``sys.stderr``), so Jupyter shows these lines in the cell that first imports it or first
trains, whatever ``warnings`` or ``logging`` say:

* ``WARNING: All log messages before absl::InitializeLog() is called are written to STDERR``;
* ``I0000 ... cpu_feature_guard.cc`` / ``oneDNN custom operations are on ...`` notices, logged
  while TensorFlow is imported, before its log level is read;
* ``E0000 ... node_def_util.cc ... use_unbounded_threadpool`` from the first ``fit`` with
  validation data under deterministic ops (a harmless mismatch between tf.data's Python and
  C++ halves).

`install` (run when ``cvutils`` is imported, cheap: it imports nothing heavy) does two things:

1. ``TF_CPP_MIN_LOG_LEVEL`` defaults to ``3`` (only fatal C++ messages), unless you set it:
   this hides the ``E0000`` lines, and errors still reach you as Python exceptions.
2. The first import of ``tensorflow`` in the process (usually through ``import keras``) runs
   with file descriptor 2 pointed at a temporary file; if the import fails, what it wrote
   there is replayed on ``sys.stderr`` before the exception propagates.

So a notebook imports ``cvutils`` before ``keras`` or ``tensorflow``. Nothing is filtered
afterwards, and no TensorFlow import happens here. Speed is unchanged: oneDNN stays on
(``TF_ENABLE_ONEDNN_OPTS`` is left alone).

Taught in notebooks/00_setup_and_tour.ipynb (the setup cell of every notebook relies on it).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys
import tempfile

LOG_LEVEL_VAR = "TF_CPP_MIN_LOG_LEVEL"
QUIET_LEVEL = "3"
_MODULE = "tensorflow"


@contextlib.contextmanager
def silenced_fd2():
    """Points file descriptor 2 at a temporary file for the duration of the block.

    Yields:
        The temporary file (binary); read it to see what C code wrote meanwhile.
    """
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):  # pragma: no cover - stderr closed or replaced
        pass
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield sink
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """Wraps the real loader of ``tensorflow``: executes the package with fd 2 silenced."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with silenced_fd2() as sink:
            try:
                self._loader.exec_module(module)
            except BaseException:
                sink.seek(0)
                written = sink.read().decode(errors="replace")
                if written:
                    sys.stderr.write(written)
                raise

    def __getattr__(self, name):  # resources, get_data, is_package ... of the real loader
        return getattr(self._loader, name)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` once, through the other finders, and wraps its loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _MODULE:
            return None
        uninstall()  # one shot; also keeps the lookup below from recursing
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _QuietLoader(spec.loader)
        return spec


_FINDER = _QuietFinder()


def install() -> None:
    """Sets the quiet log-level default and silences the first ``tensorflow`` import.

    Idempotent, and a no-op for the import hook once TensorFlow is imported.
    """
    os.environ.setdefault(LOG_LEVEL_VAR, QUIET_LEVEL)
    if _MODULE in sys.modules or _FINDER in sys.meta_path:
        return
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Removes the import hook (the log-level default stays)."""
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_FINDER)

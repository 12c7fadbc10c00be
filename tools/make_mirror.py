"""Writes a miniature local mirror of every online source of cvutils, in the real formats.

    python tools/make_mirror.py DIR [--weights NAME ...]

DIR receives, under the real file names, small files in the real layouts (archive folders,
pickles and ``.npz`` keys, XML annotations, trimap PNGs with the values 1/2/3, JPEG photos cut
from the real photos that scikit-image and scikit-learn ship), plus ``DIR/SHA256SUMS`` (the
``sha256sum`` format) with their own digests. Point ``CVUTILS_MIRROR`` at it
(``file:///abs/DIR`` or a loopback HTTP server over DIR) and every loader of
`cvutils.datasets` fetches from it, checks the mirror's digests, and caches the files apart
from real ones; the pinned digests of the real files are untouched.

`serve(DIR)` (a context manager) serves the folder on a free loopback port and yields the
URL; it is what the tests use for ``http://``.

Everything is deterministic (fixed seeds, fixed archive timestamps and owners) and takes a few
seconds. ImageNet weight files are written only for the ``--weights`` asked for (``all`` for
every one): the architecture's real shapes in Keras's legacy ``.h5`` layout, with seeded random
values, so ``keras.applications.<App>(weights=str(path))`` loads them; they are as large as the
real files (VGG16 with its top: about 550 MB).

The miniature data are for executing the full-mode code paths, not for learning: labels and
boxes are made up for the photos (an astronaut may be labelled a dog), the MedMNIST volumes are
smooth random blobs, and the ImageNet class names are placeholders.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import http.server
import io
import json
import pickle
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cvutils import datasets  # noqa: E402
from cvutils.downloads import MANIFEST  # noqa: E402

#: The fixed modification time of every archive member (2007-11-06, VOC 2007's date).
MTIME = 1194307200
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# ----------------------------------------------------------------------------- writers


def _jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(out, "PNG")
    return out.getvalue()


def _tar(members: Iterable[tuple[str, bytes]], compress: bool) -> bytes:
    """A tar (gzip-compressed when ``compress``) of ``(name, bytes)``, with folder entries."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        folders = set()
        for name, data in members:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                folder = "/".join(parts[:i])
                if folder not in folders:
                    folders.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    if not compress:
        return raw.getvalue()
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    """``np.savez_compressed``'s format with fixed member timestamps (numpy stamps the time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return out.getvalue()


# ----------------------------------------------------------------------------- real pixels


def _photos() -> list[np.ndarray]:
    """RGB photos shipped with scikit-image and scikit-learn (real pixels, no network)."""
    from skimage import data
    from sklearn.datasets import load_sample_image

    photos = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    photos += [load_sample_image("china.jpg"), load_sample_image("flower.jpg")]
    return [np.asarray(p, np.uint8) for p in photos]


def _crop(photo: np.ndarray, rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random crop of ``photo`` resized to ``(h, w, 3)``."""
    from PIL import Image

    ph, pw = photo.shape[:2]
    ch, cw = int(rng.integers(ph // 3, ph + 1)), int(rng.integers(pw // 3, pw + 1))
    y, x = int(rng.integers(0, ph - ch + 1)), int(rng.integers(0, pw - cw + 1))
    patch = Image.fromarray(photo[y : y + ch, x : x + cw]).resize((w, h), Image.BILINEAR)
    return np.asarray(patch)


# ----------------------------------------------------------------------------- data sets


def mnist_npz(rng: np.random.Generator) -> bytes:
    """Keras's ``mnist.npz``: ``x_train (N, 28, 28)`` uint8, ``y_train (N,)`` uint8, and test.

    The digits are scikit-learn's real 8x8 handwritten digits, upscaled to 28x28 (20 px digit
    in a 4 px margin, as MNIST centres them).
    """
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = rng.permutation(len(digits.target))[:300]
    x = np.zeros((len(order), 28, 28), np.uint8)
    for i, k in enumerate(order):
        small = (digits.images[k] * (255.0 / 16.0)).astype(np.uint8)
        x[i, 4:24, 4:24] = np.asarray(Image.fromarray(small).resize((20, 20), Image.BILINEAR))
    y = digits.target[order].astype(np.uint8)
    return _npz({"x_test": x[200:], "x_train": x[:200], "y_train": y[:200], "y_test": y[200:]})


def cifar10_tar(rng: np.random.Generator, photos: list[np.ndarray]) -> bytes:
    """``cifar-10-python.tar.gz``: ``cifar-10-batches-py/`` with six pickled batches (20 each).

    Each batch is the real layout: a pickled dict with byte-string keys, ``b"data"`` a
    ``(n, 3072)`` uint8 array of planar RGB rows, ``b"labels"`` a list of ints. The official
    batches are Python 2 pickles whose byte strings need no global; Python 3 writes bytes that
    way from protocol 3 on (protocol 2 would call ``_codecs.encode``).
    """
    members = []
    meta = {b"label_names": [c.encode() for c in datasets.CIFAR10_CLASSES], b"num_vis": 3072}
    members.append(("cifar-10-batches-py/batches.meta", pickle.dumps(meta, protocol=3)))
    for b, batch in enumerate((*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")):
        images = np.stack([_crop(photos[k % len(photos)], rng, 32, 32) for k in range(20)])
        labels = [int(v) for v in rng.integers(0, 10, 20)]
        record = {
            b"batch_label": f"mirror batch {b + 1} of 6".encode(),
            b"labels": labels,
            b"data": images.transpose(0, 3, 1, 2).reshape(20, 3072).copy(),
            b"filenames": [f"mirror_{b}_{k}.png".encode() for k in range(20)],
        }
        members.append((f"cifar-10-batches-py/{batch}", pickle.dumps(record, protocol=3)))
    members.append(("cifar-10-batches-py/readme.html", b"<html>cvutils mirror</html>\n"))
    return _tar(members, compress=True)


FLOWER_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")


def flowers_tgz(rng: np.random.Generator, photos: list[np.ndarray]) -> bytes:
    """``flower_photos.tgz``: ``flower_photos/<class>/<name>.jpg`` (6 a class) and LICENSE.txt."""
    members = [("flower_photos/LICENSE.txt", b"cvutils mirror: photos from scikit-image/learn\n")]
    for c, name in enumerate(FLOWER_CLASSES):
        for k in range(6):
            h, w = int(rng.integers(180, 260)), int(rng.integers(220, 330))
            image = _crop(photos[(c + k) % len(photos)], rng, h, w)
            members.append((f"flower_photos/{name}/{1000 + 7 * k + c}_mirror.jpg", _jpeg(image)))
    return _tar(members, compress=True)


def medmnist3d_npz(rng: np.random.Generator, flag: str = "organmnist3d") -> bytes:
    """MedMNIST v2's ``<flag>.npz``: ``<split>_images (N, 28, 28, 28)`` uint8 and
    ``<split>_labels (N, 1)`` uint8 for train, val and test (2, 1, 1 volumes a class).

    The volumes are smooth random blobs whose size depends on the class (not CT scans).
    """
    n_classes = len(datasets.MEDMNIST3D[flag][1])
    grid = np.stack(np.meshgrid(*[np.arange(28)] * 3, indexing="ij"), -1).astype(np.float32)
    arrays = {}
    for split, per_class in (("train", 2), ("val", 1), ("test", 1)):
        labels = np.repeat(np.arange(n_classes), per_class)
        volumes = np.zeros((len(labels), 28, 28, 28), np.uint8)
        for i, label in enumerate(labels):
            centre = rng.uniform(9, 19, 3)
            radius = 3.0 + 8.0 * label / max(1, n_classes - 1)
            d2 = ((grid - centre) ** 2).sum(-1)
            volume = np.exp(-d2 / (2 * radius**2)) + 0.1 * rng.random((28, 28, 28))
            volumes[i] = np.clip(255 * volume / volume.max(), 0, 255).astype(np.uint8)
        arrays[f"{split}_images"] = volumes
        arrays[f"{split}_labels"] = labels.reshape(-1, 1).astype(np.uint8)
    return _npz(arrays)


#: ``(name, photos)``: eight people with at least 20 photos (notebook 16 splits people
#: 60/20/20) and one with 3, whom ``min_faces_per_person=20`` leaves out.
LFW_PEOPLE = (
    *((f"Mirror_Person_{c}", 20 + (k % 3)) for k, c in enumerate("ABCDEFGH")),
    ("Mirror_Person_Z", 3),
)


def lfw_files(rng: np.random.Generator) -> dict[str, bytes]:
    """``lfw-funneled.tgz`` (``lfw_funneled/<Name>/<Name>_0001.jpg``, 250x250 RGB) and the
    pair lists ``pairsDevTrain.txt``, ``pairsDevTest.txt``, ``pairs.txt``.

    Each person is one of scikit-image's real LFW faces (25x25 grey), enlarged into the
    central crop that scikit-learn reads (rows 70:195, columns 78:172); their photos differ
    by a shift of a few pixels, the brightness and the background.
    """
    from PIL import Image
    from skimage import data

    faces = (np.asarray(data.lfw_subset()[:100]) * 255).astype(np.uint8)
    members = []
    for p, (person, count) in enumerate(LFW_PEOPLE):
        face = np.asarray(Image.fromarray(faces[7 * p]).resize((94, 125), Image.BILINEAR))
        for i in range(1, count + 1):
            canvas = rng.integers(40, 90, (250, 250), dtype=np.uint8)
            dy, dx = (int(v) for v in rng.integers(-4, 5, 2))
            gain = rng.uniform(0.8, 1.2)
            canvas[70 + dy : 195 + dy, 78 + dx : 172 + dx] = np.clip(face * gain, 0, 255)
            photo = _jpeg(np.dstack([canvas] * 3))
            members.append((f"lfw_funneled/{person}/{person}_{i:04d}.jpg", photo))
    a, b = LFW_PEOPLE[0][0], LFW_PEOPLE[1][0]
    pairs = f"1\t1\n{a}\t1\t2\n{a}\t1\t{b}\t1\n".encode()
    return {
        "lfw-funneled.tgz": _tar(members, compress=True),
        "pairsDevTrain.txt": f"1\n{a}\t1\t2\n{a}\t1\t{b}\t1\n".encode(),
        "pairsDevTest.txt": f"1\n{a}\t3\t4\n{a}\t3\t{b}\t3\n".encode(),
        "pairs.txt": pairs,
    }


#: ``(name, class id, species 1 cat / 2 dog, breed id)`` of the miniature Pets lists.
PETS = {
    "trainval": [(f"{b}_{k}", c, sp, br) for b, c, sp, br in (
        ("Abyssinian", 1, 1, 1), ("Bengal", 6, 1, 2), ("american_bulldog", 2, 2, 1),
        ("beagle", 4, 2, 3)) for k in (1, 2, 3)],
    "test": [(f"{b}_{k}", c, sp, br) for b, c, sp, br in (
        ("Abyssinian", 1, 1, 1), ("Bengal", 6, 1, 2), ("american_bulldog", 2, 2, 1),
        ("beagle", 4, 2, 3)) for k in (4, 5)],
}  # fmt: skip


def _trimap(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """An ellipse of pet (1) with a 3-pixel border (3) on background (2), as the real trimaps."""
    yy, xx = np.mgrid[:h, :w]
    cy, cx = rng.uniform(0.35, 0.65) * h, rng.uniform(0.35, 0.65) * w
    ry, rx = rng.uniform(0.2, 0.35) * h, rng.uniform(0.2, 0.35) * w
    r = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
    trimap = np.full((h, w), 2, np.uint8)
    trimap[r <= 1.0 + 3.0 / min(ry, rx)] = 3
    trimap[r <= 1.0] = 1
    return trimap


def pets_files(rng: np.random.Generator, photos: list[np.ndarray]) -> dict[str, bytes]:
    """``images.tar.gz`` (``images/<name>.jpg``) and ``annotations.tar.gz`` (``annotations/``
    ``list.txt``, ``trainval.txt``, ``test.txt``, ``trimaps/<name>.png`` with 1/2/3, and an
    AppleDouble ``trimaps/._<name>.png`` as the real archive carries)."""
    header = (
        "#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\n#SPECIES: 1:Cat 2:Dog\n"
        "#BREED ID: 1-25:Cat 1:12:Dog\n#All images with 1st letter as captial are cat images\n"
        "#images with small first letter are dog images\n"
    )
    images, notes = [], []
    lists = {}
    for split, rows in PETS.items():
        lists[split] = "".join(f"{n} {c} {s} {b}\n" for n, c, s, b in rows)
        for name, *_ in rows:
            h, w = int(rng.integers(150, 260)), int(rng.integers(150, 260))
            photo = photos[1] if name[0].isupper() else photos[0]  # the cat, else the astronaut
            images.append((f"images/{name}.jpg", _jpeg(_crop(photo, rng, h, w))))
            notes.append((f"annotations/trimaps/{name}.png", _png(_trimap(rng, h, w))))
    notes.append((f"annotations/trimaps/._{PETS['trainval'][0][0]}.png", b"\x00\x05\x16\x07"))
    notes += [
        ("annotations/list.txt", (header + lists["trainval"] + lists["test"]).encode()),
        ("annotations/test.txt", lists["test"].encode()),
        ("annotations/trainval.txt", lists["trainval"].encode()),
    ]
    return {
        "images.tar.gz": _tar(images, compress=True),
        "annotations.tar.gz": _tar(sorted(notes), compress=True),
    }


#: ``image id -> (photo index, [(class name, xmin, ymin, xmax, ymax, difficult)])`` of the
#: miniature VOC 2007; boxes are 1-based pixels of a 500x375 photo, as in the real XML.
VOC = {
    "trainval": {
        "000005": (0, [("person", 150, 20, 380, 375, 0), ("chair", 20, 200, 120, 360, 1)]),
        "000007": (1, [("cat", 60, 30, 420, 360, 0)]),
        "000009": (2, [("diningtable", 30, 150, 480, 370, 0), ("bottle", 200, 40, 260, 200, 0)]),
        "000012": (3, [("aeroplane", 180, 10, 330, 370, 0)]),
        "000016": (4, [("boat", 10, 180, 240, 330, 0), ("bird", 300, 20, 360, 70, 0)]),
        "000017": (5, [("pottedplant", 100, 40, 420, 370, 0)]),
        "000019": (1, [("cat", 20, 40, 250, 300, 0), ("sofa", 240, 150, 500, 375, 0)]),
        "000020": (0, [("person", 100, 10, 420, 375, 0)]),
        "000021": (3, [("car", 50, 250, 200, 340, 0), ("bus", 260, 180, 480, 350, 0)]),
        "000023": (4, [("tvmonitor", 300, 60, 470, 200, 0), ("horse", 30, 120, 200, 360, 0)]),
    },
    "test": {
        "000001": (1, [("cat", 40, 20, 460, 370, 0)]),
        "000002": (0, [("person", 120, 30, 400, 375, 0)]),
        "000003": (4, [("train", 20, 120, 480, 300, 0)]),
        "000004": (5, [("pottedplant", 60, 60, 440, 360, 0), ("dog", 10, 250, 90, 370, 1)]),
        "000006": (2, [("bottle", 180, 50, 250, 220, 0)]),
        "000008": (3, [("aeroplane", 150, 30, 350, 360, 0), ("cow", 20, 280, 140, 370, 0)]),
    },
}


def _voc_xml(image_id: str, objects) -> bytes:
    parts = [
        "<annotation>",
        "\t<folder>VOC2007</folder>",
        f"\t<filename>{image_id}.jpg</filename>",
        "\t<source>",
        "\t\t<database>The VOC2007 Database</database>",
        "\t\t<annotation>PASCAL VOC2007</annotation>",
        "\t\t<image>cvutils mirror</image>",
        "\t</source>",
        "\t<size>",
        "\t\t<width>500</width>",
        "\t\t<height>375</height>",
        "\t\t<depth>3</depth>",
        "\t</size>",
        "\t<segmented>0</segmented>",
    ]
    for name, xmin, ymin, xmax, ymax, difficult in objects:
        parts += [
            "\t<object>",
            f"\t\t<name>{name}</name>",
            "\t\t<pose>Unspecified</pose>",
            "\t\t<truncated>0</truncated>",
            f"\t\t<difficult>{difficult}</difficult>",
            "\t\t<bndbox>",
            f"\t\t\t<xmin>{xmin}</xmin>",
            f"\t\t\t<ymin>{ymin}</ymin>",
            f"\t\t\t<xmax>{xmax}</xmax>",
            f"\t\t\t<ymax>{ymax}</ymax>",
            "\t\t</bndbox>",
            "\t</object>",
        ]
    parts.append("</annotation>\n")
    return "\n".join(parts).encode()


def voc_files(photos: list[np.ndarray]) -> dict[str, bytes]:
    """``VOCtrainval_06-Nov-2007.tar`` and ``VOCtest_06-Nov-2007.tar`` (uncompressed):
    ``VOCdevkit/VOC2007/`` with ``Annotations/<id>.xml``, ``JPEGImages/<id>.jpg`` (500x375)
    and ``ImageSets/Main/{trainval,train,val}.txt`` or ``test.txt``."""
    from PIL import Image

    out = {}
    root = "VOCdevkit/VOC2007"
    for split, filename in (
        ("trainval", "VOCtrainval_06-Nov-2007.tar"),
        ("test", "VOCtest_06-Nov-2007.tar"),
    ):
        members, ids = [], sorted(VOC[split])
        for image_id in ids:
            photo, objects = VOC[split][image_id]
            image = Image.fromarray(photos[photo]).resize((500, 375), Image.BILINEAR)
            members.append((f"{root}/Annotations/{image_id}.xml", _voc_xml(image_id, objects)))
            members.append((f"{root}/JPEGImages/{image_id}.jpg", _jpeg(np.asarray(image))))
        sets = {split: ids}
        if split == "trainval":
            sets.update(train=ids[::2], val=ids[1::2])
        for name, listed in sets.items():
            members.append(
                (f"{root}/ImageSets/Main/{name}.txt", "".join(f"{i}\n" for i in listed).encode())
            )
        out[filename] = _tar(members, compress=False)
    return out


def imagenet_class_index() -> bytes:
    """Keras's ``imagenet_class_index.json`` format with placeholder wnids and names."""
    index = {str(i): [f"n{i:08d}", f"mirror_class_{i:03d}"] for i in range(1000)}
    return json.dumps(index).encode()


# ----------------------------------------------------------------------------- weights

#: ``--weights`` name -> (keras.applications builder, keyword arguments, ``(app, include_top)``
#: of `cvutils.datasets.IMAGENET_WEIGHTS`).
WEIGHTS = {
    "vgg16": ("VGG16", dict(include_top=True), ("vgg16", True)),
    "vgg16-notop": ("VGG16", dict(include_top=False), ("vgg16", False)),
    "vgg19": ("VGG19", dict(include_top=True), ("vgg19", True)),
    "vgg19-notop": ("VGG19", dict(include_top=False), ("vgg19", False)),
    "mobilenet_v2": (
        "MobileNetV2",
        dict(include_top=True, input_shape=(224, 224, 3), alpha=1.0),
        ("mobilenet_v2", True),
    ),
    "mobilenet_v2-notop": (
        "MobileNetV2",
        dict(include_top=False, input_shape=(160, 160, 3), alpha=1.0),
        ("mobilenet_v2", False),
    ),
}


def weights_filename(name: str) -> str:
    """The real file name of the ``--weights`` entry ``name``."""
    return datasets.IMAGENET_WEIGHTS[WEIGHTS[name][2]][0].rsplit("/", 1)[-1]


def _seeded_value(path: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """He-normal kernels, zero biases and BN shifts and means, unit BN scales and variances."""
    leaf = path.rsplit("/", 1)[-1]
    if leaf in ("gamma", "moving_variance"):
        return np.ones(shape, np.float32)
    if leaf in ("bias", "beta", "moving_mean") or len(shape) < 2:
        return np.zeros(shape, np.float32)
    fan_in = int(np.prod(shape[:-1])) if leaf != "depthwise_kernel" else int(np.prod(shape[:2]))
    scale = np.float32(np.sqrt(2.0 / max(1, fan_in)))
    return rng.standard_normal(shape, dtype=np.float32) * scale


def weights_h5(name: str, path: Path, seed: int = 0) -> None:
    """Writes the ``--weights`` entry ``name`` to ``path`` in Keras's legacy ``.h5`` layout."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    builder, kwargs, _ = WEIGHTS[name]
    kwargs = dict(kwargs)
    # A named input keeps the file the same in every process (Keras numbers unnamed layers).
    inputs = keras.Input(kwargs.pop("input_shape", (224, 224, 3)), name="input_1")
    model = getattr(keras.applications, builder)(weights=None, input_tensor=inputs, **kwargs)
    rng = np.random.default_rng(seed)
    model.set_weights([_seeded_value(w.path, tuple(w.shape), rng) for w in model.weights])
    tmp = path.with_name(path.name + ".part")
    with h5py.File(tmp, "w", track_order=False) as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    tmp.replace(path)


# ----------------------------------------------------------------------------- the mirror


def build_mirror(folder: str | Path, weights: Iterable[str] = (), seed: int = 0) -> dict[str, str]:
    """Writes the miniature mirror into ``folder`` and returns ``{filename: sha256}``.

    Args:
        folder: where to write (created if missing); existing files of the same names are
            replaced.
        weights: names of `WEIGHTS` to write too (``"all"`` for every one).
        seed: the seed of every random choice.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = list(WEIGHTS) if "all" in weights else list(dict.fromkeys(weights))
    unknown = [w for w in weights if w not in WEIGHTS]
    if unknown:
        raise ValueError(f"weights must be names of {sorted(WEIGHTS)} or 'all'; got {unknown}.")
    photos = _photos()
    makers: dict[str, Callable[[], bytes]] = {
        "mnist.npz": lambda rng: mnist_npz(rng),
        "cifar-10-python.tar.gz": lambda rng: cifar10_tar(rng, photos),
        "flower_photos.tgz": lambda rng: flowers_tgz(rng, photos),
        "organmnist3d.npz": lambda rng: medmnist3d_npz(rng),
        "imagenet_class_index.json": lambda rng: imagenet_class_index(),
    }
    files: dict[str, bytes] = {}
    for offset, (filename, make) in enumerate(makers.items()):
        files[filename] = make(np.random.default_rng([seed, offset]))
    files.update(lfw_files(np.random.default_rng([seed, 100])))
    files.update(pets_files(np.random.default_rng([seed, 101]), photos))
    files.update(voc_files(photos))
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    for name in weights:
        weights_h5(name, folder / weights_filename(name), seed)
    return write_manifest(folder, {*files, *(weights_filename(w) for w in weights)})


def write_manifest(folder: str | Path, filenames: Iterable[str]) -> dict[str, str]:
    """Writes ``folder/SHA256SUMS`` listing ``filenames``; returns ``{filename: sha256}``."""
    folder = Path(folder)
    digests = {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in sorted(filenames)
    }
    manifest = "".join(f"{digest}  {name}\n" for name, digest in digests.items())
    (folder / MANIFEST).write_text(manifest)
    return digests


@contextlib.contextmanager
def serve(folder: str | Path) -> Iterator[str]:
    """Serves ``folder`` over HTTP on 127.0.0.1 (a free port) while the block runs.

    Yields the base URL (``http://127.0.0.1:PORT``) to put in ``CVUTILS_MIRROR``; the server
    thread is stopped and joined on exit.
    """

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, name="mirror-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to write the mirror")
    parser.add_argument(
        "--weights",
        nargs="*",
        default=[],
        choices=[*WEIGHTS, "all"],
        help="ImageNet weight files to write too (large: VGG16 with top is about 550 MB)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    digests = build_mirror(args.folder, args.weights, args.seed)
    total = sum((args.folder / f).stat().st_size for f in digests)
    print(f"{len(digests)} files, {total / 1e6:.1f} MB, in {args.folder} (manifest {MANIFEST})")
    print(f"Use it with CVUTILS_MIRROR={args.folder.resolve().as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

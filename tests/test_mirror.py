"""The local mirror (``CVUTILS_MIRROR``, tools/make_mirror.py): every online loader of
`cvutils.datasets` executed end to end in full mode against miniature files in the real
formats, offline (``file://``, and once through a loopback HTTP server)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
import threading
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from PIL import Image

from cvutils import datasets, downloads
from tools import make_mirror


@pytest.fixture(scope="session")
def mirror_dir(tmp_path_factory) -> Path:
    """One miniature mirror for the session (no weight files)."""
    folder = tmp_path_factory.mktemp("mirror")
    make_mirror.build_mirror(folder)
    return folder


@pytest.fixture
def full_mirror(mirror_dir, monkeypatch, cache):
    """Full mode, CVUTILS_MIRROR at the session's mirror, an empty cache; returns the cache."""
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.setenv("CVUTILS_MIRROR", mirror_dir.as_uri())
    return cache


def _mirror_cache(cache: Path) -> Path:
    """The one ``mirror-<manifest digest>`` folder of the cache."""
    (folder,) = [p for p in cache.iterdir() if p.name.startswith("mirror-")]
    return folder


# ----------------------------------------------------------------------------- the tool


def test_manifest_lists_every_file_with_its_digest(mirror_dir):
    lines = (mirror_dir / downloads.MANIFEST).read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    files = {p.name for p in mirror_dir.iterdir()} - {downloads.MANIFEST}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((mirror_dir / name).read_bytes()).hexdigest() == digest


def test_the_parts_are_deterministic():
    photos = make_mirror._photos()
    for make in (
        lambda rng: make_mirror.mnist_npz(rng),
        lambda rng: make_mirror.cifar10_tar(rng, photos),
        lambda rng: make_mirror.pets_files(rng, photos)["annotations.tar.gz"],
    ):
        assert make(np.random.default_rng(3)) == make(np.random.default_rng(3))


def test_the_real_file_names_and_layouts(mirror_dir):
    real = {
        datasets.MNIST_NPZ.filename,
        datasets.CIFAR10_TAR.filename,
        datasets.FLOWERS_TGZ.filename,
        "organmnist3d.npz",
        *(f.filename for f in datasets.LFW_FILES),
        datasets.PETS_IMAGES_TGZ.filename,
        datasets.PETS_ANNOTATIONS_TGZ.filename,
        datasets.VOC2007_TRAINVAL_TAR.filename,
        datasets.VOC2007_TEST_TAR.filename,
        datasets.IMAGENET_CLASS_INDEX[0].rsplit("/", 1)[-1],
    }
    assert real <= {p.name for p in mirror_dir.iterdir()}
    with tarfile.open(mirror_dir / "VOCtrainval_06-Nov-2007.tar", "r:") as tar:  # not gzipped
        names = tar.getnames()
    assert "VOCdevkit/VOC2007/ImageSets/Main/trainval.txt" in names
    assert "VOCdevkit/VOC2007/Annotations/000005.xml" in names
    with tarfile.open(mirror_dir / "lfw-funneled.tgz") as tar:
        photo = tar.extractfile("lfw_funneled/Mirror_Person_A/Mirror_Person_A_0001.jpg")
        assert Image.open(photo).size == (250, 250)


# ----------------------------------------------------------------------------- loaders


def test_mnist_and_cifar10(full_mirror, no_network):
    (x, y), (xt, yt), prov = datasets.load_mnist()
    assert x.shape == (200, 28, 28) and xt.shape == (100, 28, 28) and x.dtype == np.uint8
    assert y.dtype == np.int64 and set(np.unique(y)) <= set(range(10)) and x.max() > 200
    assert "local mirror" in prov.source
    (c, cy), (ct, cty), _ = datasets.load_cifar10()
    assert c.shape == (100, 32, 32, 3) and ct.shape == (20, 32, 32, 3) and c.dtype == np.uint8
    assert cy.dtype == np.int64 and cty.shape == (20,)
    # cached apart from real files: nothing under the real names in the cache itself
    assert not (full_mirror / "mnist.npz").exists()
    assert (_mirror_cache(full_mirror) / "mnist.npz").exists()


def test_flowers_and_medmnist(full_mirror, no_network):
    (x, y), (xv, yv), names, _ = datasets.load_flowers(image_size=32)
    assert names == list(make_mirror.FLOWER_CLASSES)
    assert x.shape == (25, 32, 32, 3) and xv.shape == (5, 32, 32, 3)
    assert sorted(yv.tolist()) == [0, 1, 2, 3, 4]  # one validation photo per class
    (xtr, ytr), (xva, _), (xte, _), classes, _ = datasets.load_medmnist3d()
    assert xtr.shape == (22, 28, 28, 28, 1) and xva.shape == xte.shape == (11, 28, 28, 28, 1)
    assert xtr.dtype == np.float32 and 0.0 <= xtr.min() and xtr.max() == 1.0
    assert sorted(set(ytr.tolist())) == list(range(len(classes))) == list(range(11))


def test_lfw_people(full_mirror, no_network):
    (images, labels), names, prov = datasets.load_lfw_people(min_faces_per_person=20)
    people = [(p.replace("_", " "), n) for p, n in make_mirror.LFW_PEOPLE if n >= 20]
    assert names == tuple(p for p, _ in people)  # Z has 3 photos: left out
    assert images.shape == (sum(n for _, n in people), 50, 37) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert np.bincount(labels).tolist() == [n for _, n in people]
    # one face per person: photos of a person are closer to each other than to the others
    centres = np.stack([images[labels == k].mean(0) for k in range(len(names))])
    nearest = ((images[:, None] - centres[None]) ** 2).sum((2, 3)).argmin(1)
    assert (nearest == labels).mean() > 0.9
    # the face was pasted into scikit-learn's central crop: it differs from the background
    assert images.std(axis=(1, 2)).min() > 0.02
    assert "local mirror" in prov.source


def test_oxford_pets(full_mirror, no_network):
    (x, m), (xt, mt), classes, _ = datasets.load_oxford_pets(image_size=48)
    assert classes == ["pet", "background", "border"]
    n, nt = len(make_mirror.PETS["trainval"]), len(make_mirror.PETS["test"])
    assert x.shape == (n, 48, 48, 3) and xt.shape == (nt, 48, 48, 3) and mt.shape == (nt, 48, 48)
    assert set(np.unique(m)) == {0, 1, 2} and nt >= 6  # notebook 15 shows 6 test photos
    assert m[:, 0, 0].tolist() == [1] * n  # background in the corners, as the trimaps


def test_voc2007_boxes_are_the_annotations_scaled(full_mirror, no_network):
    (x, boxes, classes), (xt, bt, ct), names, _ = datasets.load_voc2007(image_size=100)
    assert names == list(datasets.VOC_CLASSES) and len(names) == 20
    n, nt = len(make_mirror.VOC["trainval"]), len(make_mirror.VOC["test"])
    assert x.shape == (n, 100, 100, 3) and xt.shape == (nt, 100, 100, 3) and x.dtype == np.uint8
    for split, got_boxes, got_classes in (("trainval", boxes, classes), ("test", bt, ct)):
        for image_id, b, c in zip(
            sorted(make_mirror.VOC[split]), got_boxes, got_classes, strict=True
        ):
            objects = make_mirror.VOC[split][image_id][1]
            want = np.array([o[1:5] for o in objects], np.float32) * np.float32(100)
            want /= np.array([500, 375, 500, 375], np.float32)
            assert b.dtype == np.float32 and c.dtype == np.int64
            np.testing.assert_allclose(b, want, rtol=1e-6)
            assert [names[k] for k in c] == [o[0] for o in objects]
    (x2, *_), (xt2, *_), _, _ = datasets.load_voc2007(image_size=100, n_train=2, n_test=1)
    assert x2.shape[0] == 2 and xt2.shape[0] == 1 and np.array_equal(x2, x[:2])


def test_imagenet_class_names(full_mirror, no_network):
    names = datasets.imagenet_class_names()
    assert len(names) == 1000 and names[281] == "mirror_class_281"


def test_imagenet_weights_load_into_keras(full_mirror, tmp_path, monkeypatch, no_network):
    import keras

    name = "mobilenet_v2-notop"  # the smallest weight file (about 9 MB)
    folder = tmp_path / "weights_mirror"
    folder.mkdir()
    filename = make_mirror.weights_filename(name)
    make_mirror.weights_h5(name, folder / filename)
    digest = hashlib.sha256((folder / filename).read_bytes()).hexdigest()
    (folder / downloads.MANIFEST).write_text(f"{digest}  {filename}\n")
    monkeypatch.setenv("CVUTILS_MIRROR", folder.as_uri())
    path = datasets.imagenet_weights("mobilenet_v2", include_top=False)
    assert path.name == filename and path.parent.name.startswith("mirror-")
    model = keras.applications.MobileNetV2(
        input_shape=(160, 160, 3), include_top=False, weights=str(path)
    )
    kernel = model.get_layer("Conv1").kernel.numpy()
    assert kernel.shape == (3, 3, 3, 32) and 0.1 < kernel.std() < 0.5  # He-normal, fan-in 27


# ----------------------------------------------------------------------------- refusals


def test_a_corrupt_mirror_file_is_refused(mirror_dir, tmp_path, monkeypatch, cache):
    broken = tmp_path / "broken"
    shutil.copytree(mirror_dir, broken)
    data = bytearray((broken / "mnist.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (broken / "mnist.npz").write_bytes(bytes(data))
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.setenv("CVUTILS_MIRROR", broken.as_uri())
    with pytest.raises(RuntimeError, match="has sha256 .* expected .* discarded"):
        datasets.load_mnist()
    assert [p.name for p in _mirror_cache(cache).iterdir()] == []


def test_a_file_missing_from_the_manifest_is_a_clear_error(mirror_dir, tmp_path, monkeypatch):
    partial_mirror = tmp_path / "partial"
    partial_mirror.mkdir()
    shutil.copy(mirror_dir / "mnist.npz", partial_mirror)
    (partial_mirror / downloads.MANIFEST).write_text("")
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.setenv("CVUTILS_MIRROR", partial_mirror.as_uri())
    with pytest.raises(RuntimeError, match="does not list mnist.npz in its SHA256SUMS"):
        datasets.load_mnist()
    monkeypatch.setenv("CVUTILS_MIRROR", (tmp_path / "nowhere").as_uri())
    with pytest.raises(RuntimeError, match="no readable SHA256SUMS.*make_mirror"):
        datasets.load_mnist()


@pytest.mark.parametrize(
    "load",
    [
        datasets.load_cifar10,
        datasets.load_flowers,
        datasets.load_medmnist3d,
        datasets.load_lfw_people,
        datasets.load_oxford_pets,
        datasets.load_voc2007,
        datasets.imagenet_class_names,
        lambda: datasets.imagenet_weights("vgg16"),
    ],
)
def test_fast_mode_never_fetches_even_from_a_mirror(load, mirror_dir, monkeypatch, cache):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    monkeypatch.setenv("CVUTILS_MIRROR", mirror_dir.as_uri())
    with mock.patch("urllib.request.urlopen", side_effect=AssertionError("fetched")) as urlopen:
        with pytest.raises(RuntimeError, match="[Ff]ast mode never"):
            load()
    urlopen.assert_not_called()
    assert not cache.exists() or [p for p in cache.iterdir() if p.name.startswith("mirror")] == []


def test_a_real_file_in_the_cache_is_not_taken_from_a_mirror(full_mirror, mirror_dir, tmp_path):
    real = full_mirror / "mnist.npz"
    full_mirror.mkdir(parents=True, exist_ok=True)
    real.write_bytes(b"stands for the real 11 MB file")
    (x, _), _, _ = datasets.load_mnist()
    assert x.shape == (200, 28, 28)
    assert real.read_bytes() == b"stands for the real 11 MB file"  # untouched
    assert datasets.MNIST_NPZ.sha256.startswith("731c5ac6")  # the pinned digest is unchanged


def test_a_bad_mirror_variable_is_refused(monkeypatch):
    monkeypatch.setenv("CVUTILS_MIRROR", "/just/a/folder")
    with pytest.raises(ValueError, match="^CVUTILS_MIRROR must be an https://"):
        downloads.mirror_url()
    monkeypatch.setenv("CVUTILS_MIRROR", "file:///srv/mirror/")
    assert downloads.mirror_url() == "file:///srv/mirror"
    monkeypatch.delenv("CVUTILS_MIRROR")
    assert downloads.mirror_url() is None


# ----------------------------------------------------------------------------- HTTP


def test_served_over_a_loopback_http_server(mirror_dir, monkeypatch, cache):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with make_mirror.serve(mirror_dir) as url:
        assert url.startswith("http://127.0.0.1:")
        monkeypatch.setenv("CVUTILS_MIRROR", url)
        (x, y), _, prov = datasets.load_mnist()
        assert x.shape == (200, 28, 28) and url in prov.source
        assert datasets.imagenet_class_names()[0] == "mirror_class_000"
    assert not [t for t in threading.enumerate() if t.name == "mirror-http"]  # stopped
    with pytest.raises(RuntimeError, match="no readable SHA256SUMS"):  # and closed
        datasets.load_voc2007()


# ----------------------------------------------------------------------------- pinned digests


def test_lfw_digests_are_scikit_learns():
    from sklearn.datasets import _lfw

    sk = {f.filename: (f.url, f.checksum) for f in (_lfw.FUNNELED_ARCHIVE, *_lfw.TARGETS)}
    assert {f.filename: (f.url, f.sha256) for f in datasets.LFW_FILES} == sk


def test_imagenet_urls_and_md5s_are_keras_own():
    import keras.src.applications as apps

    source = "".join(
        Path(apps.__file__).with_name(f"{m}.py").read_text()
        for m in ("vgg16", "vgg19", "mobilenet_v2", "imagenet_utils")
    )
    for (name, _), (url, md5) in datasets.IMAGENET_WEIGHTS.items():
        assert url.rsplit("/", 1)[-1].split("_")[0] in source
        if md5 is not None:
            assert f'file_hash="{md5}"' in source
        else:  # Keras pins no digest for MobileNetV2
            assert name == "mobilenet_v2" and "file_hash" not in _between(source, "BASE_WEIGHT")
    url, md5 = datasets.IMAGENET_CLASS_INDEX
    assert f'file_hash="{md5}"' in source and url.split("/")[-1] in source
    for m, top in (("vgg16", True), ("vgg16", False), ("vgg19", True), ("vgg19", False)):
        assert datasets.IMAGENET_WEIGHTS[(m, top)][0].split("/")[-1] in source


def _between(text: str, start: str) -> str:
    """The MobileNetV2 part of the concatenated sources (up to imagenet_utils)."""
    begin = text.index(start)
    return text[begin : text.index("CLASS_INDEX = None", begin)]


def test_imagenet_class_index_format_matches_keras(mirror_dir):
    index = json.loads((mirror_dir / "imagenet_class_index.json").read_text())
    assert len(index) == 1000
    assert all(re.fullmatch(r"n\d{8}", v[0]) for v in index.values())


def test_voc_xml_is_what_tfds_parses(mirror_dir):
    """The fields TensorFlow Datasets' VOC builder reads are all there."""
    import xml.etree.ElementTree as ET

    with tarfile.open(mirror_dir / "VOCtest_06-Nov-2007.tar", "r:") as tar:
        root = ET.parse(io.BytesIO(tar.extractfile(
            "VOCdevkit/VOC2007/Annotations/000001.xml").read())).getroot()  # fmt: skip
    assert root.find("size/width").text == "500"
    for obj in root.findall("object"):
        for field in ("name", "pose", "truncated", "difficult", "bndbox/xmin", "bndbox/ymax"):
            assert obj.find(field) is not None


def test_fast_mode_reads_a_cached_real_archive_not_the_mirror(mirror_dir, monkeypatch, cache):
    src = mirror_dir / "cifar-10-python.tar.gz"  # stands for the real archive, cached by hand
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    monkeypatch.setattr(
        datasets, "CIFAR10_TAR", datasets.RemoteFile("https://e.org/c.tar.gz", digest, src.name)
    )
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, cache / src.name)
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    monkeypatch.setenv("CVUTILS_MIRROR", mirror_dir.as_uri())
    with mock.patch("urllib.request.urlopen", side_effect=AssertionError("fetched")):
        (x, _), _, prov = datasets.load_cifar10(n_train=3)
    assert x.shape == (3, 32, 32, 3) and "mirror" not in prov.source
    assert sorted(p.name for p in cache.iterdir()) == [src.name]


# ----------------------------------------------------------------------------- the real sources


@pytest.mark.network
def test_official_imagenet_class_index(cache, monkeypatch):  # pragma: no cover - internet
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.delenv("CVUTILS_MIRROR", raising=False)
    names = datasets.imagenet_class_names()
    assert names[0] == "tench" and names[281] == "tabby"


@pytest.mark.network
def test_official_voc2007_test_split(cache, monkeypatch):  # pragma: no cover - 450 MB
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.delenv("CVUTILS_MIRROR", raising=False)
    _, (x, boxes, classes), names, _ = datasets.load_voc2007(n_train=1)
    assert x.shape == (4952, 128, 128, 3) and len(boxes) == len(classes) == 4952

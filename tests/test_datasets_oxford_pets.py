"""Tests of cvutils.datasets.load_oxford_pets (notebook 15), offline: the official archive
layout (images.tar.gz, annotations.tar.gz with lists and trimaps 1/2/3) is written by
tools/make_mirror.py into a folder and served through file:// URLs with their own digests;
fast mode and a missing network raise OfflineError naming the offline alternative."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest
from PIL import Image
from refusals import assert_refused

from cvutils import datasets
from tools import make_mirror


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """The two miniature archives on disk: ``{filename: path}``."""
    folder = tmp_path_factory.mktemp("pets")
    files = make_mirror.pets_files(np.random.default_rng(0), make_mirror._photos())
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


@pytest.fixture
def local_pets(archives, monkeypatch, cache):
    """Points `PETS_IMAGES_TGZ` / `PETS_ANNOTATIONS_TGZ` at the local archives; full mode."""
    for attr in ("PETS_IMAGES_TGZ", "PETS_ANNOTATIONS_TGZ"):
        real = getattr(datasets, attr)
        path = archives[real.filename]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        monkeypatch.setattr(datasets, attr, datasets.RemoteFile(path.as_uri(), digest, path.name))
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.delenv("CVUTILS_MIRROR", raising=False)
    return archives


def _trimap(archives, name):
    with tarfile.open(archives["annotations.tar.gz"]) as tar:
        raw = tar.extractfile(f"annotations/trimaps/{name}.png").read()
    return np.asarray(Image.open(io.BytesIO(raw)))


def test_reads_images_and_trimaps_in_list_order(local_pets, no_network):
    (x, m), (xt, mt), names, prov = datasets.load_oxford_pets(image_size=32, n_train=4)
    assert names == ["pet", "background", "border"]
    assert x.shape == (4, 32, 32, 3) and m.shape == (4, 32, 32)
    assert xt.shape == (8, 32, 32, 3) and mt.shape == (8, 32, 32)
    assert x.dtype == np.uint8 and m.dtype == np.uint8
    assert set(np.unique(m)) == {0, 1, 2}  # the files' 1, 2, 3 minus one; nearest: no blends
    first = make_mirror.PETS["trainval"][0][0]  # trainval.txt's first photo comes first
    want = Image.fromarray(_trimap(local_pets, first) - 1).resize((32, 32), Image.NEAREST)
    np.testing.assert_array_equal(m[0], np.asarray(want))
    assert "Oxford-IIIT Pets" in str(prov) and "(4, 32, 32, 3)" in str(prov)


def test_is_offline_in_fast_mode(monkeypatch, no_network, cache):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    with pytest.raises(datasets.OfflineError, match="make_shapes"):
        datasets.load_oxford_pets()
    assert not cache.exists() or list(cache.iterdir()) == []


def test_fails_loudly_without_network(monkeypatch, no_network, cache):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.delenv("CVUTILS_MIRROR", raising=False)
    with pytest.raises(datasets.OfflineError, match="Offline alternative.*make_shapes"):
        datasets.load_oxford_pets()


def test_a_wrong_checksum_is_not_an_offline_error(local_pets, monkeypatch):
    path = local_pets["annotations.tar.gz"]
    monkeypatch.setattr(
        datasets, "PETS_ANNOTATIONS_TGZ", datasets.RemoteFile(path.as_uri(), "0" * 64, path.name)
    )
    with pytest.raises(RuntimeError, match="expected 0{64}") as info:
        datasets.load_oxford_pets()
    assert not isinstance(info.value, datasets.OfflineError)


def test_the_checksums_are_those_tfds_pins():
    assert datasets.PETS_IMAGES_TGZ.sha256.startswith("67195c5e1c01f1ab")
    assert datasets.PETS_ANNOTATIONS_TGZ.sha256.startswith("52425fb6de5c4249")


def test_refuses_bad_arguments(tmp_path):
    assert_refused(lambda: datasets.load_oxford_pets(image_size=8), "image_size")
    assert_refused(lambda: datasets.load_oxford_pets(n_train=0), "n_train")
    assert_refused(lambda: datasets.load_oxford_pets(n_test="3"), "n_test")
    (tmp_path / "f").write_text("x")
    assert_refused(lambda: datasets.load_oxford_pets(data_dir=tmp_path / "f"), "data_dir")

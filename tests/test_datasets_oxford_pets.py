"""Tests of cvutils.datasets.load_oxford_pets (notebook 15), offline: a stand-in for
TensorFlow Datasets serves a few tiny photos and trimaps; fast mode and a missing network
raise OfflineError naming the offline alternative."""

from __future__ import annotations

import socket
import sys
import types
import urllib.error

import numpy as np
import pytest
from refusals import assert_refused

from cvutils import datasets


def _example(h, w, k):
    image = np.zeros((h, w, 3), np.uint8)
    image[..., k % 3] = 200
    mask = np.full((h, w, 1), 2, np.uint8)  # TFDS: 2 = background
    mask[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1  # 1 = pet
    mask[h // 4 : h // 4 + 4, w // 4 : 3 * w // 4] = 3  # 3 = border
    return {"image": image, "segmentation_mask": mask, "label": k}


@pytest.fixture
def fake_tfds(monkeypatch):
    """A `tensorflow_datasets` module whose `load` serves 5 train and 4 test examples."""
    calls = []

    def load(name, split, data_dir=None):
        calls.append((name, tuple(split), data_dir))
        train = [_example(40 + 4 * k, 32, k) for k in range(5)]
        test = [_example(32, 48, k) for k in range(4)]
        return [train, test]

    module = types.ModuleType("tensorflow_datasets")
    module.load = load
    module.as_numpy = lambda split: iter(split)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", module)
    monkeypatch.setenv("CVUTILS_MODE", "full")
    return calls


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_reads_images_and_trimaps(fake_tfds, no_network, tmp_path):
    (x, m), (xt, mt), names, prov = datasets.load_oxford_pets(
        image_size=16, n_train=3, data_dir=tmp_path
    )
    assert fake_tfds == [("oxford_iiit_pet", ("train", "test"), str(tmp_path))]
    assert names == ["pet", "background", "border"]
    assert x.shape == (3, 16, 16, 3) and m.shape == (3, 16, 16)
    assert xt.shape == (4, 16, 16, 3) and mt.shape == (4, 16, 16)
    assert x.dtype == np.uint8 and m.dtype == np.uint8
    assert set(np.unique(m)) == {0, 1, 2}  # TFDS's 1, 2, 3 minus one; nearest: no blends
    assert m[0, 8, 8] == 0 and m[0, 0, 0] == 1  # pet in the middle, background in the corner
    assert x[1, ..., 1].min() == 200 and x[1, ..., 0].max() == 0
    assert "Oxford-IIIT Pets" in str(prov) and "(3, 16, 16, 3)" in str(prov)


def test_is_offline_in_fast_mode(monkeypatch, no_network):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # importing it would fail
    with pytest.raises(datasets.OfflineError, match="make_shapes"):
        datasets.load_oxford_pets()


def test_fails_loudly_without_network(fake_tfds, monkeypatch):
    def load(*args, **kwargs):
        try:
            raise urllib.error.URLError("no route to host")
        except urllib.error.URLError as err:
            raise RuntimeError("Failed to download") from err

    monkeypatch.setattr(sys.modules["tensorflow_datasets"], "load", load)
    with pytest.raises(datasets.OfflineError, match="Offline alternative.*make_shapes"):
        datasets.load_oxford_pets()


def test_other_errors_are_not_offline_errors(fake_tfds, monkeypatch):
    def load(*args, **kwargs):
        raise ValueError("corrupt record")

    monkeypatch.setattr(sys.modules["tensorflow_datasets"], "load", load)
    with pytest.raises(ValueError, match="corrupt record"):
        datasets.load_oxford_pets()


def test_refuses_bad_arguments(tmp_path):
    assert_refused(lambda: datasets.load_oxford_pets(image_size=8), "image_size")
    assert_refused(lambda: datasets.load_oxford_pets(n_train=0), "n_train")
    assert_refused(lambda: datasets.load_oxford_pets(n_test="3"), "n_test")
    (tmp_path / "f").write_text("x")
    assert_refused(lambda: datasets.load_oxford_pets(data_dir=tmp_path / "f"), "data_dir")

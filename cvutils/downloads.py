"""Downloads that are verified, cached and atomic: the one download helper of the package.

`download` fetches a file once into the cache (`cache_dir`), checks its SHA-256 (or the MD5
a source publishes instead), and renames it into place only when the digest matches, so a
partial or corrupt file never stays behind; a failure names the offline alternative. The
loaders of `cvutils.datasets` use it with the pinned digests of their `RemoteFile` records.

Taught in notebooks/00_setup_and_tour.ipynb.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cvutils.checks import (
    check_filename,
    check_int,
    check_path,
    check_real,
    check_str,
    fail,
)

__all__ = ["RemoteFile", "cache_dir", "download", "sha256sum"]

_SCHEMES = ("https://", "http://", "file://")


def _check_hex(name: str, value, length: int) -> str:
    value = check_str(name, value, allow_empty=True).lower()
    if len(value) != length or any(c not in "0123456789abcdef" for c in value):
        fail(name, f"{length} hex characters", repr(value))
    return value


def _check_sha256(name: str, value) -> str:
    return _check_hex(name, value, 64)


def _check_md5(name: str, value) -> str:
    return _check_hex(name, value, 32)


@dataclass(frozen=True)
class RemoteFile:
    """A file with an official URL and the SHA-256 it must have.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """

    url: str
    sha256: str
    filename: str

    def __post_init__(self):
        check_str("url", self.url)
        _check_sha256("sha256", self.sha256)
        check_filename("filename", self.filename)


def cache_dir() -> Path:
    """Returns (and creates) the folder where downloaded files are kept.

    ``CVUTILS_CACHE`` wins; otherwise ``data/cache`` when running from a source checkout;
    otherwise ``~/.cache/cvutils``.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    env = os.environ.get("CVUTILS_CACHE")
    if env:
        path = Path(env).expanduser()
    else:
        repo_data = Path(__file__).resolve().parent.parent / "data"
        path = repo_data / "cache" if repo_data.is_dir() else Path.home() / ".cache" / "cvutils"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256sum(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks.

    Args:
        path: an existing regular file (a str or path-like; an integer file descriptor is
            refused).
        chunk: bytes read at a time, ``1..2**30``.

    Raises:
        ValueError: for a path that is not an existing file or a bad ``chunk``.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    path = check_path("path", path, must_exist=True, kind="file")
    chunk = check_int("chunk", chunk, 1, 1 << 30)
    return _hexdigest(path, "sha256", chunk)


def _hexdigest(path: Path, algorithm: str, chunk: int = 1 << 20) -> str:
    """The ``algorithm`` (``"sha256"`` or ``"md5"``) hex digest of the file ``path``."""
    digest = hashlib.new(algorithm, usedforsecurity=algorithm != "md5")
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    sha256: str,
    filename: str | None = None,
    *,
    directory: str | os.PathLike | None = None,
    offline_alternative: str = "",
    timeout: float = 30.0,
    md5: str | None = None,
) -> Path:
    """Fetches ``url`` into the cache once and returns the verified local path.

    A cached file whose checksum does not match is reported, deleted and fetched again.
    The download goes to a temporary file in the same folder that is renamed into place
    only after its checksum matched, so a partial or corrupt file never stays behind.

    Args:
        url: where to fetch from (``https://``, ``http://`` or ``file://``).
        sha256: the expected hex digest (64 characters); None only together with ``md5``.
        filename: a plain name in the cache (no separators, no ``..``); defaults to the last
            part of the URL, which must be such a name too.
        directory: folder to keep it in; defaults to `cache_dir()`.
        offline_alternative: what to do instead when the network is not reachable; it is
            part of the error message.
        timeout: seconds before the connection is given up, in ``(0, 3600]``.
        md5: the expected MD5 hex digest (32 characters), checked instead of a SHA-256 when
            ``sha256`` is None: for sources that publish MD5 digests only (MedMNIST).

    Returns:
        The path of the verified file.

    Raises:
        ValueError: for a bad argument (a URL of another scheme, a ``sha256`` that is not 64
            hex characters, a ``filename`` that leaves its folder, a bad ``timeout``).
        RuntimeError: if the file cannot be fetched, or its checksum does not match.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    url = check_str("url", url)
    if not url.lower().startswith(_SCHEMES):
        fail("url", "an https://, http:// or file:// URL", repr(url))
    if sha256 is None and md5 is not None:
        algorithm, expected = "md5", _check_md5("md5", md5)
    else:
        algorithm, expected = "sha256", _check_sha256("sha256", sha256)
    if filename is None:
        try:
            filename = check_filename("filename", url.rstrip("/").rsplit("/", 1)[-1])
        except ValueError:
            fail("url", "a URL ending in a plain file name (or pass filename=...)", repr(url))
    else:
        filename = check_filename("filename", filename)
    if directory is not None:
        directory = check_path("directory", directory, kind="dir")
    offline_alternative = check_str("offline_alternative", offline_alternative, allow_empty=True)
    timeout = check_real("timeout", timeout, low=0.0, low_open=True, high=3600.0, high_open=False)
    folder = directory if directory is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    if target.exists():
        found = _hexdigest(target, algorithm)
        if found == expected:
            return target
        print(
            f"Cached {target} is corrupt ({algorithm} {found[:12]}..., "
            f"expected {expected[:12]}...); fetching it again."
        )
        target.unlink()
    hint = f" Offline alternative: {offline_alternative}" if offline_alternative else ""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while True:
                block = response.read(1 << 20)
                if not block:
                    break
                out.write(block)
        found = _hexdigest(tmp, algorithm)
        if found != expected:
            raise RuntimeError(
                f"Downloaded {url} has {algorithm} {found}, expected {expected}; the file was "
                f"discarded.{hint}"
            )
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        raise RuntimeError(f"Could not download {url}: {err}.{hint}") from err
    finally:
        if tmp.exists():
            tmp.unlink()
    return target

"""Downloads that are verified, cached and atomic: the one download helper of the package.

`download` fetches a file once into the cache (`cache_dir`), checks its SHA-256 (or the MD5
a source publishes instead), and renames it into place only when the digest matches, so a
partial or corrupt file never stays behind; a failure names the offline alternative. The
loaders of `cvutils.datasets` use it with the pinned digests of their `RemoteFile` records.

A local mirror stands in for every online source when ``CVUTILS_MIRROR`` names one
(``file:///abs/dir`` or ``http://127.0.0.1:PORT``, written by ``tools/make_mirror.py``):
files then come from ``<mirror>/<filename>``, are checked against the mirror's own
``SHA256SUMS`` and cached apart, while the pinned digests of the real files stay unchanged.

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
    check_bool,
    check_filename,
    check_int,
    check_path,
    check_real,
    check_str,
    fail,
)

__all__ = ["MANIFEST", "RemoteFile", "cache_dir", "download", "mirror_url", "sha256sum"]

_SCHEMES = ("https://", "http://", "file://")
#: The file of a mirror (``CVUTILS_MIRROR``) that lists its files' SHA-256 digests.
MANIFEST = "SHA256SUMS"


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


def mirror_url() -> str | None:
    """The base URL of the local mirror named by ``CVUTILS_MIRROR``, or None when unset.

    A mirror is a folder (``file:///abs/dir``) or a server (``http://127.0.0.1:PORT``) that
    holds miniature files under the real file names, plus ``SHA256SUMS`` (``sha256sum``
    format) with their own digests; ``python tools/make_mirror.py DIR`` writes one.

    Returns:
        The URL without a trailing ``/``, or None.

    Raises:
        ValueError: ``CVUTILS_MIRROR`` is set but is not an ``http(s)://`` or ``file://`` URL.

    Described in data/README.md ("A local mirror for full mode without the network").
    """
    value = os.environ.get("CVUTILS_MIRROR", "").strip()
    if not value:
        return None
    if not value.lower().startswith(_SCHEMES):
        fail("CVUTILS_MIRROR", "an https://, http:// or file:// URL", repr(value))
    return value.rstrip("/")


def _read_url(url: str, timeout: float) -> bytes:
    """The bytes at ``url`` (for small files: the mirror's manifest)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _parse_manifest(text: str, where: str) -> dict[str, str]:
    """``{filename: sha256}`` from lines ``<sha256>  <filename>`` (``*`` binary marks allowed)."""
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        digest = parts[0].lower()
        if len(parts) != 2 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise RuntimeError(f"{where} line {number} is not '<sha256>  <filename>': {line!r}")
        entries[parts[1].strip().lstrip("*")] = digest
    return entries


def _mirror_source(base: str, filename: str, timeout: float):
    """Where ``filename`` comes from in the mirror ``base``: ``(url, sha256, cache sub-folder)``.

    The digest is the one the mirror's manifest lists (never the pinned digest of the real
    file), and the sub-folder is named after the manifest's own SHA-256, so a mirror file is
    cached apart from real files and from the files of another mirror.
    """
    where = f"{base}/{MANIFEST}"
    try:
        raw = _read_url(where, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        raise RuntimeError(
            f"CVUTILS_MIRROR={base} has no readable {MANIFEST} ({err}); build one with "
            "python tools/make_mirror.py DIR, or unset CVUTILS_MIRROR to use the real sources."
        ) from err
    entries = _parse_manifest(raw.decode("utf-8", errors="replace"), where)
    if filename not in entries:
        raise RuntimeError(
            f"The mirror {base} does not list {filename} in its {MANIFEST} (it lists "
            f"{len(entries)} files); rebuild it with python tools/make_mirror.py, or unset "
            "CVUTILS_MIRROR to use the real source."
        )
    tag = hashlib.sha256(raw).hexdigest()[:16]
    return f"{base}/{filename}", entries[filename], f"mirror-{tag}"


def _check_download_args(
    url, sha256, filename, directory, offline_alternative, timeout, md5, trust_unpinned
):
    """Validates `download`'s arguments; returns them normalised plus the digest algorithm."""
    url = check_str("url", url)
    if not url.lower().startswith(_SCHEMES):
        fail("url", "an https://, http:// or file:// URL", repr(url))
    trust_unpinned = check_bool("trust_unpinned", trust_unpinned)
    if sha256 is None and md5 is not None:
        algorithm, expected = "md5", _check_md5("md5", md5)
    elif sha256 is None and trust_unpinned:
        algorithm, expected = "sha256", None
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
    return url, algorithm, expected, filename, directory, offline_alternative, timeout


def _cached(target: Path, algorithm: str, expected: str | None) -> bool:
    """True when ``target`` is a cached file with the expected digest; a corrupt one is deleted.

    With no expected digest (`download`'s ``trust_unpinned``) any cached file is taken.
    """
    if not target.exists():
        return False
    if expected is None:
        return True
    found = _hexdigest(target, algorithm)
    if found == expected:
        return True
    print(
        f"Cached {target} is corrupt ({algorithm} {found[:12]}..., "
        f"expected {expected[:12]}...); fetching it again."
    )
    target.unlink()
    return False


def _fetch_verified(url, target: Path, algorithm, expected, timeout, hint: str) -> None:
    """Streams ``url`` into a temporary file beside ``target``, checks it, renames it in place."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while True:
                block = response.read(1 << 20)
                if not block:
                    break
                out.write(block)
        found = _hexdigest(tmp, algorithm)
        if expected is None:
            print(f"{url}: no digest is pinned by its source; its sha256 is {found}.")
        elif found != expected:
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


def download(
    url: str,
    sha256: str | None,
    filename: str | None = None,
    *,
    directory: str | os.PathLike | None = None,
    offline_alternative: str = "",
    timeout: float = 30.0,
    md5: str | None = None,
    trust_unpinned: bool = False,
) -> Path:
    """Fetches ``url`` into the cache once and returns the verified local path.

    A cached file whose checksum does not match is reported, deleted and fetched again.
    The download goes to a temporary file in the same folder that is renamed into place
    only after its checksum matched, so a partial or corrupt file never stays behind.

    With ``CVUTILS_MIRROR`` set (see `mirror_url`), the file is fetched from
    ``<mirror>/<filename>`` instead and checked against the digest that the mirror's
    ``SHA256SUMS`` lists for it (the pinned ``sha256``/``md5`` of the real file is not
    used); it is cached in a sub-folder ``mirror-<manifest digest>``, so a mirror file is
    never taken for the real one.

    Args:
        url: where to fetch from (``https://``, ``http://`` or ``file://``).
        sha256: the expected hex digest (64 characters); None only together with ``md5``
            (or ``trust_unpinned``).
        filename: a plain name in the cache (no separators, no ``..``); defaults to the last
            part of the URL, which must be such a name too.
        directory: folder to keep it in; defaults to `cache_dir()`.
        offline_alternative: what to do instead when the network is not reachable; it is
            part of the error message.
        timeout: seconds before the connection is given up, in ``(0, 3600]``.
        md5: the expected MD5 hex digest (32 characters), checked instead of a SHA-256 when
            ``sha256`` is None: for sources that publish MD5 digests only (MedMNIST, Keras's
            application weights).
        trust_unpinned: with ``sha256`` and ``md5`` both None, fetch without a check and print
            the file's SHA-256: only for files whose source pins no digest at all.

    Returns:
        The path of the verified file.

    Raises:
        ValueError: for a bad argument (a URL of another scheme, a ``sha256`` that is not 64
            hex characters, a ``filename`` that leaves its folder, a bad ``timeout``), or a
            ``CVUTILS_MIRROR`` that is not a URL.
        RuntimeError: if the file cannot be fetched, its checksum does not match, or the
            mirror's manifest does not list it.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    url, algorithm, expected, filename, directory, offline_alternative, timeout = (
        _check_download_args(
            url, sha256, filename, directory, offline_alternative, timeout, md5, trust_unpinned
        )
    )
    folder = directory if directory is not None else cache_dir()
    base = mirror_url()
    if base is not None:
        url, expected, sub = _mirror_source(base, filename, timeout)
        algorithm, folder = "sha256", folder / sub
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    if not _cached(target, algorithm, expected):
        hint = f" Offline alternative: {offline_alternative}" if offline_alternative else ""
        _fetch_verified(url, target, algorithm, expected, timeout, hint)
    return target

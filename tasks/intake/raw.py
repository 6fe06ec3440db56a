"""The bytes of every arrival, kept in raw/ under their sha256 and never changed.

This module owns raw/: where a file's bytes are kept (`raw_key`: raw/<sha[:2]>/<sha><suffix>, relative to
the lake), writing them (`store_raw` for bytes in hand, `keep_file` streaming a file in while hashing it:
never held in memory whole, a symlink never followed) and reading them back (`read_raw`, local or in a
remote lake). Registering an arrival is tasks/intake/collect.py's.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import stat
import tempfile
import threading
from pathlib import Path

from ..core import catalog
from ..core.settings import Settings, lake_fs
from ..core.text import SUFFIX_BYTES


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_key(sha256: str, suffix: str) -> str:
    """Where a file's bytes are kept, relative to the lake: raw/<sha[:2]>/<sha><suffix> (a suffix longer than
    SUFFIX_BYTES is part of the name, not an extension, and is left out: the name stays short)."""
    suffix = suffix.lower() if len(suffix.encode("utf-8")) <= SUFFIX_BYTES else ""
    return f"raw/{sha256[:2]}/{sha256}{suffix}"


def store_raw(settings: Settings, data: bytes, sha256: str, suffix: str) -> Path | str:
    """Keep the bytes under raw/<sha[:2]>/<sha><suffix>; written aside then renamed, never changed.

    In a remote lake (`ZHUANBAO_HOME=s3://…`) the bytes go up in one `pipe_file` (one PUT of the
    whole object, atomic on object stores) and the URL is returned.
    """
    if settings.lake is not None:
        target = f"{settings.lake.rstrip('/')}/{raw_key(sha256, suffix)}"
        fs, key = lake_fs(target)
        if not fs.exists(key):
            fs.pipe_file(key, data)
        return target
    target = settings.home / raw_key(sha256, suffix)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, target)
    os.chmod(target, 0o444)
    return target


def raw_location(settings: Settings, raw_path: str):
    """(fsspec filesystem, path) of a kept file (`Submission.raw_path`, relative to the lake)."""
    return lake_fs(f"{settings.lake_url.rstrip('/')}/{raw_path}")


def read_raw(settings: Settings, raw_path: str) -> bytes:
    """The kept bytes of a submission, local or remote."""
    if settings.lake is None:
        return (settings.home / raw_path).read_bytes()
    fs, key = raw_location(settings, raw_path)
    return fs.cat_file(key)


def keep_file(settings: Settings, path: Path, suffix: str) -> tuple[str, int]:
    """Stream a regular file (opened without following a symlink) into raw/ while hashing it: (sha256, size)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(path, flags), "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            raise IsADirectoryError(str(path))
        if settings.lake is not None:  # a remote lake takes one PUT (the file is under the size limit)
            data = source.read()
            sha = sha256_of(data)
            store_raw(settings, data, sha, suffix)
            return sha, len(data)
        digest, size = hashlib.sha256(), 0
        staging = catalog.raw_incoming(settings.home)
        handle, part = _open_part(staging)
        try:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                _write_all(handle, chunk)
                size += len(chunk)
            os.fchmod(handle, 0o444)  # kept bytes are never changed
        finally:
            os.close(handle)
    sha = digest.hexdigest()
    target = settings.home / raw_key(sha, suffix)
    if target.exists():
        os.unlink(part)
        return sha, size
    try:
        os.replace(part, target)
    except FileNotFoundError:  # the first file of its raw/<sha[:2]>/ folder
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
    return sha, size


_parts = itertools.count()


def _open_part(staging: Path) -> tuple[int, str]:
    """A new file in raw/.incoming/ for an arrival being streamed in (opened exclusively: a name another thread
    or process holds is never reused), created with the folder when it is missing."""
    while True:
        part = os.path.join(staging, f".{os.getpid()}-{threading.get_ident()}-{next(_parts)}.part")
        try:
            return os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), part
        except FileExistsError:
            continue  # left by a crashed process whose pid came round again
        except FileNotFoundError:
            Path(staging).mkdir(parents=True, exist_ok=True)


def _write_all(handle: int, chunk: bytes) -> None:
    view = memoryview(chunk)
    while view:
        view = view[os.write(handle, view):]

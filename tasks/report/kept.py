"""Files the 专报 step keeps for reuse under the home's cache/ (issue 28, render only what changed): written
aside and renamed, so a reader finds a whole file or none; the least recently used pruned beyond a limit.
A cache that cannot be written only costs the next run."""
from __future__ import annotations

import os
from pathlib import Path


def keep_files(folder: Path | None, name: str, files: list[tuple[str, bytes]], limit: int) -> None:
    """`<name><suffix>` for each (suffix, bytes), the last one marking the whole; beyond `limit` entries (counted
    by the last suffix) the oldest go, with their companions."""
    if folder is None:
        return
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in files:
            aside = folder / f".{name}{suffix}.{os.getpid()}"
            aside.write_bytes(data)
            os.replace(aside, folder / f"{name}{suffix}")
        last = files[-1][0]
        kept = sorted(folder.glob(f"*{last}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[limit:]:
            stem = old.name[: -len(last)]
            for suffix, _ in files:
                (folder / f"{stem}{suffix}").unlink(missing_ok=True)
    except OSError:
        pass


def read_kept(path: Path) -> bytes | None:
    """A kept file's bytes (and it marked as just used), or None."""
    try:
        data = Path(path).read_bytes()
        os.utime(path)
    except OSError:
        return None
    return data

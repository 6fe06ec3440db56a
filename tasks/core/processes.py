"""Whether a process recorded in the home still runs: the one answer for recovery's runs and locks, the
CLI's kept server and the warm checker."""
from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int | None) -> bool:
    """Whether a process still runs: a killed one that nobody has reaped yet (a zombie, as an orphan becomes
    in a container whose first process does not reap) has exited and released its locks, so it is not."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (Windows, macOS): the signal said it exists
    return state not in ("Z", "X")

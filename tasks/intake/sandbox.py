"""Reading untrusted workbooks in a child process with a memory and a time limit.

A unit's file may be built to break the reader itself (a sheet that makes the reader allocate
hundreds of GiB, a zip bomb, a million rows): no check inside the process can stop that, so a
batch of files is read in one forked child whose address space (RLIMIT_AS) is capped at what it
already uses plus `read_memory_mb`. The child sends each file's read back as soon as it is done;
when it dies or a file takes longer than `read_timeout_seconds`, the file it was reading becomes
an H00 rejection ("文件过大或已损坏") and a fresh child goes on with the rest. An exception from
the reading (raw/ unreachable, a bug) is not the file's fault: it is raised in the parent, so the
run fails (and is retried) instead of rejecting the file for good. One fork per batch
(not per file) keeps normal reading cheap. Without os.fork (Windows) files are read inline.
"""
from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .archive import TOO_LARGE
from .workbook import WorkbookRead

BROKE_READER = f"{TOO_LARGE}：读取时超出内存或时间限制，请检查文件（删除多余的行列、图片等）后重新导出报送"
_HEADER = struct.Struct("!iQ")  # index of the file, length of its pickled read
Job = TypeVar("Job")


@dataclass(frozen=True)
class ReadFailed:
    """The reader raised (the reader never raises for a bad file, so this is storage or a bug)."""

    message: str


def _die_with_parent() -> None:
    """Linux: the child is killed when the reading process dies (a killed run leaves no reader behind)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _address_space() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def _child(write_fd: int, jobs: Sequence[Job], start: int, read_one: Callable[[Job], WorkbookRead],
           memory_bytes: int) -> None:
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        faulthandler.disable()  # an abort here is expected news for the parent, not a crash report
        _die_with_parent()
        quiet = os.open(os.devnull, os.O_WRONLY)  # a reader that aborts prints its backtrace; the parent reports
        os.dup2(quiet, 2)
        try:
            limit = _address_space() + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (OSError, ValueError):
            pass  # no /proc or a lower hard limit: the time limit still holds
        with os.fdopen(write_fd, "wb", buffering=0) as out:
            for index in range(start, len(jobs)):
                try:
                    outcome = read_one(jobs[index])
                except MemoryError:
                    return  # the parent rejects this file and starts a new child for the rest
                except Exception as exc:  # noqa: BLE001 — not the file's fault (storage, a bug): the parent raises
                    outcome = ReadFailed(f"{type(exc).__name__}: {exc}")
                body = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
                out.write(_HEADER.pack(index, len(body)) + body)
    except BaseException:  # noqa: BLE001 — the parent sees a short stream and judges the file
        status = 1
    finally:
        os._exit(status)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes | None:
    chunks, left = [], size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            return None
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_sandboxed(jobs: Sequence[Job], read_one: Callable[[Job], WorkbookRead], name_of: Callable[[Job], str],
                   *, memory_mb: int, timeout_seconds: float) -> list[WorkbookRead]:
    """`read_one` over `jobs` in forked children with limits; a file that breaks the reader is rejected."""
    if not hasattr(os, "fork") or not jobs:
        return [read_one(job) for job in jobs]
    results: list[WorkbookRead | None] = [None] * len(jobs)
    start = 0
    while start < len(jobs):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child(write_fd, jobs, start, read_one, memory_mb * 1024 * 1024)
        os.close(write_fd)
        index = start
        try:
            while index < len(jobs):
                header = _read_exactly(read_fd, _HEADER.size, time.monotonic() + timeout_seconds)
                if header is None:
                    break
                got, size = _HEADER.unpack(header)
                body = _read_exactly(read_fd, size, time.monotonic() + timeout_seconds)
                if body is None:
                    break
                outcome = pickle.loads(body)
                failed = outcome.message if isinstance(outcome, ReadFailed) else None
                if failed:  # e.g. raw/ unreachable: fail the run (retried), never reject the file
                    raise RuntimeError(f"读取 {name_of(jobs[got])} 时出错（不是文件本身的问题）：{failed}")
                results[got] = outcome
                index = got + 1
        finally:
            os.close(read_fd)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        if index < len(jobs):  # the child died or stalled on this file
            results[index] = WorkbookRead(file_name=name_of(jobs[index]), error=BROKE_READER)
            index += 1
        start = index
    return results  # type: ignore[return-value]

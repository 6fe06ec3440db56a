"""One writer per period: a scheduled run, a manual rerun and a backfill never write the same month at once.

The lock is an OS file lock on `<home>/locks/<period>.lock` (filelock: fcntl on Linux, msvcrt on
Windows), so it holds across processes — the Prefect server's served flows, a clerk's `zhuanbao
rerun`, a second terminal. The OS drops it when the holder dies, so a crash never leaves a month
locked. Beside it `<period>.holder.json` says who holds it, for the message the second writer sees.

The second writer waits up to `wait_seconds` (ZHUANBAO_LOCK_WAIT_SECONDS, default 600) and then
refuses with `PeriodLocked`, whose message names the period and the holder.
"""
from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from ..core import catalog
from ..core.settings import Settings


class PeriodLocked(RuntimeError):
    """Another run is writing the period; the message is for the clerk."""

    def __init__(self, period: str, holder: dict | None, waited: float):
        self.period, self.holder, self.waited = period, holder or {}, waited
        super().__init__(
            f"报告期 {period} 正在由另一次运行处理：{describe_holder(self.holder)}。"
            f"已等待 {waited:g} 秒仍未结束，本次运行未执行；请待其完成后再运行（或稍后重试）。")


def describe_holder(holder: dict) -> str:
    if not holder:
        return "持有者未知"
    parts = [holder.get("who") or "未知运行"]
    if holder.get("since"):
        parts.append(f"自 {holder['since'][:19].replace('T', ' ')} 起")
    if holder.get("host") or holder.get("pid"):
        parts.append(f"主机 {holder.get('host', '?')} 进程 {holder.get('pid', '?')}")
    return "，".join(parts)


def lock_paths(settings: Settings, period: str) -> tuple[Path, Path]:
    folder = catalog.locks_dir(settings.home)
    return folder / f"{period}.lock", folder / f"{period}.holder.json"


def current_holder(settings: Settings, period: str) -> dict | None:
    """Who holds the period now (None when nobody does)."""
    lock_file, holder_file = lock_paths(settings, period)
    if not lock_file.exists():
        return None
    probe = FileLock(str(lock_file), timeout=0, is_singleton=False, thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return _read_holder(holder_file)
    probe.release()
    return None


def _read_holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


@contextmanager
def period_lock(settings: Settings, period: str, who: str, wait_seconds: float | None = None) -> Iterator[dict]:
    """Hold the period's lock for the block; wait up to `wait_seconds`, then raise PeriodLocked."""
    wait = settings.lock_wait_seconds if wait_seconds is None else wait_seconds
    lock_file, holder_file = lock_paths(settings, period)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_file), timeout=wait, is_singleton=False, thread_local=False)
    try:
        lock.acquire(timeout=wait, poll_interval=0.2)
    except Timeout:
        raise PeriodLocked(period, _read_holder(holder_file), wait) from None
    holder = {"period": period, "who": who, "pid": os.getpid(), "host": socket.gethostname(),
              "since": datetime.now(settings.tz).isoformat(timespec="seconds")}
    try:
        holder_file.write_text(json.dumps(holder, ensure_ascii=False), "utf-8")
        yield holder
    finally:
        try:
            holder_file.unlink(missing_ok=True)
        finally:
            lock.release()

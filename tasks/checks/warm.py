"""The warm checker: one long-lived process per home that runs the rule suites for the others.

Great Expectations costs 7–8 s to import and its context and suites take a while to build; a
process that checks a late file or one upload pays that before its first rule. `zhuanbao serve`
(and the kept Prefect server of the CLI, flows/kept_server.py) starts this checker: it imports GX,
builds the context and compiles every suite of the home once, then answers on a unix socket
(`catalog.checker_socket`, mode 0600, in a folder only its owner can write; its address is recorded in
`catalog.checker_json`, beside serve.json). A request carries the loaded suites and the batches
(tasks/checks/validate.py builds them, as in process); the answer is `run_suites`'s failures, so the
findings built from them are the same, byte for byte, as an in-process check. The compiled suites
are kept by name and digest (the suites' text, as in `rules_version`): an edited suite file is compiled
on the next request; new code under a running checker has callers check in process.

When the checker is not up, or fails mid-request, the caller checks in its own process.

    python -m zhuanbao.tasks.checks.warm <home>     # what `serve` starts
"""
from __future__ import annotations

import json
import logging
import os
import pickle
import socket
import struct
import sys
import time
from datetime import datetime
from pathlib import Path

from ..core import catalog
from ..core.processes import pid_alive
from ..core.settings import load_settings
from ..report import pdf_worker

log = logging.getLogger(__name__)
_HEADER = struct.Struct("!Q")
CONNECT_TIMEOUT = 0.5  # seconds to reach the checker before checking in process


class CheckerUnavailable(OSError):
    """The warm checker did not answer (not running, stale record, died mid-request)."""


# ---- wire: length-prefixed pickles over a socket only the home's owner can open -------------

def _send(sock: socket.socket, payload) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(sock: socket.socket):
    header = _exactly(sock, _HEADER.size)
    return pickle.loads(_exactly(sock, _HEADER.unpack(header)[0]))


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise CheckerUnavailable("预热审核进程中断了连接")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---- client ----------------------------------------------------------------------------------

def checker_address(home: Path) -> Path | None:
    """The socket of this home's checker when its record names a live process, else None."""
    try:
        record = json.loads(catalog.checker_json(home).read_text("utf-8"))
        if not pid_alive(int(record["pid"])):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    address = Path(record.get("socket", ""))
    return address if address.is_socket() else None


def ask(address: Path, request: tuple, timeout: float | None = None):
    """One request, one answer; CheckerUnavailable when the checker cannot be reached or dies."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(str(address))
            sock.settimeout(timeout)
            _send(sock, request)
            answer = _receive(sock)
    except CheckerUnavailable:
        raise
    except (OSError, EOFError, pickle.UnpicklingError) as exc:
        raise CheckerUnavailable(f"预热审核进程不可用：{exc}") from exc
    if answer[0] == "error":
        from .suites import SuiteError

        raise SuiteError(answer[1])
    if answer[0] == "stale":
        raise CheckerUnavailable(answer[1])
    return answer[1]


def runner_for(home: Path):
    """A `runner(suites, batches)` (validate.check_period, outputs.check_outputs) that uses this home's warm
    checker, falling back to this process when it is down; None when no checker is recorded."""
    address = checker_address(home)
    if address is None:
        return None

    def run(suites, batches):
        from ..core.results import code_version, digest
        from .suites import run_suites

        key = digest(code_version(), *sorted(f"{name}:{suite.digest}" for name, suite in suites.items()))
        needed = {s.batch for s in suites.values()}
        sent = {name: frame for name, frame in batches.items() if name in needed and not frame.empty}
        try:
            return ask(address, ("check", code_version(), key, suites, sent))
        except CheckerUnavailable as exc:
            log.warning("%s；改在本进程内审核", exc)
            return run_suites(suites, batches)

    return run


def ping(home: Path) -> dict | None:
    """The checker's state (pid, rules key, requests answered) or None when it does not answer."""
    address = checker_address(home)
    if address is None:
        return None
    try:
        return ask(address, ("ping",), timeout=5)
    except CheckerUnavailable:
        return None


# ---- server ----------------------------------------------------------------------------------

class Checker:
    """The process's warm state: the GX context and every suite compiled in it (by name and digest: an edited
    suite is a new one, compiled on first use; the context is rebuilt once too many old ones pile up)."""

    MAX_COMPILED = 64

    def __init__(self, suites_dir: Path):
        from ..core.results import code_version

        self.suites_dir = Path(suites_dir)
        self.code = code_version()  # new code installed under a running checker: callers check in process
        self.compiled: set[tuple[str, str]] = set()
        self.key: str | None = None
        self.answered = 0

    def warm(self) -> None:
        from .outputs import output_suites
        from .suites import load_suites, rules_version

        self._compile(load_suites(self.suites_dir))
        self._compile(output_suites(self.suites_dir))
        self.key = rules_version(self.suites_dir)

    def _compile(self, suites) -> None:
        from . import suites as module

        wanted = {(s.name, s.digest) for s in suites.values()}
        if wanted <= self.compiled:
            return
        if len(self.compiled | wanted) > self.MAX_COMPILED:
            module._gx_context.cache_clear()  # a new context: the old suites go with the old one
            self.compiled.clear()
        context = module.gx_context()
        for suite in suites.values():
            module._gx_suite(context, suite)
            module._batch_definition(context, suite.batch)
        self.compiled |= wanted

    def handle(self, request: tuple):
        from .suites import SuiteError, gx_context, run_suites

        if request[0] == "ping":
            return ("ok", {"pid": os.getpid(), "rules": self.key, "answered": self.answered,
                           "compiled": len(self.compiled)})
        if request[0] == pdf_worker.KIND:  # the warm renderer's request (tasks/report/pdf_worker.py)
            return pdf_worker.handle(request, self.code)
        _, code, key, suites, batches = request
        if code != self.code:
            return ("stale", "预热审核进程运行的是旧版本代码")
        try:
            self._compile(suites)
            found = run_suites(suites, batches, gx_context())
        except SuiteError as exc:
            return ("error", str(exc))
        self.key = key
        self.answered += 1
        return ("ok", found)


def _listen(address: Path) -> socket.socket:
    address.parent.mkdir(parents=True, exist_ok=True)
    address.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket is born 0600: only the home's owner may connect
    try:
        server.bind(str(address))
    finally:
        os.umask(old)
    os.chmod(address, 0o600)
    server.listen(8)
    return server


def serve(home: Path, suites_dir: Path | None = None) -> None:
    """Warm up, listen, record the address, answer requests one at a time until killed."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by serve or its keeper: clear the record
    home = Path(home)
    checker = Checker(suites_dir or _suites_dir(home))
    checker.warm()
    if load_settings(home=home).warm_renderer:  # off by default: WeasyPrint (≈ 100 MB) loaded only when asked for
        pdf_worker.start()  # WeasyPrint imported and the faces loaded: it also renders 专报 PDFs
    from .suites import freeze_heap

    freeze_heap()  # GX, the compiled suites and WeasyPrint stay for the process's life: out of the collector's way
    address = catalog.checker_socket(home)
    server = _listen(address)
    record = catalog.checker_json(home)
    record.write_text(json.dumps({"socket": str(address), "pid": os.getpid(), "rules": checker.key,
                                  "started_at": datetime.now().astimezone().isoformat(timespec="seconds")},
                                 ensure_ascii=False), "utf-8")
    try:
        while True:
            connection, _ = server.accept()
            with connection:
                try:
                    _send(connection, checker.handle(_receive(connection)))
                except Exception:
                    log.exception("预热审核请求处理失败")
    finally:
        server.close()
        _forget(record, address)


def _forget(record: Path, address: Path) -> None:
    """Remove the record and the socket unless a newer checker of the home (serve's, after a kept one) owns them."""
    try:
        mine = json.loads(record.read_text("utf-8")).get("pid") == os.getpid()
    except (OSError, ValueError):
        mine = False
    if mine:
        address.unlink(missing_ok=True)
        record.unlink(missing_ok=True)


def _suites_dir(home: Path) -> Path:
    from ..core.settings import load_settings

    return load_settings(home=home).expectations_dir


def wait_ready(home: Path, timeout: float = 120) -> bool:
    """True once this home's checker answers (it imports GX first: seconds on a small PC)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ping(home):
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(Path(sys.argv[1]))

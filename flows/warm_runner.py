"""The warm runner: `zhuanbao run|rerun|backfill` against a kept server without paying the imports (issue 28).

A command used to spend ≈ 3 s of CPU importing Prefect, pandas, pyarrow, SQLAlchemy, the flows and the 专报's
renderers (WeasyPrint, matplotlib, docx) before its first step. The keeper (flows/kept_server.py) now starts,
beside the kept server and the warm checker, one process per home that imports all of that once, with Prefect
pointed at the kept server, and listens on `catalog.runner_socket` (0600, recorded in `catalog.runner_json`). A
command hands it its arguments, environment, working folder and its own stdin/stdout/stderr (SCM_RIGHTS); the
runner forks and the child runs the command exactly as `zhuanbao` would in that terminal — the same flow run,
names, tags, artifacts, progress and messages — then reports its exit code, which the command exits with
(Ctrl+C is passed on). The parent runs nothing and starts no thread, so every child starts from the same
imported, untouched state.

A command uses it only when it would use the kept server anyway (no PREFECT_API_URL, no `zhuanbao serve`, no
Prefect profile naming a server), with the same PREFECT_* environment (Prefect reads it at import) and the same
code (an edited or upgraded module: the command runs in its own process); `ZHUANBAO_WARM_RUNNER=0` turns it off.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path

from ..tasks.core import catalog
from ..tasks.core.prefect_profile import prefect_settings
from ..tasks.core.processes import pid_alive

IN_CHILD = "ZHUANBAO_IN_WARM_RUNNER"
_HEADER = 8


def source_stamp() -> str:
    """The code a process runs: every .py of the installed package by path, size and mtime (≈ 5 ms to compute)."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    seen = hashlib.sha1()
    for folder in ("flows", "tasks"):
        for path in sorted((root / folder).rglob("*.py")):
            stat = path.stat()
            seen.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return seen.hexdigest()


# ---- the command's side -----------------------------------------------------------------------

def _live_record(home: Path) -> dict | None:
    """The home's warm runner's record when its process is alive, else None."""
    try:
        record = json.loads(catalog.runner_json(home).read_text("utf-8"))
        alive = pid_alive(int(record["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if alive else None


def runner_pid(home: Path) -> int | None:
    """The home's warm runner's process when it runs (for `zhuanbao server status`)."""
    record = _live_record(home)
    return int(record["pid"]) if record else None


def runner_address(home: Path, env: dict[str, str]) -> Path | None:
    """The home's warm runner's socket when it runs this code with this Prefect environment, else None."""
    record = _live_record(home)
    if record is None:
        return None
    address = Path(record.get("socket", ""))
    if not address.is_socket() or record.get("prefect_env") != prefect_settings(env):
        return None
    return address if record.get("code") == source_stamp() else None


def run_there(address: Path, argv: list[str], env: dict[str, str]) -> int | None:
    """Run the command in the warm runner, in this terminal; its exit code (None: it could not start there)."""
    request = json.dumps({"argv": argv, "env": env, "cwd": os.getcwd(),
                          "encoding": getattr(sys.stdout, "encoding", None) or "utf-8"}).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # long: once the request is sent, giving up early could leave the command running there *and* here
        sock.settimeout(60)
        sock.connect(str(address))
        socket.send_fds(sock, [len(request).to_bytes(_HEADER, "big")], [0, 1, 2])
        sock.sendall(request)
        lines = sock.makefile("r", encoding="utf-8")
        child = int(json.loads(lines.readline())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        sock.close()
        return None  # the runner did not start the command: run it here
    forward = {sig: signal.signal(sig, lambda number, _: _pass_on(child, number)) for sig in
               (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        sock.settimeout(None)
        answer = lines.readline()
        return int(json.loads(answer)["exit"]) if answer else 1  # the child died without a word: a crash
    finally:
        for sig, handler in forward.items():
            signal.signal(sig, handler)
        sock.close()


def _pass_on(child: int, number: int) -> None:
    try:
        os.kill(child, number)
    except OSError:
        pass


# ---- the runner's side ------------------------------------------------------------------------

def _warm_up() -> None:
    """Import what a run imports (not GX: the warm checker holds it); nothing is called, no thread starts."""
    import fontTools.subset  # noqa: F401 — WeasyPrint's font subsetting, imported on first write
    import pyarrow.parquet  # noqa: F401
    import weasyprint
    import weasyprint.pdf  # noqa: F401

    from ..tasks.checks import incremental, outputs  # noqa: F401
    from ..tasks.intake import status  # noqa: F401
    from ..tasks.metrics import compute  # noqa: F401
    from ..tasks.report import after_signing, approval, context, publish, render  # noqa: F401
    from . import cli, monthly, rerun  # noqa: F401


def serve(home: Path) -> None:
    """Import, listen, record the address; fork a child per command until stopped (SIGTERM, by the keeper)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    code = source_stamp()  # before importing: a module edited meanwhile makes the record stale, not wrong
    _warm_up()
    address = catalog.runner_socket(home)
    address.parent.mkdir(parents=True, exist_ok=True)
    address.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # born 0600: only the home's owner may hand it a command
    try:
        server.bind(str(address))
    finally:
        os.umask(old)
    server.listen(8)
    server.settimeout(1)
    record = catalog.runner_json(home)
    record.write_text(json.dumps({"socket": str(address), "pid": os.getpid(), "code": code,
                                  "prefect_env": prefect_settings(os.environ)}), "utf-8")
    try:
        while True:
            _reap()
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                _fork_for(connection, server)
    finally:
        server.close()
        try:
            mine = json.loads(record.read_text("utf-8")).get("pid") == os.getpid()
        except (OSError, ValueError):
            mine = False
        if mine:  # not a newer runner's record
            record.unlink(missing_ok=True)
            address.unlink(missing_ok=True)


def _reap() -> None:
    """Collect finished commands, each logged with its exit code and CPU seconds (runner.log)."""
    try:
        while True:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if not pid:
                return
            print(f"命令进程 {pid} 结束：退出码 {os.waitstatus_to_exitcode(status)}，"
                  f"CPU {usage.ru_utime + usage.ru_stime:.2f} 秒", flush=True)
    except ChildProcessError:
        return


def _fork_for(connection: socket.socket, server: socket.socket) -> None:
    connection.settimeout(5)
    fds: list[int] = []
    try:
        data, fds, _, _ = socket.recv_fds(connection, _HEADER, 3)
        size, body = int.from_bytes(data, "big"), b""
        while len(body) < size:
            chunk = connection.recv(size - len(body))
            if not chunk:
                return
            body += chunk
        request = json.loads(body)
        if len(fds) != 3:
            return
        if os.fork() == 0:
            server.close()
            _child(connection, fds, request)  # never returns
    except (OSError, ValueError):
        return
    finally:
        for fd in fds:
            os.close(fd)


def _child(connection: socket.socket, fds: list[int], request: dict) -> None:
    """The command, in the caller's terminal, folder and environment; its exit code back; never returns.
    Long because each step here has to happen in this order before the command may run."""
    import atexit
    import io
    import traceback

    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({**request["env"], IN_CHILD: "1"})
        encoding = request.get("encoding") or "utf-8"
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding, line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding, line_buffering=True,
                                      errors="backslashreplace")
        connection.settimeout(None)
        connection.sendall((json.dumps({"pid": os.getpid()}) + "\n").encode())
        from .cli import app
        from .cli.app import console

        console.__init__(soft_wrap=not sys.stdout.isatty())  # this terminal's width and colours, as `zhuanbao`'s
        try:
            app(args=request["argv"], prog_name="zhuanbao")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 — whatever happens, the caller gets an exit code
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # the kept server's use mark, Prefect's log handlers
            sys.stdout.flush()
            sys.stderr.flush()
            connection.sendall((json.dumps({"exit": code}) + "\n").encode())
        finally:
            os._exit(code)


if __name__ == "__main__":
    serve(Path(sys.argv[1]))

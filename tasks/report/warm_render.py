"""Handing a 专报 PDF to the home's warm renderer (tasks/report/pdf_worker.py, in the warm checker's process)
and going on meanwhile; rendering it in this process when the renderer is not up or fails.

    pending = PendingPdf(home, html, out_path, base_url, font_css)   # the renderer starts laying it out
    ...                                                              # this process draws the Word file
    pending.wait()                                                   # the PDF is at out_path

Without a recorded checker (no `serve`, no kept server) nothing is sent and `wait` renders here; a checker
that is stale, busy dying or fails the render means the same, with a warning. Either way the file is
written by `pdf_engine.render_pdf`, so the bytes are the same.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from ..checks.warm import ask, checker_address
from ..core.results import code_version
from .pdf_engine import render_pdf
from .pdf_worker import KIND

log = logging.getLogger(__name__)


class PendingPdf:
    """One PDF on its way to `out_path`: asked of the warm renderer on a thread (the socket wait lets this
    process work), or rendered here by `wait`. `where` says which did it ("warm" or "here")."""

    def __init__(self, home: Path | None, html: str, out_path: Path, base_url: str, font_css: str, *,
                 then: Callable[[Path], None] | None = None):
        self.out_path, self.where, self._then = Path(out_path), "here", then
        self._args = (html, self.out_path, base_url, font_css)
        self._failure: Exception | None = None
        self._thread: threading.Thread | None = None
        address = checker_address(home) if home is not None else None
        if address is not None:
            request = (KIND, code_version(), html, base_url, font_css, str(self.out_path))
            self._thread = threading.Thread(target=self._ask, args=(address, request), daemon=True,
                                            name="zhuanbao-warm-pdf")
            self._thread.start()

    def _ask(self, address: Path, request: tuple) -> None:
        try:
            ask(address, request)
            self.where = "warm"
        except Exception as exc:  # noqa: BLE001 — whatever went wrong there, `wait` renders here
            self._failure = exc

    def wait(self) -> Path:
        """The PDF in place (rendered here if the warm renderer did not)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            if self._failure is not None:
                log.warning("%s；改在本进程内生成 PDF", self._failure)
        if self.where != "warm":
            render_pdf(*self._args)
        if self._then is not None:
            self._then(self.out_path)
            self._then = None
        return self.out_path

    def discard(self) -> None:
        """Nothing at out_path: what the renderer was asked for is waited for, then removed."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.where, self._then = "warm", None  # a later wait renders nothing
        self.out_path.unlink(missing_ok=True)

"""The warm renderer: the warm checker's process (tasks/checks/warm.py) also lays out 专报 PDFs.

A flow that renders a 专报 hands the HTML to the home's warm checker (tasks/report/warm_render.py) and
goes on with the Word file and the 附表 on the other core; this process has WeasyPrint imported and the
faces loaded already (`pdf_engine.warm_up`, once at start). A request is
`("pdf", code_version, html, base_url, font_css, out_path)`; the answer is `("ok", out_path)` once the
file is in place, or `("stale", why)` — new code under a running checker, or any failure — on which the
caller renders in its own process (`pdf_engine.render_pdf`, the same call, so the same bytes).
"""
from __future__ import annotations

import ctypes
import gc
import logging
import os
import threading
from pathlib import Path

from .pdf_engine import render_pdf, warm_up

log = logging.getLogger(__name__)
KIND = "pdf"
rendered = {"count": 0}


def start() -> None:
    """Called once when the warm checker starts: WeasyPrint imported, the faces loaded. A failure here only
    means the first request pays it (or fails and is rendered by the caller)."""
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # seven lines a render otherwise
    try:
        warm_up()
    except Exception:  # noqa: BLE001 — the checker still checks; PDFs fall back to the caller's process
        log.exception("预热 PDF 排版失败")
    tidy()


def tidy() -> None:
    """Free the last document: its garbage collected, and the heap returned to the system (glibc keeps freed
    memory otherwise: measured on a 74-page draft, the process stayed at 227 MB after three renders, 97 MB
    after this)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the memory is reused by the next render anyway


def handle(request: tuple, code: str) -> tuple:
    """One PDF request (see the module's docstring)."""
    _, sent_code, html, base_url, font_css, out_path = request
    if sent_code != code:
        return ("stale", "预热进程运行的是旧版本代码")
    try:
        render_pdf(html, Path(out_path), base_url, font_css)
    except Exception as exc:  # noqa: BLE001 — the caller renders in its own process and reports what fails there
        log.exception("预热进程生成 PDF 失败：%s", out_path)
        return ("stale", f"预热进程生成 PDF 失败：{exc}")
    rendered["count"] += 1
    threading.Timer(0.2, tidy).start()  # once the answer is on its way
    return ("ok", {"path": str(out_path), "pid": os.getpid(), "rendered": rendered["count"]})

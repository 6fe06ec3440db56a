"""WeasyPrint itself: one HTML string to one PDF file, the same call in the flow's process and in the
warm renderer (tasks/report/pdf_worker.py), so both write the same bytes.

The file is written under a temporary name beside `out_path` and renamed into place: a render that fails
or is killed never leaves half a PDF under its final name.

Python's cyclic garbage collector is paused while WeasyPrint lays out: the boxes of a 专报 are hundreds of
thousands of young objects, and the collections they trigger rescan everything the process holds (all
of Great Expectations in the warm checker). Measured on a 74-page draft: 3.2–3.4 s of CPU with it,
2.6–2.8 s without (plus ≈ 0.2 s for one collection afterwards, which the warm renderer does after
answering).
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from pathlib import Path


def render_pdf(html: str, out_path: Path, base_url: str, font_css: str) -> Path:
    """Lay out `html` (its relative links resolved against `base_url`; `font_css` the office's
    @font-face rules, tasks/report/fonts.py) and write the PDF to `out_path`."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    out_path = Path(out_path)
    fonts = FontConfiguration()
    sheets = [CSS(string=font_css, font_config=fonts)] if font_css else []
    part = out_path.with_name(f".{out_path.name}.{os.getpid()}.part")
    try:
        with collector_paused():
            HTML(string=html, base_url=base_url).write_pdf(str(part), stylesheets=sheets, font_config=fonts)
        os.replace(part, out_path)
    finally:
        part.unlink(missing_ok=True)
    return out_path


@contextmanager
def collector_paused():
    """No cyclic garbage collection inside (reference counting still frees what it can); restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def warm_up() -> None:
    """Import WeasyPrint and lay out a line of each face (Pango, fontconfig and the CJK faces loaded), so a
    long-lived process pays that before its first 专报 rather than during it."""
    from weasyprint import HTML

    from .fonts import STACKS, stack

    lines = "".join(f"<p style='font-family: {stack(role)}'>专报 第1期 12.5%</p>" for role in STACKS)
    HTML(string=f"<html><body><h1>标题</h1>{lines}</body></html>").write_pdf()

"""The PDF of a 专报's HTML: reused from the home's PDF cache when that HTML was rendered before, else laid
out by the warm renderer (tasks/report/warm_render.py) or in this process, and kept in the cache.

`start_pdf` returns at once with something to `wait()` for (or `discard()`): the caller draws the Word
file and the 附表 while the warm renderer lays the PDF out on the other core. `write_pdf` is both at once.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..core import catalog
from ..core.settings import load_settings
from .fonts import font_css
from .kept import keep_files, read_kept
from .template_check import search_dirs
from .warm_render import PendingPdf

PDF_CACHE_FILES = 24  # the most recent PDFs kept for reuse


class ReusedPdf:
    """A PDF copied from the cache: nothing to wait for."""

    where = "cache"

    def __init__(self, out_path: Path):
        self.out_path = Path(out_path)

    def wait(self) -> Path:
        return self.out_path

    def discard(self) -> None:
        self.out_path.unlink(missing_ok=True)


def start_pdf(html: str, out_path: Path, *, templates_dir: Path | None = None,
              home: Path | None = None) -> PendingPdf | ReusedPdf:
    """The PDF of `html` on its way to `out_path`; with a home, an HTML rendered before (same fonts, templates,
    WeasyPrint) reuses that PDF from `catalog.pdf_cache` instead of laying it out again."""
    extra = font_css(home)
    cached = _cached_pdf(html, extra, templates_dir, home)
    reused = read_kept(cached) if cached is not None else None
    if reused is not None:
        Path(out_path).write_bytes(reused)
        return ReusedPdf(out_path)
    keep = (lambda done: _keep_pdf(done, cached)) if cached is not None else None
    renderer = home if home is not None and load_settings(home=home).warm_renderer else None  # None: laid out here
    return PendingPdf(renderer, html, Path(out_path), str(search_dirs(templates_dir, home)[-1]), extra, then=keep)


def write_pdf(html: str, out_path: Path, *, templates_dir: Path | None = None, home: Path | None = None) -> Path:
    """The PDF of `html` at `out_path` (see `start_pdf`)."""
    return start_pdf(html, out_path, templates_dir=templates_dir, home=home).wait()


def _cached_pdf(html: str, extra_css: str, templates_dir: Path | None, home: Path | None) -> Path | None:
    """Where the PDF of this HTML is kept: keyed by the HTML, the font CSS, WeasyPrint's version and the
    template folders' files (a stylesheet the HTML links may change under the same HTML)."""
    if home is None:
        return None
    from importlib.metadata import version

    key = hashlib.sha256()
    for part in (html, extra_css, version("weasyprint")):
        key.update(part.encode("utf-8") + b"\0")
    for folder in search_dirs(templates_dir, home):
        for entry in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else []:
            stat = entry.stat()
            key.update(f"{entry}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    return catalog.pdf_cache(home) / f"{key.hexdigest()[:32]}.pdf"


def _keep_pdf(out_path: Path, cached: Path) -> None:
    """The PDF just laid out, kept whole (written aside, renamed) among the last PDF_CACHE_FILES used."""
    try:
        data = out_path.read_bytes()
    except OSError:
        return  # a cache that cannot be written only costs the next render
    keep_files(cached.parent, cached.stem, [(".pdf", data)], PDF_CACHE_FILES)

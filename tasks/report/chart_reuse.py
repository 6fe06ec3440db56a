"""The 专报's chart drawn once per figures (issue 28, render only what changed): a chart whose context, font and
matplotlib are those of a chart drawn before is read from `catalog.chart_cache` — the same PNG bytes (the
drawing is deterministic, tasks/report/charts.py) without importing matplotlib (≈ 0.4 s of CPU a run)."""
from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

from ..core import catalog
from ..core.results import code_version
from .fonts import sans_font_path
from .kept import keep_files, read_kept

KEPT_CHARTS = 24


def chart_image(chart: dict, home: Path | None = None) -> bytes:
    """The chart of `chart` (a report context's `chart`) as PNG bytes, as `charts.chart_png` draws it."""
    if home is None:
        from .charts import chart_png

        return chart_png(chart, home)
    key = chart_key(chart, home)
    kept = read_kept(catalog.chart_cache(home) / f"{key}.png")
    if kept is not None:
        return kept
    from .charts import chart_png

    png = chart_png(chart, home)
    keep_files(catalog.chart_cache(home), key, [(".png", png)], KEPT_CHARTS)
    return png


def chart_key(chart: dict, home: Path) -> str:
    """The chart's figures and labels, the font file drawn with (path, size, time), matplotlib and our code."""
    font = sans_font_path(home)
    stat = font.stat() if font is not None and font.exists() else None
    parts = (json.dumps(chart, ensure_ascii=False, sort_keys=True, default=str), str(font),
             f"{stat.st_size}:{stat.st_mtime_ns}" if stat else "", version("matplotlib"), code_version())
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part.encode("utf-8") + b"\0")
    return hashed.hexdigest()[:40]

"""The 专报's chart: completion against time progress (matplotlib, Agg, Chinese labels).

Drawn from `context["chart"]` only, so every format shows the same picture. Labels use Noto
Sans CJK SC (or the office's 黑体 from the font folder), registered with font_manager.addfont.
A glyph missing from the font is an error here (`ChartFontError`), never a box in print.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager

from .fonts import sans_font_path

ON_TRACK, LAGGING, LINE = "#2f5597", "#c00000", "#404040"


class ChartFontError(RuntimeError):
    """A chart label has a character the chosen font cannot draw."""


def chart_font(home: Path | None = None) -> str:
    """Register the CJK sans font with matplotlib and return its family name."""
    path = sans_font_path(home)
    if path is None:
        raise ChartFontError("未找到中文字体（需安装 fonts-noto-cjk，或在字体目录放入黑体）")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


LABEL_WIDTH = 0.075  # a value label's width, as a share of the axis (≈ "100.0%" at 7.5 pt)


def bar_lagging(item: dict, value: float, progress: float) -> bool:
    """Red by the context's own rule (`lagging`, the text's judgement); old contexts: below the line."""
    return bool(item["lagging"]) if "lagging" in item else value < progress


def label_x(value: float, progress: float, top: float) -> float:
    """Where a bar's value label starts: just past the bar, or past the time-progress line when
    the label would otherwise be crossed by it."""
    start, width = value + top * 0.01, top * LABEL_WIDTH
    if start <= progress <= start + width:
        return progress + top * 0.01
    return start


def chart_png(chart: dict, home: Path | None = None, dpi: int = 200) -> bytes:
    """The chart of a report context as PNG bytes (deterministic for the same context)."""
    family = chart_font(home)
    items = list(reversed(chart.get("items", [])))
    progress = float(chart.get("time_progress", 0))
    height = max(2.2, 0.32 * len(items) + 1.1)
    with warnings.catch_warnings(record=True) as caught, plt.rc_context({
            "font.family": "sans-serif", "font.sans-serif": [family], "axes.unicode_minus": False,
            "svg.hashsalt": "zhuanbao", "font.size": 9}):
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(6.3, height))
        try:
            values = [100 * float(i["value"]) for i in items]
            colors = [LAGGING if bar_lagging(i, v, 100 * progress) else ON_TRACK for i, v in zip(items, values)]
            ax.barh(range(len(items)), values, color=colors, height=0.62)
            ax.set_yticks(range(len(items)), [i["label"] for i in items])
            ax.axvline(100 * progress, color=LINE, linestyle="--", linewidth=1)
            top = max([100.0, *values]) * 1.12
            ax.set_xlim(0, top)
            ax.set_ylim(-0.6, len(items) - 0.4)
            ax.text(100 * progress, len(items) - 0.4, f"时序进度 {chart.get('time_progress_text', '')}",
                    color=LINE, va="bottom", ha="center", fontsize=8, clip_on=False)  # above the bars
            for y, v in enumerate(values):
                ax.text(label_x(v, 100 * progress, top), y, f"{v:.1f}%", va="center", fontsize=7.5)
            ax.set_xlabel("完成进度（%）")
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
        finally:
            plt.close(fig)
    missing = [str(w.message) for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]
    if missing:
        raise ChartFontError("图表字体缺字：" + "；".join(missing[:3]))
    return out.getvalue()

"""Fonts of the 专报: the office's licensed fonts when dropped in a font folder, free ones otherwise.

Font folders, first hit wins per role: `<home>/fonts/`, then the repository's `fonts/` (see
fonts/README.md). A file's role is found from its family names (read with fontTools) or its file
name: 仿宋 (body), 小标宋 (title), 黑体 (level-1 headings), 楷体 (level-2 headings).
Without them: Noto Serif CJK SC (body), Noto Serif CJK SC Bold (title), Noto Sans CJK SC
(headings), AR PL UKai CN (楷) — Debian fonts-noto-cjk and fonts-arphic-ukai.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core import catalog
from ..core.resources import FONTS_DIR

FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}
ROLE_KEYS: dict[str, tuple[str, ...]] = {  # matched against family names and the file name, lower case
    "title": ("小标宋", "xiaobiaosong", "xbs", "fzxbs"),
    "body": ("仿宋", "fangsong", "simfang", "fzfs"),
    "heading": ("黑体", "simhei", "heiti", "fzht"),
    "kai": ("楷体", "kaiti", "simkai", "fzkt"),
}
# CSS stacks: the local alias (defined by @font-face only when a file was found), the Windows
# names an office PC has, then the Debian fallbacks.
STACKS: dict[str, list[str]] = {
    "title": ["zb-title", "方正小标宋简体", "方正小标宋_GBK", "Noto Serif CJK SC"],
    "body": ["zb-body", "仿宋_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC", "AR PL UKai CN"],
    "heading": ["zb-heading", "黑体", "SimHei", "Noto Sans CJK SC"],
    "kai": ["zb-kai", "楷体_GB2312", "楷体", "KaiTi", "AR PL UKai CN", "Noto Serif CJK SC"],
}
WORD_FONTS = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "heading": "黑体", "kai": "楷体_GB2312"}
SANS_CANDIDATES = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"]


@dataclass(frozen=True)
class FoundFont:
    role: str
    path: Path
    family: str


def font_dirs(home: Path | None = None) -> list[Path]:
    dirs = [catalog.fonts_dir(home)] if home else []
    return dirs + [FONTS_DIR]


def _family_names(path: Path) -> list[str]:
    try:
        from fontTools.ttLib import TTCollection, TTFont

        fonts = TTCollection(str(path)).fonts if path.suffix.lower() in (".ttc", ".otc") else [TTFont(str(path))]
        return sorted({str(rec.toUnicode()) for f in fonts for rec in f["name"].names if rec.nameID in (1, 4)})
    except Exception:  # noqa: BLE001 — an unreadable file is simply not used
        return []


def find_office_fonts(home: Path | None = None) -> dict[str, FoundFont]:
    """Role → the first matching font file in the font folders."""
    found: dict[str, FoundFont] = {}
    for folder in font_dirs(home):
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES):
            families = _family_names(path)
            haystack = " ".join(families + [path.stem]).lower()
            for role, keys in ROLE_KEYS.items():
                if role not in found and any(k in haystack for k in keys):
                    found[role] = FoundFont(role, path.resolve(), families[0] if families else path.stem)
                    break
    return found


def font_css(home: Path | None = None) -> str:
    """@font-face rules for the office's fonts (given to WeasyPrint beside the template's own CSS).

    The title face is declared bold so that `font-weight: bold` in the template uses the
    小标宋 file as it is instead of thickening it; the Noto fallback is a real Bold face.
    """
    return "\n".join(f'@font-face {{ font-family: "zb-{role}"; src: url("{f.path.as_uri()}"); '
                     f'font-weight: {"bold" if role == "title" else "normal"}; }}'
                     for role, f in find_office_fonts(home).items())


def stack(role: str) -> str:
    return ", ".join(f'"{name}"' for name in STACKS[role])


def sans_font_path(home: Path | None = None) -> Path | None:
    """The font for chart labels: the office's 黑体 when present, else Noto Sans CJK."""
    found = find_office_fonts(home)
    if "heading" in found:
        return found["heading"].path
    for candidate in SANS_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    hits = sorted(Path("/usr/share/fonts").rglob("NotoSansCJK*Regular*")) if Path("/usr/share/fonts").is_dir() else []
    return hits[0] if hits else None

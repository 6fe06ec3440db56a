"""The 附表's sheets kept for reuse (issue 28, render only what changed): a sheet whose rows are the same as a
workbook written before is copied from that workbook's part instead of streamed again.

A worksheet part (SpreadsheetML) holds its cells with indexes into the workbook's shared strings, so it is
kept under a key of everything its bytes depend on: the shared strings written before it (their digest, in
order: `XlsxWriter.strings_state`), its layout (name, title row, columns, styles, widths, date columns), its
rows and the code (`code_version`). A sheet's number formats and widths, which read every row, are kept too
(`<digest>.layout`, keyed by its rows). With the part go the strings it brought in, added again in their order
when it is reused — so the workbook is byte for byte the one a fresh write gives. Parts live in
`catalog.appendix_parts` (`cache/appendix`: `<key>.xml` and `<key>.json`), the most recently used
`KEPT_PARTS` kept; the folder can be deleted at any time.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..core.results import code_version
from .kept import keep_files, read_kept

KEPT_PARTS = 32  # the 8 sheets of four workbooks (this draft, its revision, another period…)


@dataclass(frozen=True)
class KeptPart:
    xml: bytes
    strings: list[str]


def rows_digest(sheet: dict) -> str:
    """A sheet's name, columns and rows (str/int/float/None/bool cells: their repr is exact)."""
    text = repr((sheet["name"], sheet["columns"], sheet["rows"]))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def part_key(state: str, layout: object, rows: str) -> str:
    """The key of a sheet's part: the shared strings before it, its layout (JSON-able), its rows' digest."""
    hashed = hashlib.sha256()
    for piece in (code_version(), state, json.dumps(layout, ensure_ascii=False, default=str), rows):
        hashed.update(piece.encode("utf-8") + b"\0")
    return hashed.hexdigest()[:40]


def load_layout(folder: Path | None, rows: str) -> tuple[list, list] | None:
    """A sheet's number formats and column widths as computed before from the same rows (they read every row)."""
    if folder is None:
        return None
    try:
        kept = json.loads(read_kept(Path(folder) / f"{_layout_name(rows)}.layout") or b"null")
        return list(kept["formats"]), list(kept["widths"])
    except (ValueError, KeyError, TypeError):
        return None


def keep_layout(folder: Path | None, rows: str, formats: list, widths: list) -> None:
    text = json.dumps({"formats": formats, "widths": widths}, ensure_ascii=False)
    keep_files(folder, _layout_name(rows), [(".layout", text.encode("utf-8"))], KEPT_PARTS)


def _layout_name(rows: str) -> str:
    return hashlib.sha256(f"{code_version()}\0{rows}".encode()).hexdigest()[:40]


def load_part(folder: Path | None, key: str) -> KeptPart | None:
    """The part kept under `key` (and marked as just used), or None: never kept, pruned or unreadable."""
    if folder is None:
        return None
    xml_path, strings_path = Path(folder) / f"{key}.xml", Path(folder) / f"{key}.json"
    try:
        strings = json.loads(strings_path.read_text("utf-8"))  # written last: present means the part is whole
        xml = xml_path.read_bytes()
        os.utime(strings_path)
    except (OSError, ValueError):
        return None
    if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
        return None
    return KeptPart(xml, strings)


def keep_part(folder: Path | None, key: str, xml: bytes, strings: list[str]) -> None:
    """Keep a part just written (aside, then renamed); a cache that cannot be written only costs the next run."""
    keep_files(folder, key, [(".xml", xml), (".json", json.dumps(strings, ensure_ascii=False).encode("utf-8"))],
               KEPT_PARTS)

"""What every reader of `<home>/reference/<year>/` shares: the one error, the encodings, a file's problems.

`ReferenceError` is the error a reference folder stops with (one line naming the file, row and column);
`decode_table` reads a CSV an office saved as UTF-8 (with or without BOM) or GBK; `PlanProblem` is one
problem of plan.toml or kinds.csv (errors and warnings, for `reference check`), `raise_first` stops at the
first error. The loaders (tasks/core/reference.py, plan_files.py) and the checker (reference_check.py)
import it; it imports none of them.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

BOOLEANS = {"true": True, "false": False}  # Excel writes TRUE / FALSE: compared lower-cased


class ReferenceError(ValueError):
    """A reference table is missing or malformed."""


ENCODINGS = (("utf-8-sig", "UTF-8"), ("gb18030", "GBK"))  # Excel saves "CSV" as GBK on a Chinese Windows


def decode_table(data: bytes) -> tuple[str, str]:
    """(text, encoding found: "UTF-8", "UTF-8 BOM" or "GBK"); UnicodeDecodeError when it is none of them."""
    for codec, label in ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        return text, ("UTF-8 BOM" if label == "UTF-8" and data.startswith(b"\xef\xbb\xbf") else label)
    return data.decode("utf-8"), "UTF-8"  # raises, naming the first bad byte


class PlanProblem(NamedTuple):
    """One problem of plan.toml or kinds.csv; `row` is the file's line (None = the whole file)."""

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"  # error | warning


def raise_first(folder: Path, problems: list[PlanProblem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        p = errors[0]
        label = "键" if p.file.endswith(".toml") else "列"
        where = (f" 第{p.row}行" if p.row else "") + (f" {label} {p.column}" if p.column else "")
        raise ReferenceError(f"参考表 {folder / p.file}{where}：{p.message}")

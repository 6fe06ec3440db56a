"""The unit kinds of a year: `kinds.csv` of `<home>/reference/<year>/` (district-plan.md).

This module owns the file: `kind, label, ranked, order` — the unit kinds `units.csv` may use, how they are
named and whether they are ranked. Without the file: the four kinds of today (`DEFAULT_KINDS`).
`read_kinds` returns the kinds and every problem (for `reference check`); `load_kinds` stops at the first
error with a `ReferenceError`, as `load_reference` does.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from zhuanbao.tasks.core.reference_files import BOOLEANS, PlanProblem, decode_table, raise_first

KINDS_FILE = "kinds.csv"
KIND_COLUMNS = ("kind", "label", "ranked", "order")


@dataclass(frozen=True)
class Kind:
    """A unit kind: its code in units.csv, its printed label, whether its units are ranked, its place."""

    kind: str
    label: str
    ranked: bool = True
    order: int = 0


DEFAULT_KINDS = (Kind("township", "乡镇（办事处）", True, 1), Kind("park", "园区", True, 2),
                 Kind("department", "区直部门", True, 3), Kind("enterprise", "区属国有企业", True, 4))


@dataclass(frozen=True)
class Kinds:
    """The unit kinds of a year, in `order`; `declared` is False for the four kinds of today."""

    kinds: tuple[Kind, ...] = DEFAULT_KINDS
    declared: bool = False
    _by_code: dict[str, Kind] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(sorted(self.kinds, key=lambda k: k.order)))
        self._by_code.update({k.kind: k for k in self.kinds})

    @property
    def codes(self) -> list[str]:
        return [k.kind for k in self.kinds]

    @property
    def labels(self) -> dict[str, str]:
        return {k.kind: k.label for k in self.kinds}

    def label(self, kind: str) -> str:
        return self._by_code[kind].label if kind in self._by_code else kind

    def ranked(self, kind: str) -> bool:
        return self._by_code[kind].ranked if kind in self._by_code else True

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_code

    def __iter__(self):
        return iter(self.kinds)


def read_kinds(folder: Path) -> tuple[Kinds, list[PlanProblem]]:
    path = folder / KINDS_FILE
    if not path.is_file():
        return Kinds(), []
    problems: list[PlanProblem] = []
    try:
        text, _ = decode_table(path.read_bytes())
    except UnicodeDecodeError as exc:
        return Kinds(), [PlanProblem(KINDS_FILE, None, None, f"既不是 UTF-8 也不是 GBK 编码（第{exc.start}字节），"
                                                             "请另存为“CSV UTF-8”")]
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in KIND_COLUMNS if c not in header]
    for column in missing:
        problems.append(PlanProblem(KINDS_FILE, 1, column, f"缺少列“{column}”（列应为 {', '.join(KIND_COLUMNS)}）"))
    for position, column in enumerate(header, start=1):
        if column and column not in KIND_COLUMNS:
            problems.append(PlanProblem(KINDS_FILE, 1, column, f"未知的列（应为 {', '.join(KIND_COLUMNS)}），已忽略",
                                        "warning"))
    if missing:
        return Kinds(), problems
    kinds, seen = [], {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells) or cells[0].strip().startswith("#"):
            continue
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        bad = False
        for column in ("kind", "label", "ranked", "order"):
            if not row[column]:
                problems.append(PlanProblem(KINDS_FILE, line, column, "不能为空"))
                bad = True
        if row["ranked"] and row["ranked"].lower() not in BOOLEANS:
            problems.append(PlanProblem(KINDS_FILE, line, "ranked", f"“{row['ranked']}”应为 true 或 false"))
            bad = True
        if row["order"] and not re.fullmatch(r"\d+", row["order"]):
            problems.append(PlanProblem(KINDS_FILE, line, "order", f"“{row['order']}”应为整数（排列顺序，如 1）"))
            bad = True
        if row["kind"] in seen:
            problems.append(PlanProblem(KINDS_FILE, line, "kind", f"“{row['kind']}”重复（第{seen[row['kind']]}行已有）"))
            bad = True
        seen.setdefault(row["kind"], line)
        if not bad:
            kinds.append(Kind(row["kind"], row["label"], BOOLEANS[row["ranked"].lower()], int(row["order"])))
    if not kinds and not problems:
        problems.append(PlanProblem(KINDS_FILE, None, None, "没有数据行：请至少列出一个单位类别，或删除本文件以用默认的四类"))
    return (Kinds(tuple(kinds), declared=True) if kinds else Kinds()), problems


def load_kinds(folder: Path) -> Kinds:
    """The kinds of `folder` (`reference/<year>/`), or the four of today; `ReferenceError` at the first error."""
    kinds, problems = read_kinds(Path(folder))
    raise_first(Path(folder), problems)
    return kinds

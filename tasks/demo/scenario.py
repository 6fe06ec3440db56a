"""The demo district's month-by-month script: which period runs when, and with what reason.

May also has its 项目半月调度 (plan.toml [[cadences]]): 2020-05-H1 runs on 19 May, 2020-05-H2 on 4 June, each
making a 通报 (tasks/demo/half_month.py writes their workbooks: one late, one missing).

2020-04 runs on the 16th without T04's late file, then again after it arrives: the second
report is a revision (修订版) of the same issue. In 2020-05 three units send what their office suite
saves (`OTHER_FORMATS`: 金盆镇 T02 an .ods from WPS or LibreOffice, D01 a macro workbook .xlsm, D03 Excel's
binary .xlsb; tasks/demo/saved_as.py), read and checked like every .xlsx. After each run the office head reviews the draft
and the leader signs it (`DEMO_APPROVALS`, dated in 2020 so the 专报 prints its 2020 signing date).

June (`DEMO_LATER_RUNS`: every unit clean and on time, its figures continuing May's; `prepare_demo_june`) runs on
16 July and is signed, so the plan's 双过半 milestone month has its 专报; then the campaign's 7月 考评 runs the
year's assessment through June (`DEMO_ASSESSMENT`: `zhuanbao assess --year 2020 --through 2020-06`), its
考核通报 (送审稿) under reports/2020/. June is kept out of `DEMO_RUNS` and `prepare_demo_home` (the three-month
scenario the tests build on); only `zhuanbao demo` adds it.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from ..core import catalog
from ..core.reference import load_reference
from ..core.resources import DEMO_REFERENCE_DIR
from ..core.settings import load_settings
from .generate import build_clean_month, build_demo_inbox
from .half_month import build_half_month_inbox
from .saved_as import save_as

DEMO_RUNS: list[tuple[str, str | None, str | None]] = [
    ("2020-03", "2020-04-16T09:00:00+08:00", None),
    ("2020-04", "2020-05-16T09:00:00+08:00", None),
    ("2020-04", "2020-05-19T09:00:00+08:00", "北洲子镇（T04）5月18日逾期报送，补录后修订"),
    ("2020-05", "2020-06-16T09:00:00+08:00", None),
]

# (period, unit) → the format its file is saved in instead of .xlsx (same arrival time, same figures)
OTHER_FORMATS: dict[tuple[str, str], str] = {("2020-05", "T02"): ".ods", ("2020-05", "D01"): ".xlsm",
                                             ("2020-05", "D03"): ".xlsb"}

# the 项目半月调度 of May (plan.toml [[cadences]]): each half runs the day after its deadline and gets a 通报
DEMO_CADENCE_RUNS: list[tuple[str, str]] = [
    ("2020-05-H1", "2020-05-19T09:00:00+08:00"),
    ("2020-05-H2", "2020-06-04T09:00:00+08:00"),
]

DEMO_MONTHS = ["2020-03", "2020-04", "2020-05"]
# after the scenario months: June, as (period, as_of, reason) and (reviewed_at, signed_at); then the 7月 考评
DEMO_LATER_RUNS: list[tuple[str, str, str | None]] = [("2020-06", "2020-07-16T09:00:00+08:00", None)]
DEMO_LATER_APPROVALS: list[tuple[str, str]] = [("2020-07-16T15:00:00+08:00", "2020-07-17T10:00:00+08:00")]
DEMO_ASSESSMENT = (2020, "2020-06")  # (year, through)

DEMO_REVIEWER, DEMO_SIGNER = ("李华", "office@datonghu.example"), ("王明", "leader@datonghu.example")
# per run of DEMO_RUNS: when the office head reviewed its draft and when the leader signed it
DEMO_APPROVALS: list[tuple[str, str]] = [
    ("2020-04-16T15:00:00+08:00", "2020-04-17T10:00:00+08:00"),
    ("2020-05-16T15:00:00+08:00", "2020-05-17T10:00:00+08:00"),
    ("2020-05-19T09:30:00+08:00", "2020-05-19T10:00:00+08:00"),  # after its 09:00 run
    ("2020-06-16T15:00:00+08:00", "2020-06-17T10:00:00+08:00"),
]


def approve_demo_run(settings, period: str, reviewed_at: str, signed_at: str) -> dict:
    """The demo's office head reviews and its leader signs the period's draft (as registered recipients)."""
    from ..notices import add_recipient
    from ..report.approval import review, sign

    add_recipient(settings, "office", DEMO_REVIEWER[1], DEMO_REVIEWER[0])
    add_recipient(settings, "leader", DEMO_SIGNER[1], DEMO_SIGNER[0])
    review(settings, period, DEMO_REVIEWER[0], "数据已核对", at=datetime.fromisoformat(reviewed_at))
    return sign(settings, period, DEMO_SIGNER[0], at=datetime.fromisoformat(signed_at))


def prepare_demo_home(home: Path) -> list[dict]:
    """A home with the demo reference and three months of generated workbooks in its inbox."""
    if not catalog.reference_root(home).exists():
        shutil.copytree(DEMO_REFERENCE_DIR, catalog.reference_root(home),
                        ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    reference = load_reference(load_settings(home=home), 2020)
    manifest = build_demo_inbox(home, reference, periods=DEMO_MONTHS, seed=2020)
    return save_other_formats(home, manifest) + build_half_month_inbox(home, reference, "2020-05", seed=2020)


def prepare_demo_june(home: Path) -> list[dict]:
    """June's workbooks in the demo home's inbox (after `prepare_demo_home`): every unit, clean, on time."""
    reference = load_reference(load_settings(home=home), 2020)
    return build_clean_month(home, reference, [*DEMO_MONTHS, *(p for p, _, _ in DEMO_LATER_RUNS)], seed=2020)


def cadence_runs_before(as_of: str, done: set[str]) -> list[tuple[str, str]]:
    """The demo's half-month runs planned before `as_of` and not run yet (the CLI runs them in date order)."""
    return [(period, at) for period, at in DEMO_CADENCE_RUNS
            if period not in done and datetime.fromisoformat(at) < datetime.fromisoformat(as_of)]


def save_other_formats(home: Path, manifest: list[dict]) -> list[dict]:
    """The `OTHER_FORMATS` units' .xlsx replaced by the same workbook in their format (the manifest follows)."""
    for entry in manifest:
        suffix = OTHER_FORMATS.get((entry["period"], entry["unit_code"]))
        xlsx = catalog.inbox_dir(home, entry["period"]) / entry["file"]
        if suffix and xlsx.suffix == ".xlsx":
            entry["file"] = save_as(xlsx, suffix).name
            xlsx.unlink()
    return manifest

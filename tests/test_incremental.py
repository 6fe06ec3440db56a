"""Incremental by file (issue 14): each file is read and checked once, and a run rebuilds only what
changed — with exactly the answers of a run that ignores every stored result (`--from-scratch`)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from zhuanbao.tasks import steps
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.scenario import DEMO_APPROVALS, DEMO_RUNS, approve_demo_run
from zhuanbao.tasks.intake.registry import Submission, session

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE_RERUN = ("2020-04", "2020-05-25T09:00:00+08:00", "更正、重复和逾期文件到达后重跑")
MAY_RERUN = ("2020-05", "2020-06-20T09:00:00+08:00", "4月数据更正后重跑5月")


def run_month(settings, period, as_of, reason, *, from_scratch=False, report=True) -> dict:
    """The monthly flow's steps in order, without Prefect (flows/monthly.py wires the same calls)."""
    with steps.recorded_run(settings, period, reason=reason, as_of=as_of, from_scratch=from_scratch) as record:
        ctx = record.context
        steps.collect(ctx)
        reads = steps.read(ctx)
        counts = steps.check(ctx, reads)
        steps.consolidate(ctx, reads)
        status = steps.period_status(ctx)
        steps.metrics(ctx, status)
        if report:
            steps.report(ctx, status)
    return {**counts, "fresh_reads": len(reads.fresh), "loaded": len(reads.loaded)}


def _arrive(src: Path, target: Path, moment: str) -> None:
    shutil.copyfile(src, target)
    stamp = datetime.fromisoformat(moment).timestamp()
    os.utime(target, (stamp, stamp))


def late_files(home: Path, made: Path) -> None:
    """After the demo: T02 corrects April (a higher 本月累计 for one indicator), T01's file arrives again
    under another name (a duplicate), and T05 sends April again late with only a note added. The files
    are made once (in `made`) so that both homes receive the same bytes."""
    inbox = home / "inbox" / "2020-04"
    if not made.exists():
        made.mkdir(parents=True)
        by_unit = {path.name.split("_")[0]: path for path in sorted(inbox.glob("*.xlsx"))}
        book = openpyxl.load_workbook(by_unit["T02"])
        for row in book.worksheets[0].iter_rows():
            cells = [c for c in row if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
            if len(cells) >= 2 and row[0].row > 5:
                cells[1].value = cells[1].value * 1.01  # 本月累计 up 1 %
                break
        book.save(made / "T02_2020-04_更正.xlsx")
        shutil.copyfile(by_unit["T01"], made / "T01_2020-04_再次发送.xlsx")
        book = openpyxl.load_workbook(by_unit["T05"])
        book.worksheets[0].cell(row=1, column=30, value="补充说明")
        book.save(made / "T05_2020-04_补报.xlsx")
    for name, moment in (("T02_2020-04_更正.xlsx", "2020-05-22T10:00:00+08:00"),
                         ("T01_2020-04_再次发送.xlsx", "2020-05-23T10:00:00+08:00"),
                         ("T05_2020-04_补报.xlsx", "2020-05-24T10:00:00+08:00")):
        _arrive(made / name, inbox / name, moment)


def run_scenario(built: Path, home: Path, *, from_scratch: bool, report: bool) -> list[dict]:
    """The demo's runs (reviewed and signed as the demo does), then late files and reruns of April and May."""
    shutil.copytree(built, home, symlinks=True)  # the demo's inbox (built once per session)
    settings = load_settings(home=home)
    counts = []
    for (period, as_of, reason), (reviewed_at, signed_at) in zip(DEMO_RUNS, DEMO_APPROVALS, strict=True):
        counts.append(run_month(settings, period, as_of, reason, from_scratch=from_scratch, report=report))
        if report:
            approve_demo_run(settings, period, reviewed_at, signed_at)
    late_files(home, home.parent / "late-files")
    for period, as_of, reason in (LATE_RERUN, MAY_RERUN):
        counts.append(run_month(settings, period, as_of, reason, from_scratch=from_scratch, report=report))
    counts.append(run_month(settings, *MAY_RERUN, from_scratch=from_scratch, report=report))  # nothing new
    return counts


def outputs(home: Path, report: bool) -> dict[str, bytes]:
    """Every file a person or a later step reads: curated data, receipts, the 专报's text."""
    found = {}
    for path in sorted((home / "curated").rglob("*.parquet")):
        found[str(path.relative_to(home))] = path.read_bytes()
    for path in sorted((home / "reports").rglob("*")):
        if path.is_file() and (path.parent.name == "receipts" or (report and path.suffix in (".html", ".json", ".md"))):
            found[str(path.relative_to(home))] = path.read_bytes()
    settings = load_settings(home=home)
    with session(settings.db_url) as db:
        rows = db.scalars(select(Submission).order_by(Submission.id))
        found["registry"] = json.dumps([[r.id, r.period, r.file_name, r.outcome, r.unit_code, r.rules, r.messages,
                                         r.duplicate_of] for r in rows], ensure_ascii=False).encode()
    return found


def assert_same_answers(built: Path, tmp_path: Path, report: bool) -> list[dict]:
    incremental = run_scenario(built, tmp_path / "incremental", from_scratch=False, report=report)
    run_scenario(built, tmp_path / "scratch", from_scratch=True, report=report)
    mine, theirs = outputs(tmp_path / "incremental", report), outputs(tmp_path / "scratch", report)
    assert sorted(mine) == sorted(theirs)
    assert len([k for k in mine if "/receipts/" in k]) > 100 and any(k.startswith("curated/metrics_") for k in mine)
    different = [name for name in mine if mine[name] != theirs[name]]
    assert different == []
    return incremental


@pytest.mark.slow
def test_incremental_runs_give_the_answers_of_from_scratch_runs_and_do_only_new_work(built_demo_inbox, tmp_path,
                                                                                       fast_pdf):
    """Curated data, receipts, registry outcomes and the 专报's text (HTML, JSON) byte for byte.

    The PDF is printed from the HTML compared here (`fast_pdf`): WeasyPrint would only make this test 2× longer."""
    counts = assert_same_answers(built_demo_inbox, tmp_path, report=True)
    demo_files = counts[0]["files"]
    late_rerun, may_rerun, nothing_new = counts[-3:]
    assert late_rerun["fresh_reads"] == 2  # the corrected and the late file (the duplicate is not read)
    assert late_rerun["checked_now"] == 2
    assert late_rerun["loaded"] <= 3  # only those two (and any file settled as unreadable) are in memory:
    # the other units' curated rows were kept, not rebuilt from their reads
    assert may_rerun["fresh_reads"] == 0
    assert may_rerun["checked_now"] == 1  # only T02's May file: its unit's April figures changed
    assert nothing_new["fresh_reads"] == 0 and nothing_new["checked_now"] == 0
    assert demo_files > 10


def test_a_run_with_nothing_new_loads_no_read_and_never_imports_the_rule_engine(demo_march_home):
    home = demo_march_home  # March already ran (collect → metrics)
    script = textwrap.dedent(f"""
        import sys
        from tests.test_incremental import run_month
        from zhuanbao.tasks.core.settings import load_settings
        from zhuanbao.tasks import steps
        settings = load_settings(home={str(home)!r})
        loaded = []
        original = steps.PeriodReads.subset
        def spy(self, ids):
            out = original(self, ids)
            loaded.extend(fid for fid, _ in out)
            return out
        steps.PeriodReads.subset = spy
        counts = run_month(settings, "2020-03", "2020-04-16T09:00:00+08:00", "无变化重跑", report=False)
        print(counts["checked_now"], counts["fresh_reads"], len(loaded), "great_expectations" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.split() == ["0", "0", "0", "False"]


def test_a_changed_rule_rechecks_every_file_and_the_store_is_plain_parquet(demo_march_home):
    import pandas as pd

    home = demo_march_home  # March already ran (collect → metrics): its 18 files are read and checked
    settings = load_settings(home=home)
    reads = pd.concat(pd.read_parquet(p) for p in (home / "cache" / "reads" / "period=2020-03").glob("*.parquet"))
    assert {"key", "sha256", "file_name", "unit_code", "error", "payload"} <= set(reads.columns)
    assert reads.file_name.str.contains("T01").any()
    suites = home / "expectations"
    shutil.copytree(settings.expectations_dir, suites, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    rules = json.loads((suites / "tasks.json").read_text("utf-8"))
    rules["expectations"][-1]["meta"]["message"] += "（已调整）"
    (suites / "tasks.json").write_text(json.dumps(rules, ensure_ascii=False), "utf-8")
    again = run_month(load_settings(home=home), "2020-03", "2020-04-16T09:00:00+08:00", "规则调整", report=False)
    assert again["fresh_reads"] == 0 and again["checked_now"] == again["files"] == 18

"""Hostile and clumsy input (issue 12): one unit's file never stops the district's month, and nothing leaks.

One period's inbox holds the demo district's files plus one file of every hostile kind; the month
runs (collect → read → check → consolidate → metrics → report, the steps the flow runs) to its 专报,
each hostile file rejected (or, for text that is merely odd, accepted and kept as text) with a
receipt saying why. The module-scoped run costs ~20 s; the other tests are fast.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.hostile_files import dimension_trick, many_rows, zip_bomb
from zhuanbao.tasks import steps
from zhuanbao.tasks.core.reference import ReferenceError, load_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.core.text import clean_text, safe_stem
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import build_demo_inbox, write_workbook
from zhuanbao.tasks.intake.archive import ReadLimits
from zhuanbao.tasks.intake.registry import ReportIssue, Submission, session
from zhuanbao.tasks.intake.sandbox import BROKE_READER, read_sandboxed
from zhuanbao.tasks.intake.workbook import WorkbookRead, read_workbook

TZ = ZoneInfo("Asia/Shanghai")
PERIOD = "2020-03"
ON_TIME = datetime(2020, 4, 10, 9, 0, tzinfo=TZ)
LONG_NAME = "报" * 82 + ".xlsx"  # 251 bytes: legal on Linux, too long inside any receipt name
FORMULA_NAME = '=HYPERLINK("evil.example","点我")+T05.xlsx'
FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0"]


def run_month(settings, period: str = PERIOD) -> dict:
    """The monthly flow's steps, in order, without Prefect (flows/monthly.py runs the same)."""
    with steps.recorded_run(settings, period) as record:
        ctx = record.context
        steps.collect(ctx)
        reads = steps.read(ctx)
        steps.check(ctx, reads)
        steps.consolidate(ctx, reads)
        status = steps.period_status(ctx)
        steps.metrics(ctx, status)
        return steps.report(ctx, status)


def _text_cells(path: Path) -> None:
    """Store every string cell starting with `=` as text (openpyxl would otherwise write a formula)."""
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    book.save(path)


def _put(path: Path, when: datetime = ON_TIME) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """The demo's 2020-03 inbox plus every hostile file, run once to its 专报."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    shutil.copytree(DEMO_REFERENCE_DIR, home / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    settings = load_settings(home=home)
    reference = load_reference(settings, 2020)
    build_demo_inbox(home, reference, [PERIOD])
    inbox = settings.inbox_dir(PERIOD)
    rows, _ = generate_month(reference, PERIOD, rng_seed=2020)

    def workbook(name: str, unit: str, changes=None, **kwargs) -> Path:
        data = {form: [dict(r) for r in form_rows] for form, form_rows in rows[unit].items()}
        for form, field, value in changes or []:
            data[form][0][field] = value
        path = write_workbook(inbox / name, reference=reference, unit_code=unit, period=PERIOD,
                              reported_on=kwargs.pop("reported_on", ON_TIME), **data)
        _text_cells(path)
        return _put(path, kwargs.pop("arrival", ON_TIME))

    # reader breakers
    _put(dimension_trick(inbox / "维度.xlsx"))
    _put(dimension_trick(inbox / "远处单元格.xlsx", declared=False))
    _put(zip_bomb(inbox / "炸弹.xlsx"))
    _put(many_rows(inbox / "三千行.xlsx", 3000))
    # text that is data: control characters and formulas in an accepted file, a formula as a file name
    workbook("D06_2020-03_更新.xlsx", "D06", [("projects", "problems", "资金_x000B_未到位_x0007__x001F_"),
                                            ("projects", "coordination", FORMULAS[0]),
                                            ("projects", "progress_text", FORMULAS[1])],
             arrival=datetime(2020, 4, 14, 10, tzinfo=TZ))
    workbook(FORMULA_NAME, "T05", [("tasks", "progress_pct", "约500")])
    # numbers that are not figures
    workbook("D11_2020-03_补.xlsx", "D11", [("indicators", "cumulative", "1e400")])
    workbook("D10_2020-03_补.xlsx", "D10", [("indicators", "cumulative", "12345678901234567890")])
    # names
    workbook(LONG_NAME, "T02", arrival=datetime(2020, 4, 14, 11, tzinfo=TZ))
    workbook("T03_2020-03_修订.xlsx", "D11", arrival=datetime(2020, 4, 14, 12, tzinfo=TZ))
    workbook("同名.xlsx", "P01", [("tasks", "progress_pct", "约1")])
    workbook("同名.XLSX", "P01", [("tasks", "progress_pct", "约2")])
    # time
    workbook("E01_2020-03_时钟.xlsx", "E01", arrival=datetime(2031, 1, 1, tzinfo=TZ),
             reported_on=datetime(2020, 4, 11, tzinfo=TZ))
    # not files, or too large to read
    (inbox / "链接.xlsx").symlink_to("/etc/hostname")
    (inbox / "文件夹.xlsx").mkdir()
    os.mkfifo(inbox / "管道.xlsx")
    with open(inbox / "巨大.xlsx", "wb") as handle:
        handle.truncate(settings.max_file_bytes + 1)  # sparse: costs no disk
    result = run_month(settings)
    with session(settings.db_url) as db:
        files = {row.file_name: row for row in db.scalars(select(Submission))}
        db.expunge_all()
    return settings, files, result


def receipt(settings, row) -> dict:
    found = list((settings.reports_dir(PERIOD) / "receipts").glob(f"{row.id}_*.json"))
    assert len(found) == 1, f"{row.file_name}: {found}"
    return json.loads(found[0].read_text("utf-8"))


def test_the_month_reaches_its_report_with_every_hostile_file_in_the_inbox(month):
    _, files, result = month
    assert result["created"] and all(Path(result[fmt]).stat().st_size > 0 for fmt in ("html", "pdf", "docx", "xlsx"))
    assert files["D01_2020-03.xlsx"].outcome == "accepted"


@pytest.mark.parametrize("name", ["维度.xlsx", "远处单元格.xlsx", "炸弹.xlsx", "三千行.xlsx"])
def test_a_file_that_would_break_the_reader_is_rejected_as_too_large_or_damaged(month, name):
    settings, files, _ = month
    row = files[name]
    assert (row.outcome, row.rules) == ("rejected", ["H00"])
    assert row.messages[0].startswith("文件过大或已损坏")
    assert receipt(settings, row)["findings"][0]["message"] == row.messages[0]


@pytest.mark.parametrize("name, why", [("链接.xlsx", "符号链接"), ("文件夹.xlsx", "文件夹"), ("管道.xlsx", "不是普通文件"),
                                       ("巨大.xlsx", "文件过大")])
def test_links_folders_devices_and_oversized_files_are_refused_unread(month, name, why):
    settings, files, _ = month
    row = files[name]
    assert (row.outcome, row.rules, row.raw_path) == ("rejected", ["H00"], "")
    assert why in receipt(settings, row)["findings"][0]["message"]


def test_a_symlinked_file_is_never_copied_into_raw(month):
    settings, _, _ = month
    target = Path("/etc/hostname").read_bytes()
    kept = [p for p in (settings.home / "raw").rglob("*") if p.is_file()]
    assert kept and all(p.read_bytes() != target for p in kept)
    assert all(stat_mode & 0o002 == 0 for stat_mode in (p.stat().st_mode for p in kept))


def test_control_characters_are_stripped_and_formulas_stay_text_in_the_appendix(month):
    settings, files, result = month
    assert files["D06_2020-03_更新.xlsx"].outcome == "accepted"
    from zhuanbao.tasks.curated.consolidate import read_partition

    projects = read_partition(settings.curated_dir, "projects", PERIOD)
    d06 = projects[projects.unit_code == "D06"]
    assert "资金未到位" in set(d06.problems) and set(FORMULAS) <= set(d06.coordination) | set(d06.progress_text)
    book = load_workbook(result["xlsx"])
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert FORMULA_NAME in texts  # T05's rejected file, listed by name, as text
    assert "\x0b" not in Path(result["html"]).read_text("utf-8")


@pytest.mark.parametrize("name", ["D11_2020-03_补.xlsx", "D10_2020-03_补.xlsx"])
def test_infinite_or_twenty_digit_numbers_are_rejected_by_h08(month, name):
    settings, files, _ = month
    row = files[name]
    assert row.outcome == "rejected" and "H08" in row.rules
    assert any(f["rule_id"] == "H08" and "超出合理范围" in f["message"] for f in receipt(settings, row)["findings"])


def test_an_82_character_file_name_gets_a_short_receipt(month):
    settings, files, _ = month
    row = files[LONG_NAME]
    assert row.outcome == "accepted"
    path = next((settings.reports_dir(PERIOD) / "receipts").glob(f"{row.id}_*.html"))
    assert len(path.name.encode()) < 120 and receipt(settings, row)["file_name"] == LONG_NAME


def test_a_file_named_for_another_unit_is_rejected_and_does_not_supersede_it(month):
    _, files, _ = month
    row = files["T03_2020-03_修订.xlsx"]
    assert row.outcome == "rejected" and "H02" in row.rules
    assert any("T03" in m and "D11" in m for m in row.messages)
    assert files["D11_2020-03.xlsx"].outcome == "accepted"


def test_two_files_differing_only_in_suffix_case_get_two_receipts(month):
    settings, files, _ = month
    first, second = receipt(settings, files["同名.xlsx"]), receipt(settings, files["同名.XLSX"])
    assert (first["file_name"], second["file_name"]) == ("同名.xlsx", "同名.XLSX")


def test_an_arrival_years_in_the_future_is_clamped_and_flagged(month):
    settings, files, _ = month
    row = files["E01_2020-03_时钟.xlsx"]
    assert row.received_at.year < 2031 and "晚于收集时间" in row.arrival_note
    assert any("晚于收集时间" in note for note in receipt(settings, row)["notes"])


def test_a_settled_unreadable_file_is_not_read_again(month):
    settings, _, _ = month
    shutil.rmtree(settings.home / "cache", ignore_errors=True)
    asked: list[str] = []

    def spy(jobs):
        asked.extend(job.file_name for job in jobs)
        from zhuanbao.tasks.intake.read import read_jobs

        return read_jobs(settings, jobs, ctx.reference)

    with steps.recorded_run(settings, PERIOD, kind="validate") as record:
        ctx = record.context
        reads = steps.read(ctx, spy)
    assert "D01_2020-03.xlsx" in asked
    assert not {"维度.xlsx", "远处单元格.xlsx", "炸弹.xlsx", "三千行.xlsx", "巨大.xlsx"} & set(asked)
    errors = {read.file_name: read.error for _, read in reads if read.error}
    assert errors["维度.xlsx"].startswith("文件过大或已损坏")


def test_the_registry_is_rebuilt_from_receipts_and_reports(month, tmp_path):
    settings, files, result = month
    copy = tmp_path / "home"
    shutil.copytree(settings.home, copy, symlinks=True, ignore=shutil.ignore_patterns("inbox", "*.sqlite"))
    rebuilt = load_settings(home=copy)
    from zhuanbao.tasks.intake.rebuild import rebuild_registry

    counts = rebuild_registry(rebuilt)
    assert counts["issues"] == 1 and counts["submissions"] == len(files)
    with session(rebuilt.db_url) as db:
        issue = db.scalar(select(ReportIssue))
        kept = {row.file_name: row for row in db.scalars(select(Submission))}
    assert (issue.period, issue.issue_no, issue.inputs_digest) == (PERIOD, 1, result["digest"])
    assert kept["维度.xlsx"].rules == ["H00"] and kept["D01_2020-03.xlsx"].id == files["D01_2020-03.xlsx"].id
    assert rebuild_registry(rebuilt)["submissions"] == 0  # a second rebuild adds nothing


# ---- fast cases, no month run ---------------------------------------------------------------

def test_an_empty_registry_beside_published_reports_refuses_a_new_issue_number(settings):
    from zhuanbao.tasks.report.publish import IssueNumberError, next_issue_no

    for period, number in (("2020-03", 1), ("2020-04", 2)):
        (settings.reports_dir(period)).mkdir(parents=True)
        (settings.reports_dir(period) / f"专报_{period}_第{number}期.json").write_text("{}", "utf-8")
    with session(settings.db_url) as db, pytest.raises(IssueNumberError, match="rebuild-registry"):
        next_issue_no(settings, db, "2020-05", 2020)


def test_a_period_whose_report_was_written_before_a_kill_keeps_its_number(settings):
    from zhuanbao.tasks.report.publish import next_issue_no

    settings.reports_dir("2020-03").mkdir(parents=True)
    (settings.reports_dir("2020-03") / "专报_2020-03_第1期.json").write_text("{}", "utf-8")
    with session(settings.db_url) as db:
        assert next_issue_no(settings, db, "2020-03", 2020) == 1


def test_the_sandbox_rejects_only_the_file_that_stalls_and_reads_the_rest(reference, tmp_path):
    good = write_workbook(tmp_path / "D11.xlsx", reference=reference, unit_code="D11", period=PERIOD,
                          **generate_month(reference, PERIOD, rng_seed=1)[0]["D11"])

    def read_one(path: Path) -> WorkbookRead:
        if path.name == "stall.xlsx":
            time.sleep(30)
        return read_workbook(path, reference)

    started = time.monotonic()
    out = read_sandboxed([good, tmp_path / "stall.xlsx", good], read_one, lambda p: p.name,
                         memory_mb=512, timeout_seconds=1)
    assert time.monotonic() - started < 10
    assert [r.error for r in out] == [None, BROKE_READER, None] and out[2].unit_code == "D11"


def test_a_declared_dimension_is_refused_before_any_reader_sees_it(reference, tmp_path):
    read = read_workbook(dimension_trick(tmp_path / "a.xlsx"), reference, limits=ReadLimits(2000, 200))
    assert "1048576 行 × 16384 列" in read.error


def test_a_zip_bomb_is_refused_from_the_zip_directory(reference, tmp_path):
    path = zip_bomb(tmp_path / "bomb.xlsx", inflated_mb=8)
    assert path.stat().st_size < 200_000
    assert "解压后" in read_workbook(path, reference, limits=ReadLimits(max_inflated_bytes=4 * 1024 * 1024)).error


def test_text_is_cleaned_and_names_are_capped():
    assert clean_text("a\x00b\x07c\td\ne_x000B_f\r\ng\u2028") == "abc\td\nef\ng"
    assert clean_text("_x0041_ stays") == "_x0041_ stays"  # only control escapes are decoded
    stem = safe_stem("报" * 82)
    assert len(stem.encode()) <= 80 and stem == "报" * 26
    assert safe_stem("../../etc/passwd") == "etc_passwd" and safe_stem("\x00") == "file"


def test_duplicate_unit_codes_in_the_reference_are_refused_with_file_and_rows(settings):
    units = settings.reference_dir(2020) / "units.csv"
    units.write_text(units.read_text("utf-8") + "T01,河坝镇二,township,河坝二\n", "utf-8")
    with pytest.raises(ReferenceError, match=r"units.csv 第2行与第\d+行 列 unit_code：“T01”重复"):
        load_reference(settings, 2020)


def test_an_empty_period_checks_without_error(reference):
    from zhuanbao.tasks.checks.validate import check_period

    assert check_period("2020-06", [], reference).empty


def test_a_curated_swap_cut_short_is_finished_by_the_next_reader(tmp_path):
    import pandas as pd

    from zhuanbao.tasks.curated.consolidate import partition_run, read_partition, write_partitions

    write_partitions(tmp_path, PERIOD, {"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"x": [1]})}, run_id=1)
    write_partitions(tmp_path, PERIOD, {"a": pd.DataFrame({"x": [2]}), "b": pd.DataFrame({"x": [2]})}, run_id=2)
    # as if run 3 was killed after its journal was committed and "a" was swapped in, before "b"
    asides = []
    for name in ("a", "b"):
        aside = tmp_path / name / f"period={PERIOD}" / ".data.parquet.999.tmp"
        pd.DataFrame({"x": [3]}).to_parquet(aside)
        asides.append([str(aside), str(aside.with_name("data.parquet"))])
    os.replace(*asides[0])
    (tmp_path / f".swap-{PERIOD}.json").write_text(json.dumps(asides), "utf-8")
    assert list(read_partition(tmp_path, "b", PERIOD).x) == [3] == list(read_partition(tmp_path, "a", PERIOD).x)
    assert partition_run(tmp_path, "a", PERIOD) is None  # written by pandas here: no run id
    assert not (tmp_path / f".swap-{PERIOD}.json").exists()


def _cli(capsys, *args: str, home: Path) -> tuple[int, str]:
    """Run the `zhuanbao` command in this process (as its entry point does); (exit code, output)."""
    from zhuanbao.flows.cli import app

    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        app(["--home", str(home), *args], prog_name="zhuanbao")
    out = capsys.readouterr()
    return stopped.value.code, out.out + out.err


@pytest.mark.parametrize("period", ["2020-4 ", "2020-+4", "2020-13", "２０２０-4"])
def test_a_bad_period_is_one_chinese_line_and_exit_2(home, capsys, period):
    code, out = _cli(capsys, "status", "--period", period, home=home)
    assert code == 2 and "Traceback" not in out
    assert "报告期格式应为 YYYY-MM" in out and len(out.strip().splitlines()) == 1


def test_a_fullwidth_period_is_accepted_as_the_same_month(home, capsys):
    code, out = _cli(capsys, "status", "--period", "２０２０-０４", "--json", home=home)
    assert code == 0 and json.loads(out)["period"] == "2020-04"


def test_user_errors_are_one_line_without_traceback(home, tmp_path, capsys, monkeypatch):
    book = tmp_path / "x.xlsx"
    book.write_bytes(b"PK\x03\x04")
    code, out = _cli(capsys, "submit", str(book), "--period", "2020-04", "--received-at", "yesterday", home=home)
    assert code == 2 and "--received-at 的时间“yesterday”无法识别" in out
    code, out = _cli(capsys, "validate", "--period", "2020-04", home=tmp_path / "nowhere")
    assert code == 2 and "数据目录" in out and "不存在" in out
    monkeypatch.setenv("ZHUANBAO_DEADLINE_OVERRIDES", '{"2020-01": 31}')
    code, out = _cli(capsys, "status", "--period", "2020-01", home=home)
    assert code == 2 and "没有这一天" in out
    monkeypatch.delenv("ZHUANBAO_DEADLINE_OVERRIDES")
    (home / "zhuanbao.sqlite").write_bytes(b"this is not a database" * 100)
    code, out = _cli(capsys, "status", "--period", "2020-04", home=home)
    assert code == 2 and "登记库" in out and "rebuild-registry" in out and len(out.strip().splitlines()) == 1


def test_debug_shows_the_traceback(home, capsys):
    from sqlalchemy.exc import DatabaseError

    from zhuanbao.flows.cli import app

    (home / "zhuanbao.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError):
        app(["--home", str(home), "--debug", "status", "--period", "2020-04"], prog_name="zhuanbao")


@pytest.mark.parametrize("name, kind", [("D01.et", "WPS"), ("D01.csv", "CSV"), ("D01.numbers", "Numbers")])
def test_unreadable_wps_and_other_spreadsheet_files_are_named_for_what_they_are(reference, name, kind):
    read = read_workbook(b"PK\x03\x04rest", reference, name=name)
    assert kind in read.error and "另存为" in read.error and ".xlsx" in read.error


def test_a_late_arrival_is_shown_to_the_second():
    from zhuanbao.tasks.checks.receipts import receipt_view

    view = receipt_view({"file_id": 1, "period": "2020-04", "unit_code": "T01", "unit_name": "河坝镇",
                         "file_name": "a.xlsx", "sha256": "0" * 64, "on_time": False, "outcome": "accepted",
                         "office": "", "findings": [], "received_at": datetime(2020, 5, 16, 0, 0, 0, 300000,
                                                                                tzinfo=TZ).isoformat()})
    assert view["arrival_text"] == "2020年5月16日 00:00:00" and view["timeliness"] == "逾期"


def test_a_storage_error_while_reading_fails_the_run_instead_of_rejecting_the_file(tmp_path):
    def read_one(path: Path) -> WorkbookRead:
        raise OSError("raw/ unreachable")

    with pytest.raises(RuntimeError, match="不是文件本身的问题.*raw/ unreachable"):
        read_sandboxed([tmp_path / "a.xlsx"], read_one, lambda p: p.name, memory_mb=256, timeout_seconds=5)


def test_hidden_rows_are_not_read_as_data(reference, tmp_path):
    path = write_workbook(tmp_path / "D11.xlsx", reference=reference, unit_code="D11", period=PERIOD,
                          **generate_month(reference, PERIOD, rng_seed=1)[0]["D11"])
    shown = read_workbook(path, reference).records["indicators"]
    book = load_workbook(path)
    book["表1 指标"].row_dimensions[shown[0]["row"]].hidden = True
    book.save(path)
    read = read_workbook(path, reference)
    assert [r["indicator_code"] for r in read.records["indicators"]] == [r["indicator_code"] for r in shown[1:]]

"""Intake: files kept byte for byte, registered once, duplicates recognised, inbox untouched."""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.tasks.intake.collect import collect_inbox, copy_into_inbox, submit_file
from zhuanbao.tasks.intake.read import read_period
from zhuanbao.tasks.intake.registry import session, submissions

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def fill_inbox(settings, samples, names=("T01", "D05", "D02")):
    for code in names:
        copy_into_inbox(samples / "2020-04-messy" / f"{code}_2020-04.xlsx", settings, "2020-04", at("2020-05-12 10:00"))


def test_collect_keeps_every_file_byte_for_byte_and_leaves_the_inbox_alone(settings, samples):
    fill_inbox(settings, samples)
    inbox = settings.inbox_dir("2020-04")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime) for p in inbox.iterdir()}
    with session(settings.db_url) as db:
        result = collect_inbox(settings, db, "2020-04")
        rows = submissions(db, "2020-04")
    assert len(result.registered) == 3
    for row in rows:
        kept = (settings.home / row.raw_path).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == row.sha256 == hashlib.sha256(before[row.file_name][0]).hexdigest()
        assert row.size == len(kept)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime) for p in inbox.iterdir()} == before


def test_collecting_twice_changes_nothing(settings, samples):
    fill_inbox(settings, samples)
    with session(settings.db_url) as db:
        collect_inbox(settings, db, "2020-04")
        first = [(r.id, r.outcome) for r in submissions(db, "2020-04")]
        again = collect_inbox(settings, db, "2020-04")
        assert again.registered == [] and again.already_known == 3
        assert [(r.id, r.outcome) for r in submissions(db, "2020-04")] == first


def test_same_bytes_under_another_name_are_a_duplicate_not_a_version(settings, samples):
    fill_inbox(settings, samples, names=("T01",))
    copy = settings.inbox_dir("2020-04") / "河坝镇4月报表（再发一次）.xlsx"
    shutil.copyfile(settings.inbox_dir("2020-04") / "T01_2020-04.xlsx", copy)
    with session(settings.db_url) as db:
        result = collect_inbox(settings, db, "2020-04")
        read_period(settings, db, "2020-04", _ref(settings))
        rows = submissions(db, "2020-04")
    assert len(result.registered) == 1 and len(result.duplicates) == 1
    duplicate = next(r for r in rows if r.outcome == "duplicate")
    assert duplicate.unit_code == "T01" and duplicate.duplicate_of == result.registered[0]
    assert len(list(settings.raw_dir.rglob("*.xlsx"))) == 1  # the bytes are kept once


def test_inbox_arrival_is_the_modification_time_in_shanghai(settings, samples):
    fill_inbox(settings, samples, names=("T01",))
    with session(settings.db_url) as db:
        collect_inbox(settings, db, "2020-04")
    status = _status_json(settings)
    assert status["files"][0]["received_at"] == "2020-05-12T10:00:00+08:00"


def test_submit_registers_with_the_given_arrival_and_resubmitting_is_a_duplicate(settings, samples):
    path = samples / "2020-04-messy" / "D05_2020-04.xlsx"
    with session(settings.db_url) as db:
        first = submit_file(settings, db, path, "2020-04", at("2020-05-16 08:30"))
        second = submit_file(settings, db, path, "2020-04", at("2020-05-16 09:00"))
        read_period(settings, db, "2020-04", _ref(settings))
    assert (first.outcome, second.outcome) == ("received", "duplicate")
    unit = next(u for u in _status_json(settings)["units"] if u["unit_code"] == "D05")
    assert unit == {"unit_code": "D05", "unit_name": "区住房城乡建设局", "status": "received", "on_time": False,
                    "versions": 1, "rules": []}


def test_unreadable_file_is_rejected_kept_and_explained(settings):
    inbox = settings.inbox_dir("2020-04")
    inbox.mkdir(parents=True)
    (inbox / "T02_2020-04.xlsx").write_bytes(b"not a workbook")
    (inbox / "~$T02_2020-04.xlsx").write_bytes(b"excel lock file")  # office lock files are not submissions
    with session(settings.db_url) as db:
        collect_inbox(settings, db, "2020-04")
        read_period(settings, db, "2020-04", _ref(settings))
    files = _status_json(settings)["files"]
    assert len(files) == 1
    assert files[0]["outcome"] == "rejected" and "已损坏" in files[0]["messages"][0]
    assert (settings.home / next(settings.raw_dir.rglob("*.xlsx"))).read_bytes() == b"not a workbook"


def test_status_json_lists_every_required_unit_and_every_file(settings, samples):
    fill_inbox(settings, samples)
    runner = CliRunner()
    env = {"ZHUANBAO_HOME": str(settings.home)}
    assert runner.invoke(app, ["collect", "--period", "2020-04"], env=env).exit_code == 0
    status = _status_json(settings)
    assert status["period"] == "2020-04" and status["deadline"] == "2020-05-15T23:59:59+08:00"
    assert len(status["units"]) == 18
    by_unit = {u["unit_code"]: u for u in status["units"]}
    assert by_unit["T02"] == {"unit_code": "T02", "unit_name": "金盆镇", "status": "missing", "on_time": None,
                              "versions": 0, "rules": []}
    assert by_unit["T01"]["on_time"] is True and by_unit["T01"]["versions"] == 1
    assert {f["file"] for f in status["files"]} == {"T01_2020-04.xlsx", "D05_2020-04.xlsx", "D02_2020-04.xlsx"}
    assert set(status["files"][0]) == {"file", "sha256", "received_at", "unit_code", "outcome", "rules", "messages"}


def test_plain_status_is_a_readable_table(settings, samples):
    fill_inbox(settings, samples, names=("T01",))
    env = {"ZHUANBAO_HOME": str(settings.home), "COLUMNS": "160"}
    runner = CliRunner()
    runner.invoke(app, ["collect", "-p", "2020-04"], env=env)
    out = runner.invoke(app, ["status", "-p", "2020-04"], env=env).output
    assert "河坝镇" in out and "金盆镇" in out and "未报" in out


def test_bad_period_is_refused(settings):
    result = CliRunner().invoke(app, ["status", "-p", "2020-4"], env={"ZHUANBAO_HOME": str(settings.home)})
    assert result.exit_code != 0 and "YYYY-MM" in result.output


def _ref(settings):
    from zhuanbao.tasks.core.reference import reference_for

    return reference_for(settings, "2020-04")


def _status_json(settings) -> dict:
    result = CliRunner().invoke(app, ["status", "-p", "2020-04", "--json"], env={"ZHUANBAO_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)

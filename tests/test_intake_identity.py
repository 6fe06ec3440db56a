"""Intake identity: a file is the same file only for the same sender (unit account, or the office), and
the same bytes uploaded at the same moment are registered once."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.collect import submit_file
from zhuanbao.tasks.intake.registry import _ENGINES, Submission, session

from .test_portal import PERIOD, _token, account, portal_settings, workbook


def api_upload(client: TestClient, token: str, path, name: str | None = None):
    return client.post(f"/api/v1/periods/{PERIOD}/submissions", headers={"Authorization": f"Bearer {token}"},
                       files={"file": (name or path.name, path.read_bytes())})


def unit_status(client: TestClient, office_token: str, unit: str) -> str:
    status = client.get(f"/api/v1/periods/{PERIOD}/status", headers={"Authorization": f"Bearer {office_token}"})
    return next(u for u in status.json()["units"] if u["unit_code"] == unit)["status"]


def test_another_units_wrong_upload_never_stands_in_for_the_owner(home, tmp_path):
    settings = portal_settings(home)
    client = TestClient(create_app(settings, warm=False))
    for login, unit in (("t04", "T04"), ("t05", "T05")):
        account(settings, login, unit=unit)
    account(settings, "office", unit=None, role="office")
    office = _token(settings, "office")
    t05_book = workbook(tmp_path, settings, unit="T05")

    wrong = api_upload(client, _token(settings, "t04"), t05_book)
    assert wrong.status_code == 201 and wrong.json()["outcome"] == "rejected"
    assert "H09" in {f["rule"] for f in wrong.json()["findings"]}
    assert unit_status(client, office, "T05") == "missing"  # T04's mistake does not make T05 退回
    assert unit_status(client, office, "T04") == "rejected"  # it is T04's own rejected upload

    own = api_upload(client, _token(settings, "t05"), t05_book)
    body = own.json()
    assert own.status_code == 201 and body["outcome"] == "accepted", body
    assert not any("无需再做处理" in step for step in body["next_steps"])
    assert unit_status(client, office, "T05") == "accepted"
    with session(settings.db_url) as db:
        rows = db.scalars(select(Submission).order_by(Submission.id)).all()
    assert [(r.account_unit, r.outcome, r.duplicate_of) for r in rows] == [("T04", "rejected", None),
                                                                           ("T05", "accepted", None)]

    again = api_upload(client, _token(settings, "t05"), t05_book, name="T05 again.xlsx").json()
    assert again["outcome"] == "duplicate"  # the same unit's same bytes are still one report


def test_a_unit_upload_of_bytes_the_office_already_has_is_a_duplicate(home, tmp_path):
    settings = portal_settings(home)
    client = TestClient(create_app(settings, warm=False))
    account(settings, "t05", unit="T05")
    path = workbook(tmp_path, settings, unit="T05")
    with session(settings.db_url) as db:
        office_copy = submit_file(settings, db, path, PERIOD, datetime.now(settings.tz))
    body = api_upload(client, _token(settings, "t05"), path).json()
    assert body["outcome"] == "duplicate"
    with session(settings.db_url) as db:
        assert db.get(Submission, body["file_id"]).duplicate_of == office_copy.id


def identical_uploads_at_once(settings, path, period: str, unit: str, rounds: int) -> list[Submission]:
    """`rounds` times, three threads submit the same bytes for `unit` at the same moment; every registry row after."""
    barrier, errors = threading.Barrier(3), []

    def send():
        try:
            with session(settings.db_url) as db:
                barrier.wait(timeout=10)
                submit_file(settings, db, path, period, account_unit=unit)
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is reported below
            errors.append(exc)

    for _ in range(rounds):  # the race is not certain in one round
        threads = [threading.Thread(target=send) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors
    with session(settings.db_url) as db:
        return list(db.scalars(select(Submission).order_by(Submission.id)))


def test_identical_uploads_at_the_same_moment_are_one_registry_row(home, tmp_path):
    settings = load_settings(home=home)
    rows = identical_uploads_at_once(settings, workbook(tmp_path, settings, unit="T01"), PERIOD, "T01", rounds=5)
    firsts = [r for r in rows if r.outcome != "duplicate"]
    assert len(rows) == 15 and len(firsts) == 1
    assert {r.duplicate_of for r in rows if r.outcome == "duplicate"} == {firsts[0].id}


def test_a_registry_made_by_the_landed_version_gains_the_index_and_keeps_working(tmp_path, home):
    settings = load_settings(home=home)
    db_file = tmp_path / "old.sqlite"
    old = sqlite3.connect(db_file)  # the landed version's table, without account_unit / arrival_note / the index
    old.execute("CREATE TABLE submissions (id INTEGER PRIMARY KEY, period VARCHAR(7), file_name VARCHAR(512), "
                "sha256 VARCHAR(64), size BIGINT, received_at DATETIME, source VARCHAR(16), raw_path VARCHAR(1024), "
                "unit_code VARCHAR(32), outcome VARCHAR(16), duplicate_of INTEGER, rules JSON, messages JSON, "
                "registered_at DATETIME)")
    old.execute("INSERT INTO submissions VALUES (1, '2020-04', 'a.xlsx', 'ab', 1, '2020-05-01 00:00:00', 'inbox', "
                "'raw/ab/ab.xlsx', 'T01', 'accepted', NULL, '[]', '[]', '2020-05-01 00:00:00')")
    old.commit()
    old.close()
    url = f"sqlite:///{db_file}"
    settings = load_settings(home=home, db_url=url)
    path = workbook(tmp_path, settings, unit="T01")
    try:
        with session(url) as db:
            first = submit_file(settings, db, path, PERIOD, account_unit="T01")
            second = submit_file(settings, db, path, PERIOD, account_unit="T01")
        assert first.outcome == "received" and second.duplicate_of == first.id
        indexes = sqlite3.connect(db_file).execute("PRAGMA index_list(submissions)").fetchall()
        assert "uq_submissions_first_arrival" in {row[1] for row in indexes}
    finally:
        _ENGINES.pop(url).dispose()

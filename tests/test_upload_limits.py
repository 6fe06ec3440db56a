"""Uploads at the edges a unit meets: a very long Chinese file name, a period busy with a run, a unit's
storage quota for the month."""
from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.core.text import cap_name
from zhuanbao.tasks.intake.lock import period_lock
from zhuanbao.tasks.intake.registry import Submission, session

from .conftest import wait_for
from .test_portal import PERIOD, _token, account, log_in, portal_settings, upload, workbook


def api_upload(client: TestClient, token: str, path, name: str | None = None):
    return client.post(f"/api/v1/periods/{PERIOD}/submissions", headers={"Authorization": f"Bearer {token}"},
                       files={"file": (name or path.name, path.read_bytes())})


def test_cap_name_counts_bytes_keeps_the_suffix_and_never_splits_a_character():
    name = "河" * 100 + ".xlsx"
    capped = cap_name(name, 200)
    assert len(capped.encode()) <= 200 and capped.endswith(".xlsx") and capped == "河" * 65 + ".xlsx"
    assert cap_name("短名.xlsx", 200) == "短名.xlsx"
    assert cap_name("a" * 300, 10) == "a" * 10
    assert len(cap_name("报表.二〇二〇年四月河坝镇很长很长的说明", 20).encode()) <= 20


def test_a_hundred_character_chinese_file_name_is_kept_and_gets_a_receipt(home, tmp_path):
    settings = portal_settings(home)
    client = log_in(TestClient(create_app(settings, warm=False)), "t01", account(settings, "t01"))
    name = "河坝镇" * 33 + "表.xlsx"  # 100 Chinese characters: 300 bytes of UTF-8
    answer = upload(client, workbook(tmp_path, settings), name=name)
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert page.status_code == 200 and "已受理" in page.text
    with session(settings.db_url) as db:
        row = db.scalars(select(Submission)).one()
    assert row.outcome == "accepted" and row.file_name.startswith("河坝镇") and row.file_name.endswith(".xlsx")
    assert len(row.file_name.encode()) <= 255 and (settings.home / row.raw_path).exists()
    receipts = list((settings.reports_dir(PERIOD) / "receipts").glob(f"{row.id}_*"))
    assert {p.suffix for p in receipts} == {".html", ".json"}
    assert all(len(p.name.encode()) <= 255 for p in receipts)


def test_an_upload_into_a_busy_period_answers_honestly_and_is_checked_when_the_lock_frees(home, tmp_path):
    settings = portal_settings(home, upload_lock_wait_seconds=0.3)
    client = TestClient(create_app(settings, warm=False))
    account(settings, "t01")
    token = _token(settings, "t01")
    path = workbook(tmp_path, settings)
    with period_lock(settings, PERIOD, who="测试：月度运行"):
        started = time.monotonic()
        answer = api_upload(client, token, path)
        assert time.monotonic() - started < 10
        body = answer.json()
        assert answer.status_code == 202 and body["outcome"] == "received"
        assert body["outcome_text"] == "已收到，正在汇总，稍后自动审核"
        assert not any("纳入汇总" in step for step in body["next_steps"])
        assert "自动审核" in body["next_steps"][0]
    receipt = wait_for("the busy-period upload to be checked", lambda: (
        (r := client.get(f"/api/v1/submissions/{body['file_id']}", headers={"Authorization": f"Bearer {token}"})
         .json())["outcome"] != "received" and r), timeout=60, every=0.2)
    assert receipt["outcome"] == "accepted"
    assert any((settings.reports_dir(PERIOD) / "receipts").glob(f"{body['file_id']}_*.json"))


def test_a_file_left_unchecked_when_the_portal_stopped_is_checked_when_it_starts_again(home, tmp_path, monkeypatch):
    from zhuanbao.flows.portal import pending

    settings = portal_settings(home, upload_lock_wait_seconds=0.3)
    account(settings, "t01")
    token = _token(settings, "t01")
    with monkeypatch.context() as stopped:  # the portal stops before its waiting thread could check the file
        stopped.setattr(pending, "check_when_free", lambda *_: None)
        with period_lock(settings, PERIOD, who="测试：月度运行"):
            body = api_upload(TestClient(create_app(settings, warm=False)), token,
                              workbook(tmp_path, settings)).json()
    assert body["outcome"] == "received"
    with TestClient(create_app(settings, warm=False)) as restarted:  # its start-up looks for received files
        receipt = wait_for("the file kept before the restart to be checked", lambda: (
            (r := restarted.get(f"/api/v1/submissions/{body['file_id']}",
                                headers={"Authorization": f"Bearer {token}"}).json())["outcome"] != "received"
            and r), timeout=60, every=0.2)
    assert receipt["outcome"] == "accepted"


def test_a_units_uploads_beyond_its_monthly_quota_are_refused_and_not_kept(home, tmp_path):
    first = workbook(tmp_path, portal_settings(home))
    settings = portal_settings(home, unit_quota_bytes=int(first.stat().st_size * 1.5))
    client = TestClient(create_app(settings, warm=False))
    account(settings, "t01")
    token = _token(settings, "t01")
    assert api_upload(client, token, first).status_code == 201
    assert api_upload(client, token, first, name="same again.xlsx").json()["outcome"] == "duplicate"  # no new bytes
    second = workbook(tmp_path, settings, spoil="约500", name="T01 v2.xlsx")
    refused = api_upload(client, token, second)
    assert refused.status_code == 413
    assert "存储限额" in refused.json()["detail"] and "未保存" in refused.json()["detail"]
    with session(settings.db_url) as db:
        assert len(db.scalars(select(Submission)).all()) == 2
    kept = {p.name for p in (settings.home / "raw").rglob("*") if p.is_file()}
    assert len(kept) == 1

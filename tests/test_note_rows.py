"""A row that only continues the 说明/存在问题 of the row above is a note of that row, not an unknown code;
a row with figures but no code is still H03, and says the code is empty."""
from __future__ import annotations

from fastapi.testclient import TestClient

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.intake.workbook import read_workbook

from .test_portal import PERIOD, _token, account, portal_settings

NOTE = "受疫情影响，3月下旬才复工，数据偏低"


def t01_book(tmp_path, settings, name: str, change) -> tuple:
    reference = reference_for(settings, PERIOD)
    rows = {form: [dict(r) for r in form_rows]
            for form, form_rows in generate_month(reference, PERIOD, rng_seed=2020)[0]["T01"].items()}
    change(rows)
    path = write_workbook(tmp_path / name, reference=reference, unit_code="T01", period=PERIOD, **rows)
    return path, rows, reference


def upload(client: TestClient, settings, path) -> dict:
    answer = client.post(f"/api/v1/periods/{PERIOD}/submissions",
                         headers={"Authorization": f"Bearer {_token(settings, 't01')}"},
                         files={"file": (path.name, path.read_bytes())})
    assert answer.status_code == 201
    return answer.json()


def test_a_note_row_is_kept_with_the_row_above_and_the_file_is_accepted(home, tmp_path):
    settings = portal_settings(home)
    client = TestClient(create_app(settings, warm=False))
    account(settings, "t01")

    def add_notes(rows):
        rows["indicators"].insert(1, {"note": NOTE})
        if rows["projects"]:
            rows["projects"].insert(1, {"problems": "征地拆迁尚未完成"})

    path, rows, reference = t01_book(tmp_path, settings, "T01_notes.xlsx", add_notes)
    read = read_workbook(path, reference)
    indicators = read.frames["indicators"]
    assert (indicators.indicator_code != "").all()
    first = indicators.iloc[0]
    assert first.indicator_code == rows["indicators"][0]["indicator_code"] and first.note.endswith(NOTE)
    if rows["projects"]:
        assert read.frames["projects"].iloc[0].problems.endswith("征地拆迁尚未完成")
    body = upload(client, settings, path)
    assert body["outcome"] == "accepted", body["findings"]
    assert not any(f["rule"] == "H03" for f in body["findings"])


def test_a_row_with_figures_but_no_code_is_h03_and_says_the_code_is_empty(home, tmp_path):
    settings = portal_settings(home)
    client = TestClient(create_app(settings, warm=False))
    account(settings, "t01")

    def add_codeless(rows):
        rows["indicators"].append({"indicator_name": "无代码的指标", "cumulative": 12.5, "note": NOTE})

    path, _, _ = t01_book(tmp_path, settings, "T01_codeless.xlsx", add_codeless)
    body = upload(client, settings, path)
    h03 = [f for f in body["findings"] if f["rule"] == "H03"]
    assert body["outcome"] == "rejected" and len(h03) == 1
    assert h03[0]["sheet"] == "表1 指标" and h03[0]["row"] and h03[0]["column"] == "指标代码"
    assert "指标代码为空" in h03[0]["message"] and "不是本单位本期应报的指标" not in h03[0]["message"]

"""Receipts: file naming, wording for the clerk, escaping of what units typed."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

from zhuanbao.tasks.checks.receipts import receipt_for, write_receipt
from zhuanbao.tasks.checks.validate import FINDINGS_COLUMNS

SHA = "ab12cd34" + "0" * 56


def findings(*rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=FINDINGS_COLUMNS)
    return frame.astype({"row": "Int64", "explained": "boolean"})


def receipt(found: pd.DataFrame, outcome: str, on_time: bool = True) -> dict:
    return receipt_for(7, found, period="2020-04", unit_code="D02", unit_name="区发改局", file_name="D02_2020-04.xlsx",
                       sha256=SHA, received_at=datetime(2020, 5, 10, 6, 3, tzinfo=UTC), on_time=on_time,
                       outcome=outcome, office="领导小组办公室")


def test_rejected_receipt_names_sheet_row_column_and_next_step(tmp_path):
    found = findings((7, "表1 指标", 5, "1-本月累计", "约500", "H05", "hard",
                      "表1 指标 第5行「1-本月累计」：“约500”不是数值", "I06", pd.NA),
                     (8, "表3 任务", 4, "完成进度(%)", "101", "H06", "hard", "别的文件", "K01", pd.NA))
    html_path, json_path = write_receipt(tmp_path / "receipts", receipt(found, "rejected", on_time=False))
    assert html_path.name == "7_D02_2020-04.html" and json_path.name == "7_D02_2020-04.json"  # file id + stem
    html = html_path.read_text(encoding="utf-8")
    for text in ["区发改局（D02）", "2020年4月", "2020年5月10日 14:03", "逾期", "退回", "表1 指标", "第5行",
                 "1-本月累计", "约500", "H05", "修改后重新报送", SHA]:
        assert text in html, text
    assert "别的文件" not in html  # another file's findings stay out
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["outcome_text"] == "退回" and data["findings"][0]["row"] == 5 and data["timeliness"] == "逾期"


def test_accepted_receipt_asks_for_explanation_of_unexplained_flags_only(tmp_path):
    found = findings((7, "表3 任务", 4, "完成进度(%)", "20", "S06", "soft", "完成进度 20% 低于上月的 30%", "K01", False),
                     (7, "表1 指标", 6, "本月", "5", "S03", "soft", "本月数不符", "I10", True))
    html_path, json_path = write_receipt(tmp_path, receipt(found, "accepted"))
    html = html_path.read_text(encoding="utf-8")
    assert "已受理（有 1 处待说明）" in html and "按时" in html
    assert "请在「说明」栏说明原因" in html and "已说明" in html
    assert json.loads(json_path.read_text(encoding="utf-8"))["soft_count"] == 2


def test_clean_receipt_says_nothing_to_do(tmp_path):
    html_path, _ = write_receipt(tmp_path, receipt(findings(), "accepted"))
    html = html_path.read_text(encoding="utf-8")
    assert "已受理" in html and "无需进一步操作" in html and "未发现问题" in html


def test_text_typed_by_units_is_escaped(tmp_path):
    found = findings((7, "表1 指标", 5, "1-本月累计", "<script>alert(1)</script>", "H05", "hard",
                      "表1 指标 第5行「1-本月累计」：“<script>alert(1)</script>”不是数值", "I06", pd.NA))
    facts = receipt(found, "rejected") | {"unit_name": "<b>某单位</b>"}
    html = write_receipt(tmp_path, facts)[0].read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>某单位</b>" not in html and "&lt;b&gt;某单位&lt;/b&gt;" in html


def test_receipt_states_deadline_how_late_and_by_when_to_resubmit(tmp_path):
    from zoneinfo import ZoneInfo

    from zhuanbao.tasks.core.periods import resubmit_by

    shanghai = ZoneInfo("Asia/Shanghai")
    closing = datetime(2020, 5, 15, 23, 59, 59, tzinfo=shanghai)
    arrival = datetime(2020, 5, 16, 8, 30, tzinfo=shanghai)
    run_at = datetime(2020, 5, 16, 9, 0, tzinfo=shanghai)
    by = resubmit_by(arrival, closing, run_at)
    assert by == run_at and resubmit_by(arrival.replace(day=20), closing, run_at) is None
    found = findings((7, "表1 指标", 5, "1-本月累计", "约500", "H05", "hard", "“约500”不是数值", "I06", pd.NA))
    data = receipt_for(7, found, period="2020-04", unit_code="D02", unit_name="区发改局", file_name="D02_2020-04.xlsx",
                       sha256=SHA, received_at=arrival, on_time=False, outcome="rejected", deadline=closing,
                       resubmit_by=by, item_names={"I06": "工业投资"})
    html = write_receipt(tmp_path, data)[0].read_text(encoding="utf-8")
    for text in ["报送截止", "2020年5月15日 23:59", "逾期8小时30分钟", "请于2020年5月16日 09:00:00前", "工业投资（I06）"]:
        assert text in html, text
    early = receipt_for(7, found.iloc[:0], period="2020-04", unit_code="D02", unit_name="区发改局",
                        file_name="D02_2020-04.xlsx", sha256=SHA, received_at=arrival.replace(day=13, hour=21),
                        on_time=True, outcome="accepted", deadline=closing)
    assert "距截止还有2天2小时" in write_receipt(tmp_path / "b", early)[0].read_text(encoding="utf-8")

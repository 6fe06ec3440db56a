"""Page 1 for the leader (issue 25): 本期要点 says the verdict, the key figures against a NAMED target, the
counts of 滞后 and 需协调事项 with where they are, and submission in one line — each number the same as the
section it points to; one term (时序进度), no sentence printed twice, 未报 never 滞后, a 修订版's 修订说明 at
the end with a one-line pointer, and a 修订说明 that names only changes a reader can see."""
from __future__ import annotations

import re
from collections import Counter

from zhuanbao.tasks.demo.report_sample import demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.report.context.printed import printed_snapshot
from zhuanbao.tasks.report.render import render_html
from zhuanbao.tasks.report.revisions import describe_changes, snapshot

from .test_report_context import PERIOD, context_for, context_missing


def paragraphs(html: str) -> list[str]:
    body = html.split("<body>", 1)[1]
    return [re.sub(r"<[^>]+>", "", p).strip() for p in re.findall(r"<p[^>]*>(.*?)</p>", body, flags=re.DOTALL)]


def test_page_one_says_the_verdict_key_figures_counts_with_where_and_submission(settings, reference):
    context = context_for(settings, reference)
    lines = {line["label"]: line["text"] for line in context["overview"]["summary"]}
    assert list(lines) == ["总体", "关键指标（对照年度目标）", "滞后和协调", "报送"]
    rows = context["indicators"]["rows"]  # 表1: the one set of 主要指标 the 专报 counts
    lagging = sum(r["status"] == "滞后" for r in rows)
    missing = sum(r["status"] == "未报" for r in rows)
    assert lines["总体"].startswith(f"全区{len(rows)}项主要指标")
    assert f"{lagging}项滞后" in lines["总体"] and f"{missing}项未报" in lines["总体"]
    assert "时序进度（33.3%）" in lines["总体"] and "“双过半”" in lines["总体"]
    assert "固定资产投资增长" in lines["关键指标（对照年度目标）"] and "完成年度目标的" in lines["关键指标（对照年度目标）"]
    problems = context["problems"]
    assert f"{lagging}项主要指标滞后（表1）" in lines["滞后和协调"]
    assert f"问题和需协调事项{problems['count']}条（见六、表3）" in lines["滞后和协调"]
    assert f"各单位共反映问题和需协调事项{problems['count']}条" in problems["sentence"]  # the same count as 六、
    ov = context["overview"]
    assert f"{ov['lagging_units_count']}个单位的{ov['lagging_items_count']}项" in ov["lagging_units"]
    assert lines["报送"] == "应报18个单位：按时15个、迟报1个、未报2个（南湾湖办事处、区科技工信局）。"
    html = render_html(context, png=b"")
    page_one = html[:html.index("一、总体情况")]
    assert all(line["text"] in page_one for line in context["overview"]["summary"])


def test_one_term_no_repeated_sentence_and_progress_not_under_reporting(settings, reference):
    for context in (context_for(settings, reference), context_missing(settings, reference, "T01")):
        html = render_html(context, png=b"")
        assert "序时" not in html and "时序进度" in html
        reporting = html[html.index("（三）报送情况"):html.index("二、主要指标完成情况")]
        assert "本月时序进度为" not in reporting
        sentences = [s for p in paragraphs(html) for s in re.split(r"[。；]", p) if len(s) >= 6]
        repeated = [s for s, n in Counter(sentences).items() if n > 1]
        assert not repeated, repeated
        assert html.count("全部完成") <= 1


def test_a_unit_that_sent_nothing_is_unreported_everywhere_never_lagging(settings, reference):
    context = context_missing(settings, reference, "T01")  # 河坝 and 南湾湖 send nothing
    for short in ("河坝", "南湾湖"):
        assert short not in context["overview"]["lagging_units"].split("另有")[0]
        assert all(short not in r["behind_lagging"] for r in context["tasks"]["rows"])
    towns = next(k for k in context["rankings"]["kinds"] if k["kind"].startswith("乡镇"))
    for row in towns["rows"]:
        if row["unit"] in ("河坝镇", "南湾湖办事处"):
            assert (row["on_track"], row["share"]) == ("未报", "—")  # not "0/7", not 0.0 % on track
    summary = {line["label"]: line["text"] for line in context["overview"]["summary"]}
    assert "不计入滞后" in summary["滞后和协调"] and "南湾湖办事处" in summary["报送"]


def test_a_revision_points_to_its_notes_from_page_one_and_prints_them_at_the_end(settings, reference):
    context = context_for(settings, reference)
    context["issue"] = {**context["issue"], "revision": 1, "is_revision": True, "revision_label": "（修订版）",
                        "label": "第2期", "revision_notes": ["新增报送单位：北洲子镇，其数据已纳入本期汇总。"]}
    html = render_html(context, png=b"")
    page_one = html[:html.index("一、总体情况")]
    assert "修订说明见正文末" in page_one and "新增报送单位" not in page_one
    tail = html[html.index("报送截止日期"):]
    assert "修订说明：本期为第2期的修订版" in tail and "新增报送单位：北洲子镇" in tail


def test_a_revision_note_names_only_changes_a_reader_can_see(settings, reference):
    """Two builds whose completion differs below 0.1 %: the raw facts differ, the printed ones do not, so the
    修订说明 never says "由44.7%变为44.7%"; a visible change is still named."""
    status = demo_status(settings, reference, PERIOD)
    metrics = demo_metrics(settings, reference, PERIOD, status, demo_frames(reference, PERIOD))
    totals = metrics["district_totals"]
    row = totals.index[(totals["target_kind"] == "amount") & totals["completion"].notna()][0]
    name = totals.loc[row, "indicator_name"]

    def build(completion: float) -> dict:
        changed = totals.copy()
        changed.loc[row, "completion"] = completion
        return {**metrics, "district_totals": changed}

    before, after = build(0.4470), build(0.44704)
    assert "完成率" in "".join(describe_changes(snapshot(before, status), snapshot(after, status), None)["notes"])
    notes = "".join(describe_changes(printed_snapshot(before, status), printed_snapshot(after, status), None)["notes"])
    assert f"{name}完成率" not in notes and "由44.7%变为44.7%" not in notes
    visible = "".join(describe_changes(printed_snapshot(before, status), printed_snapshot(build(0.4521), status),
                                       None)["notes"])
    assert f"{name}完成率由44.7%变为45.2%" in visible

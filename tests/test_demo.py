"""The demo generator: workbook layout, messy switches, consistent figures, the inbox scenario."""
from __future__ import annotations

import itertools
import os
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from tests.conftest import PROJECT_ROOT
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import FORMS, Messy, build_demo_inbox, write_workbook

PERIODS = ["2020-03", "2020-04", "2020-05"]
def row(form: str, *values) -> dict:
    return dict(zip([c.field for c in FORMS[form].columns], values, strict=True))


INDICATORS = [
    row("indicators", "I06", "工业投资", "万元", 1234.5, 4321.5, 4000.0, 8.0, ""),
    row("indicators", "I07", "技改投资", "万元", 2000.0, 6000.0, 5000.0, 20.0, ""),
    row("indicators", "I10", "新增规模工业企业", "家", 1.0, 1.0, None, None, "受疫情影响"),
]
PROJECTS = [row("projects", "X09", "大湖水草种植项目（三期）", 4188.0, 12.3, 49.1, "在建", "主体施工", "", "")]
FOOTER = "单位负责人：王某  填报人：李某  联系电话：0737-0000000  报出日期：2020年5月10日"
TITLE = "表1 主要指标完成情况"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return load_settings(home=tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def reference():
    return load_reference(load_settings(home=PROJECT_ROOT / "data_lake"), 2020)


@pytest.fixture(scope="module")
def inbox(settings, reference):
    return settings.home, build_demo_inbox(settings.home, reference, PERIODS, seed=2020)


@pytest.fixture(scope="module")
def months(reference):
    out, state = {}, None
    for period in PERIODS:
        out[period], state = generate_month(reference, period, rng_seed=2020, prev_state=state)
    return out


def read(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def write(tmp_path: Path, reference, style="clean", name="T01_2020-04.xlsx") -> dict[str, list[list]]:
    path = write_workbook(tmp_path / name, reference=reference, unit_code="T01", period="2020-04",
                          indicators=INDICATORS, projects=PROJECTS, style=style)
    return read(path)


@pytest.mark.parametrize("name", ["T01_2020-04.xlsx", "T01_2020-04.xls"])
def test_clean_workbook_has_the_sample_layout(tmp_path, reference, name):
    sheets = write(tmp_path, reference, name=name)
    assert list(sheets) == ["表1 指标", "表2 项目"]  # no 表3: no task rows given
    rows = sheets["表1 指标"]
    assert rows[0][0] == TITLE and set(rows[0][1:]) == {""}
    assert [rows[1][0], rows[1][3], rows[1][5]] == ["填报单位：河坝镇（T01）", "报告期：2020年4月", "计量单位：万元、%"]
    assert rows[2] == [c.header for c in FORMS["indicators"].columns]
    assert rows[2] == ["指标代码", "指标名称", "计量单位", "本月", "1-本月累计", "去年同期累计", "同比增长(%)", "说明"]
    assert [r[0] for r in rows[3:6]] == ["I06", "I07", "I10"] and rows[3][4] == 4321.5
    assert set(rows[6]) == {""} and rows[7][0] == FOOTER
    assert sheets["表2 项目"][2][4] == "1-本月累计完成投资(万元)"


MESSY_CASES = {
    "blank_first_row": lambda s: set(s["表1 指标"][0]) == {""} and s["表1 指标"][1][0] == TITLE,
    "blank_first_column": lambda s: all(r[0] == "" for r in s["表1 指标"]) and s["表1 指标"][0][1] == TITLE,
    "noisy_headers": lambda s: {"1-本月\n累计", "同比增长（%）", " 指标名称"} <= set(s["表1 指标"][2])
    and "年度计划投资（万元）" in s["表2 项目"][2],
    "dash_for_empty": lambda s: s["表1 指标"][5][5] == "—" and s["表1 指标"][5][7] == "受疫情影响",
    "blank_data_row": lambda s: [r[0] for r in s["表1 指标"][3:7]] == ["I06", "I07", "", "I10"],
    "unit_name_only": lambda s: s["表1 指标"][1][0] == "填报单位：河坝镇",
    "instructions_sheet": lambda s: next(iter(s)) == "填报说明",
}


@pytest.mark.parametrize("switch", sorted(MESSY_CASES))
def test_each_messy_switch_does_what_it_promises(tmp_path, reference, switch):
    assert MESSY_CASES[switch](write(tmp_path, reference, Messy(**{switch: True})))
    assert not MESSY_CASES[switch](write(tmp_path, reference, "clean"))


def test_messy_numbers_text_fullwidth_and_hidden_sheet(tmp_path, reference):
    text = write(tmp_path, reference, Messy(numbers="text"))
    assert text["表1 指标"][3][3:5] == ["1,234.5", "4,321.5"]
    wide = write(tmp_path, reference, Messy(numbers="fullwidth"))
    assert wide["表2 项目"][3][3:5] == ["１２．３万元", "４９．１万元"]
    path = write_workbook(tmp_path / "h.xlsx", reference=reference, unit_code="T01", period="2020-04",
                          indicators=INDICATORS, style=Messy(hidden_sheet=True))
    meta = CalamineWorkbook.from_path(str(path)).sheets_metadata
    assert [m.visible for m in meta] == [SheetVisibleEnum.Visible, SheetVisibleEnum.Hidden]


def test_messy_style_combines_every_switch(tmp_path, reference):
    sheets = write(tmp_path, reference, "messy")
    assert list(sheets) == ["填报说明", "表1 指标", "表2 项目", "隐藏参数"]
    rows = sheets["表1 指标"]
    assert set(rows[0]) == {""} and all(r[0] == "" for r in rows)
    assert rows[1][1] == TITLE and rows[2][1] == "填报单位：河坝镇"
    assert {"1-本月\n累计", "同比增长（%）"} <= set(rows[3])
    assert [r[1] for r in rows[4:8]] == ["I06", "I07", "", "I10"]
    assert rows[4][5] == "4,321.5" and rows[5][5] == "６０００．０" and rows[7][6] == "—"  # mixed numbers


def test_manifest_has_every_scenario_kind(inbox, settings):
    home, manifest = inbox
    assert {e["kind"] for e in manifest} == {"ok", "late", "rejected", "corrected", "messy", "xls"}
    for e in manifest:
        arrival = datetime.fromisoformat(e["arrival"])
        assert e["arrival"].endswith("+08:00")
        assert (arrival > settings.deadline(e["period"])) == (e["kind"] == "late")
        assert unicodedata.is_normalized("NFC", e["file"])
    by_file = {e["file"]: e for e in manifest}
    assert by_file["D02_2020-04.xlsx"]["kind"] == "rejected" and by_file["D02_2020-04_更正.xlsx"]["kind"] == "corrected"
    assert by_file["D02_2020-04.xlsx"]["arrival"] < by_file["D02_2020-04_更正.xlsx"]["arrival"]
    assert "约500" in read(home / "inbox" / "2020-04" / "D02_2020-04.xlsx")["表1 指标"][3]
    assert by_file["D07_2020-05.xls"]["kind"] == "xls" and read(home / "inbox/2020-05/D07_2020-05.xls")


def test_one_unit_is_missing_in_the_last_period_only(inbox, reference):
    _home, manifest = inbox
    for period in PERIODS:
        sent = {e["unit_code"] for e in manifest if e["period"] == period}
        missing = set(reference.required_units(period)) - sent
        assert missing == ({"T05"} if period == PERIODS[-1] else set())


def test_inbox_files_match_manifest_and_mtimes_equal_arrivals(inbox):
    home, manifest = inbox
    on_disk = sorted(p.relative_to(home / "inbox").as_posix() for p in (home / "inbox").rglob("*.xls*"))
    assert on_disk == sorted(f"{e['period']}/{e['file']}" for e in manifest)
    for e in manifest:
        stat = os.stat(home / "inbox" / e["period"] / e["file"])
        assert stat.st_mtime == datetime.fromisoformat(e["arrival"]).timestamp()


def test_same_seed_gives_identical_bytes(inbox, reference, tmp_path):
    home, manifest = inbox
    again = build_demo_inbox(tmp_path, reference, PERIODS, seed=2020)
    assert again == manifest
    for e in manifest:
        rel = Path("inbox") / e["period"] / e["file"]
        assert (home / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    with zipfile.ZipFile(home / "inbox/2020-03/T01_2020-03.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}


def test_figures_are_consistent_month_to_month(months, reference):
    plans = dict(zip(reference.projects.project_code, reference.projects.annual_plan_wan))
    for before, after in itertools.pairwise(PERIODS):
        for unit, forms in months[after].items():
            prev = {r.get("indicator_code") or r.get("project_code") or r["task_code"]: r
                    for rows in months[before].get(unit, {}).values() for r in rows}
            for r in forms.get("indicators", []):
                if r["month_value"] is not None and r["indicator_code"] in prev:
                    assert r["cumulative"] == pytest.approx(prev[r["indicator_code"]]["cumulative"] + r["month_value"])
            for r in forms.get("projects", []):
                cum, plan = r["cumulative_investment"], plans[r["project_code"]]
                assert prev[r["project_code"]]["cumulative_investment"] <= cum <= 1.2 * plan
            for r in forms.get("tasks", []):
                assert prev[r["task_code"]]["progress_pct"] <= r["progress_pct"] <= 100


def test_growth_status_and_quarterly_rules(months, reference):
    plans = dict(zip(reference.projects.project_code, reference.projects.annual_plan_wan))
    targets = {(t.unit_code, t.indicator_code): t.target_value for t in reference.targets.itertuples()}
    above = below = 0
    for period, units in months.items():
        quarterly = [r for f in units.values() for r in f.get("indicators", []) if r["indicator_code"] == "I01"]
        assert bool(quarterly) == (period == "2020-03")
        for unit, forms in units.items():
            for r in forms.get("indicators", []):
                if r["last_year_cumulative"]:
                    growth = (r["cumulative"] / r["last_year_cumulative"] - 1) * 100
                    assert -50 <= growth <= 100 and r["reported_growth"] == round(growth, 1)
                    above += growth >= targets[unit, r["indicator_code"]]
                    below += growth < targets[unit, r["indicator_code"]]
            for r in forms.get("projects", []):
                assert (r["status"] == "未开工") == (r["cumulative_investment"] == 0)
                assert r["status"] != "竣工" or r["cumulative_investment"] >= 0.8 * plans[r["project_code"]]
    assert above and below  # some units on track, some lagging
    texts = [r["problems"] for f in months["2020-05"].values() for rows in f.values() for r in rows
             if r.get("problems")]
    assert len(texts) >= 3


def test_generate_month_without_state_replays_the_year(months, reference):
    alone, state = generate_month(reference, "2020-05", rng_seed=2020)
    assert alone == months["2020-05"] and state["period"] == "2020-05"
    with pytest.raises(ValueError):
        generate_month(reference, "2020-05", rng_seed=2020, prev_state=state)

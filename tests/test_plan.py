"""The plan as data (district-plan.md): plan.toml, kinds.csv, several lead units, leaders, tolerance, the examples."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from zhuanbao.tasks.core.examples import example_home, example_names, example_year
from zhuanbao.tasks.core.plan import DEFAULT_KINDS, Cadence
from zhuanbao.tasks.core.plan_files import load_kinds, load_plan
from zhuanbao.tasks.core.reference import ReferenceError, load_reference
from zhuanbao.tasks.core.reference_check import check_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.report.context.issue import report_title


def found(folder: Path, severity: str | None = None) -> list[str]:
    return [str(p) for p in check_reference(folder) if severity in (None, p.severity)]


@pytest.fixture
def year(home: Path) -> Path:
    return home / "reference" / "2020"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- plan.toml -----------------------------------------------------------------------------------------------

def test_the_demo_declares_its_masthead_campaign_and_double_half(settings):
    reference = load_reference(settings, 2020)
    plan = reference.plan
    assert plan.declared and plan.title == "大通湖区“奋战一百天”工作专报" == report_title(settings, plan)
    assert plan.issuer == "大通湖区“奋战一百天”领导小组办公室"
    assert (plan.campaign.name, plan.campaign.start, plan.campaign.end) == ("奋战一百天", date(2020, 3, 22),
                                                                          date(2020, 6, 30))
    assert [(m.name, m.date, m.share) for m in plan.milestones] == [("双过半", date(2020, 6, 30), 0.5)]
    assert found(DEMO_REFERENCE_DIR / "2020") == []


def test_a_home_made_before_plans_loads_with_the_default_title_issuer_and_no_milestone(tmp_path, year):
    (year / "plan.toml").unlink()  # a home from before this change: the five tables only
    home = year.parent.parent
    write(home / "zhuanbao.toml", 'district = "沙河区"\noffice = "沙河区统计局"\n')
    settings = load_settings(home=home)
    reference = load_reference(settings, 2020)
    assert (reference.plan.title, reference.plan.issuer) == ("沙河区工作专报", "沙河区统计局")
    assert reference.plan.campaign is None and reference.plan.milestones == () and not reference.plan.declared
    assert report_title(settings, reference.plan) == report_title(settings) == "沙河区工作专报"
    assert reference.kinds.kinds == DEFAULT_KINDS and not reference.kinds.declared
    assert reference.kinds.label("township") == "乡镇（办事处）" and reference.kinds.codes == [
        "township", "park", "department", "enterprise"]
    assert reference.task_leads["K09"] == ["D10"] and reference.tasks.lead_unit.iloc[0] == "D02"
    assert set(reference.targets.tolerance) == {0.0} and set(reference.tasks.leaders) == {""}
    assert found(year) == [("plan.toml：没有 plan.toml：专报标题用“区名（设置项 district）+工作专报”，编印单位用设置项 office，"
                           "不写活动倒计时和里程碑（如“双过半”）；需要时请按“为本区建立参考表”新建 plan.toml")]


def test_cadences_and_the_by_leader_switch_are_read(year):
    edit(year / "plan.toml", "[campaign]", '[[cadences]]\nname = "周调度"\nevery = "week"\n'
         'tables = ["indicators", "tasks"]\ndeadline_days = 1\nreport = "专报"\n\n[campaign]')
    edit(year / "plan.toml", "[report]\n", "[report]\nby_leader = true\n")
    plan = load_plan(year, district="x", office="y")
    assert plan.cadences == (Cadence("周调度", "week", ("indicators", "tasks"), 1, "专报"),
                             Cadence("项目半月调度", "half-month", ("projects",), 3, "通报"))
    assert plan.cadence("week").name == "周调度" and plan.cadence("month") is None
    assert plan.by_leader is True
    assert found(year) == []


CADENCE = '[[cadences]]\nname = "项目半月调度"\nevery = "half-month"\ntables = ["projects"]\n'
CADENCE_PROBLEMS = [
    (CADENCE.replace("half-month", "month"), "plan.toml 第3行 键 cadences.every：“month”应为 week、two-weeks、half-month 或 "
     "quarter 之一；月度调度是默认的，无须声明"),
    (CADENCE.replace("half-month", "fortnight"), "plan.toml 第3行 键 cadences.every：“fortnight”应为"),
    (CADENCE.replace('["projects"]', '["targets"]'), "plan.toml 第4行 键 cadences.tables：“['targets']”应为 indicators、"),
    (CADENCE + "deadline_days = 20\n", "plan.toml 第5行 键 cadences.deadline_days：“20”应为 0 到 12 之间的整数"),
    (CADENCE + 'report = "简报"\n', "plan.toml 第5行 键 cadences.report：“简报”应为“通报”或“专报”"),
    (CADENCE + "odd = 1\n", "plan.toml 第5行 键 cadences.odd：[cadences] 中未知的键“odd”"),
    (CADENCE + "\n" + CADENCE, "plan.toml 第8行 键 cadences.every：频次“half-month”已声明过一次"),
    ('cadences = "weekly"\n', "plan.toml 第1行 键 cadences：调度频次应写成 [[cadences]] 表"),
]


@pytest.mark.parametrize(("text", "message"), CADENCE_PROBLEMS, ids=[m.split("：")[0] + m[-6:] for _, m in CADENCE_PROBLEMS])
def test_each_cadence_problem_names_file_line_and_key(year, text, message):
    write(year / "plan.toml", text)
    errors = found(year, "error")
    assert len(errors) == 1 and errors[0].startswith(message), errors
    with pytest.raises(ReferenceError, match="plan.toml"):
        load_plan(year, district="大通湖区", office="x")


def test_the_demo_declares_its_half_month_projects_and_without_cadences_the_monthly_dispatch_stands(year):
    assert load_plan(year, district="x", office="y").cadences == (Cadence("项目半月调度", "half-month", ("projects",)),)
    text = (year / "plan.toml").read_text("utf-8")
    write(year / "plan.toml", text[:text.index("[[cadences]]")])
    assert load_plan(year, district="x", office="y").cadences == ()


PLAN_PROBLEMS = [
    ('source = "x"\ncolour = "red"\n', ("plan.toml 第2行 键 colour：顶层未知的键“colour”（可用的键：source、report、campaign、"
                                      "milestones、cadences）")),
    ('[report]\ntitle = "某区专报"\nsubtitle = "x"\n', ("plan.toml 第3行 键 report.subtitle：[report] 中未知的键“subtitle”"
                                                   "（可用的键：title、issuer、by_leader）")),
    ('[report]\ntitle = ""\n', "plan.toml 第2行 键 report.title：应为非空文字（用引号括起）"),
    ('[campaign]\nname = "百日攻坚"\nstart = "2020-13-01"\n', ("plan.toml 第3行 键 campaign.start：“2020-13-01”不是日期"
                                                         "（应为 ISO 日期，如 2020-06-30）")),
    ('[campaign]\nname = "百日攻坚"\nstart = 2020-06-30\nend = 2020-03-22\n',
     "plan.toml 第4行 键 campaign.end：结束日期 2020-03-22 早于开始日期 2020-06-30"),
    ('[campaign]\nstart = 2020-03-22\n', "plan.toml 第1行 键 campaign.name：缺少活动名称（如 name = \"奋战一百天\"）"),
    (('[[milestones]]\nname = "双过半"\ndate = 2020-06-30\nshare = 0.5\n\n[[milestones]]\nname = "全年"\n'
     'date = 2020-12-31\nshare = 1.5\n'), "plan.toml 第9行 键 milestones.share：“1.5”应为大于 0、不超过 1 的小数（如 0.5 表示过半）"),
    ('[[milestones]]\nname = "双过半"\ndate = 2020-06-30\nshare = 0\n',
     "plan.toml 第4行 键 milestones.share：“0”应为大于 0、不超过 1 的小数（如 0.5 表示过半）"),
    ('[[milestones]]\nname = "双过半"\nshare = 0.5\n', "plan.toml 第1行 键 milestones.date：缺少“date”（ISO 日期，如 2020-06-30）"),
    ('[[milestones]]\nname = "双过半"\ndate = 2020-06-30\nshare = 0.5\nweight = 2\n',
     "plan.toml 第5行 键 milestones.weight：[milestones] 中未知的键“weight”（可用的键：name、date、share）"),
    ('[report]\ntitle = 某区专报\n', "plan.toml 第2行：不是合法的 TOML 格式"),
]


@pytest.mark.parametrize(("text", "message"), PLAN_PROBLEMS, ids=[m.split("：")[0] for _, m in PLAN_PROBLEMS])
def test_each_plan_problem_names_file_line_and_key(year, text, message):
    write(year / "plan.toml", text)
    errors = found(year, "error")
    assert len(errors) == 1 and errors[0].startswith(message), errors
    with pytest.raises(ReferenceError, match="plan.toml"):
        load_plan(year, district="大通湖区", office="x")


def test_a_milestone_outside_the_year_is_a_warning(year):
    edit(year / "plan.toml", "date = 2020-06-30", "date = 2021-06-30")
    assert found(year) == ["plan.toml 第15行 键 milestones.date：日期 2021-06-30 不在参考表年度 2020 年内"]


# --- kinds.csv -----------------------------------------------------------------------------------------------

def test_kinds_csv_names_orders_and_ranks_the_kinds(year):
    write(year / "kinds.csv", "kind,label,ranked,order\nstationed,驻区单位,FALSE,5\ntownship,乡镇（街道）,true,1\n"
                              "department,区直部门,true,2\npark,园区,true,3\nenterprise,区属国有企业,false,4\n")
    edit(year / "units.csv", "D10,市生态环境局大通湖分局,department", "D10,市生态环境局大通湖分局,stationed")
    kinds = load_kinds(year)
    assert kinds.declared and kinds.codes == ["township", "department", "park", "enterprise", "stationed"]
    assert kinds.label("township") == "乡镇（街道）" and not kinds.ranked("stationed") and kinds.ranked("park")
    assert found(year) == []
    assert load_reference(load_settings(home=year.parent.parent), 2020).kinds.label("stationed") == "驻区单位"


KIND_PROBLEMS = [
    ("kind,label,order\ntownship,乡镇,1\n", "kinds.csv 第1行 列 ranked：缺少列“ranked”（列应为 kind, label, ranked, order）"),
    ("kind,label,ranked,order\ntownship,乡镇,true,1\ntownship,街道,true,2\n",
     "kinds.csv 第3行 列 kind：“township”重复（第2行已有）"),
    ("kind,label,ranked,order\ntownship,乡镇,是,1\n", "kinds.csv 第2行 列 ranked：“是”应为 true 或 false"),
    ("kind,label,ranked,order\ntownship,乡镇,true,第一\n", "kinds.csv 第2行 列 order：“第一”应为整数（排列顺序，如 1）"),
    ("kind,label,ranked,order\ntownship,,true,1\n", "kinds.csv 第2行 列 label：不能为空"),
]


@pytest.mark.parametrize(("text", "message"), KIND_PROBLEMS, ids=[m.split("：")[0] for _, m in KIND_PROBLEMS])
def test_each_kinds_problem_names_file_row_and_column(year, text, message):
    write(year / "kinds.csv", text)
    assert message in found(year, "error"), found(year)
    with pytest.raises(ReferenceError, match="kinds.csv"):
        load_kinds(year)


def test_a_unit_of_an_undeclared_kind_is_refused(year):
    edit(year / "units.csv", "T05,南湾湖办事处,township", "T05,南湾湖办事处,street")
    assert found(year, "error") == [("units.csv 第6行 列 unit_kind：“street”不在默认的单位类别（如需其他类别，请建立 kinds.csv）"
                                    " ['township', 'park', 'department', 'enterprise'] 中")]
    write(year / "kinds.csv", "kind,label,ranked,order\ntownship,乡镇,true,1\npark,园区,true,2\n"
                              "department,区直部门,true,3\nenterprise,区属国有企业,false,4\n")
    assert found(year, "error") == [("units.csv 第6行 列 unit_kind：“street”不在kinds.csv 的 kind 列 "
                                    "['township', 'park', 'department', 'enterprise'] 中")]
    with pytest.raises(ReferenceError, match="units.csv 第6行 列 unit_kind"):
        load_reference(load_settings(home=year.parent.parent), 2020)


# --- tasks.csv and targets.csv -------------------------------------------------------------------------------

def test_several_lead_units_and_leaders_load_with_the_first_as_lead(year):
    text = (year / "tasks.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",leaders"
    text = [text[0]] + [line + "," for line in text[1:]]
    text[7] = "K07,打好三大攻坚战,防范化解重大风险攻坚战,D01;D11; D03,,张三; 李四"
    write(year / "tasks.csv", "\n".join(text) + "\n")
    reference = load_reference(load_settings(home=year.parent.parent), 2020)
    assert reference.task_leads["K07"] == ["D01", "D11", "D03"] and reference.task_leaders["K07"] == ["张三", "李四"]
    k07 = reference.tasks.set_index("task_code").loc["K07"]
    assert (k07.lead_unit, k07.lead_units, k07.leaders) == ("D01", "D01;D11;D03", "张三;李四")
    assert reference.task_leaders["K01"] == []
    owed = reference.assignments("2020-04")
    assert set(owed[(owed.form == "tasks") & (owed.code == "K07")].unit_code) == {"D01", "D11", "D03"}
    assert found(year) == []
    edit(year / "tasks.csv", "D01;D11; D03", "D01;X99")
    assert found(year, "error") == ["tasks.csv 第8行 列 lead_unit：单位“X99”不在 units.csv 中"]
    with pytest.raises(ReferenceError, match="tasks.csv 第8行 列 lead_unit"):
        load_reference(load_settings(home=year.parent.parent), 2020)


def test_tolerance_is_read_blank_is_zero_and_a_negative_or_a_word_is_refused(year):
    text = (year / "targets.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",tolerance"] + [line + "," for line in text[1:]]
    text[1] += "0.5"  # D11,I01 增长8%左右
    write(year / "targets.csv", "\n".join(text) + "\n")
    reference = load_reference(load_settings(home=year.parent.parent), 2020)
    assert reference.targets.tolerance.tolist()[:2] == [0.5, 0.0] and reference.targets.tolerance.dtype == float
    assert found(year) == []
    edit(year / "targets.csv", ",0.5\n", ",-1\n")
    assert found(year, "error") == ["targets.csv 第2行 列 tolerance：“-1”：允许偏差应为不小于 0 的数（空白即 0）"]
    with pytest.raises(ReferenceError, match="第2行 列 tolerance"):
        load_reference(load_settings(home=year.parent.parent), 2020)
    edit(year / "targets.csv", ",-1\n", ",左右\n")
    assert found(year, "error") == ["targets.csv 第2行 列 tolerance：“左右”不是数值"]


# --- the shipped districts -----------------------------------------------------------------------------------

EXPECTED = {"donghu-2022": ("东湖区“强攻二季度、确保双过半”工作专报", "东湖区人民政府办公室", ["双过半", "重大项目投资进度过六成"]),
            "haizhou-2019": ("海州区“2019项目年”工作专报", "海州区“2019项目年”活动领导小组办公室", ["任务过半"])}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_district_passes_reference_check_and_speaks_of_itself(tmp_path, name):
    assert name in example_names()
    home = tmp_path / name
    shutil.copytree(example_home(name), home)
    year = example_year(name)
    assert found(home / "reference" / str(year)) == []
    settings = load_settings(home=home)
    reference = load_reference(settings, year)
    title, issuer, milestones = EXPECTED[name]
    assert (report_title(settings, reference.plan), reference.plan.issuer) == (title, issuer)
    assert [m.name for m in reference.plan.milestones] == milestones and reference.plan.source
    assert reference.kinds.declared and set(reference.units.unit_kind) <= set(reference.kinds.codes)
    assert any(len(units) > 1 for units in reference.task_leads.values())
    words = " ".join(path.read_text(encoding="utf-8") for path in (home / "reference").rglob("*.*"))
    assert "大通湖" not in words and "奋战一百天" not in words


def test_the_examples_are_package_data():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]
    assert "*/*.toml" in data["zhuanbao.demo_reference"]
    assert {"*/reference/*/*.csv", "*/reference/*/*.toml"} <= set(data["zhuanbao.examples"])


# --- zhuanbao demo --district ---------------------------------------------------------------------------------

def test_an_example_district_gets_its_own_demo_months_workbooks_and_script(tmp_path):
    from zhuanbao.tasks.demo.districts import demo_periods, prepare_district_home

    manifest, script = prepare_district_home(tmp_path / "hz", "haizhou-2019")
    assert (tmp_path / "hz" / "zhuanbao.toml").exists() and (tmp_path / "hz" / "reference" / "2019" / "plan.toml").exists()
    reference = load_reference(load_settings(home=tmp_path / "hz"), 2019)
    assert demo_periods(reference) == ["2019-04", "2019-05", "2019-06"]  # ending with 任务过半 (2019-06-30)
    assert {e["period"] for e in manifest} == {"2019-04", "2019-05", "2019-06", "2019-06-H1", "2019-06-H2"}  # 半月调度
    assert {e["kind"] for e in manifest} >= {"ok", "late", "rejected", "corrected", "xls"}
    assert [(s["period"], s["as_of"][:10]) for s in script][:2] == [("2019-04", "2019-05-16"), ("2019-05", "2019-06-16")]
    rerun = next(s for s in script if s["reason"])
    assert rerun["period"] == "2019-05" and rerun["reason"].startswith("站前街道（T04）") and "逾期报送" in rerun["reason"]
    assert all(s["as_of"] < s["reviewed_at"] < s["signed_at"] for s in script if s["reviewed_at"])  # 通报: unsigned

"""A new office: `init` makes a home, `reference check` names every problem, `reference roll` starts a year."""
from __future__ import annotations

import shutil
import tomllib

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.reference_check import check_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import SETTING_KEYS, load_settings

runner = CliRunner()


@pytest.fixture
def tables(tmp_path):
    """A copy of the demo district's 2020 tables to spoil."""
    folder = tmp_path / "home" / "reference" / "2020"
    shutil.copytree(DEMO_REFERENCE_DIR / "2020", folder)
    return folder


def edit(path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def found(folder) -> list[str]:
    return [f"{p.severity}: {p}" for p in check_reference(folder)]


def test_init_writes_a_home_whose_settings_and_example_rows_the_system_reads(tmp_path):
    home = tmp_path / "shahe"
    result = runner.invoke(app, ["init", str(home), "--district", "沙河区", "--year", "2021", "--office", "沙河区统计局"])
    assert result.exit_code == 0, result.output
    settings = load_settings(home=home)
    assert (settings.issuing_office, settings.district, settings.form_prefix) == ("沙河区统计局", "沙河区", "沙河调")
    assert set(tomllib.loads((home / "zhuanbao.toml").read_text("utf-8"))) <= SETTING_KEYS
    assert {p.name for p in (home / "reference" / "2021").iterdir()} == {
        "units.csv", "indicators.csv", "targets.csv", "projects.csv", "tasks.csv"}
    assert (home / "inbox").is_dir() and (home / "forms").is_dir()
    readme = (home / "README.md").read_text("utf-8")
    assert "reference check --year 2021" in readme and "units.csv" in readme and "${" not in readme
    assert len(load_reference(settings, 2021).units) == 0  # the commented example rows are not read
    again = runner.invoke(app, ["init", str(home), "--year", "2021"])
    assert again.exit_code == 2 and "未改动任何文件" in again.output


def test_the_demo_tables_check_clean(tables):
    assert found(tables) == []


def test_check_names_file_row_and_column_of_every_problem(tables):
    edit(tables / "units.csv", "T02,金盆镇", "T01,金盆镇")  # duplicate code (line 3)
    edit(tables / "targets.csv", "D01,I05,6", "Z99,I05,6")  # a unit that does not exist
    edit(tables / "targets.csv", "D02,I06,20", "D02,I99,20")  # unknown indicator, I06 reported by nobody
    edit(tables / "tasks.csv", "D01;D07;D03;D05", "D01;D77;D03;D05")  # co-unit that does not exist
    edit(tables / "projects.csv", "project_code,project_name,batch", "project_code,project_title,batch")
    problems = found(tables)
    expected = ["error: units.csv 第3行 列 unit_code：“T01”重复（第2行已有）",
                "error: targets.csv 第6行 列 unit_code：单位“Z99”不在 units.csv 中",
                "error: targets.csv 第7行 列 indicator_code：指标“I99”不在 indicators.csv 中",
                "error: indicators.csv 第7行 列 indicator_code：指标“I06”没有任何单位报送（targets.csv 中没有它）",
                "error: tasks.csv 第9行 列 co_units：单位“D77”不在 units.csv 中",
                ("error: projects.csv 第1行 列 project_name：缺少列“project_name”（列应为 project_code, project_name, batch, "
                "annual_plan_wan, unit_code, half_year_task）")]
    for line in expected:
        assert line in problems, (line, problems)
    assert any(p.startswith("warning: projects.csv 第1行 列 project_title：未知的列") for p in problems)
    result = runner.invoke(app, ["--home", str(tables.parent.parent), "reference", "check", "--year", "2020"])
    assert result.exit_code == 2 and "units.csv 第3行 列 unit_code" in result.output


def test_gbk_bom_and_excel_trailing_columns_are_read_and_named(tables):
    units = tables / "units.csv"
    units.write_bytes(units.read_text("utf-8").encode("gbk"))
    (tables / "targets.csv").write_bytes(b"\xef\xbb\xbf" + (tables / "targets.csv").read_bytes())
    lines = (tables / "tasks.csv").read_text("utf-8").splitlines()
    (tables / "tasks.csv").write_text("\n".join(line + ",," for line in lines) + "\n", "utf-8")
    problems = found(tables)
    assert problems == [
        "warning: units.csv：文件为 GBK 编码（Excel“CSV（逗号分隔）”格式）：已按 GBK 读取；建议用 UTF-8（无 BOM）保存",
        "warning: targets.csv：文件带 BOM（Excel“CSV UTF-8”格式）：已按 UTF-8 BOM 读取；建议用 UTF-8（无 BOM）保存",
        "warning: tasks.csv 第1行 列 第6～7列：表头后有 2 个空列（Excel 另存时多出的逗号），已忽略；请删除这些列后重新保存"]
    reference = load_reference(load_settings(home=tables.parent.parent), 2020)  # and a run reads them as they are
    assert reference.unit_name("T02") == "金盆镇" and len(reference.targets) == 20


def test_roll_copies_a_year_and_never_overwrites(tables):
    home = tables.parent.parent
    result = runner.invoke(app, ["--home", str(home), "reference", "roll", "--from", "2020", "--to", "2021"])
    assert result.exit_code == 0, result.output
    assert (home / "reference" / "2021" / "targets.csv").read_bytes() == (tables / "targets.csv").read_bytes()
    assert found(home / "reference" / "2021") == [  # the plan's days are last year's: said, not refused
        "warning: plan.toml 第10行 键 campaign.start：日期 2020-03-22 不在参考表年度 2021 年内",
        "warning: plan.toml 第11行 键 campaign.end：日期 2020-06-30 不在参考表年度 2021 年内",
        "warning: plan.toml 第15行 键 milestones.date：日期 2020-06-30 不在参考表年度 2021 年内"]
    again = runner.invoke(app, ["--home", str(home), "reference", "roll", "--from", "2020", "--to", "2021"])
    assert again.exit_code == 2 and "已存在" in again.output


def test_doctor_says_when_a_home_has_no_plan_and_what_stands_in_its_place(home):
    """A home made before plan.toml keeps working; doctor says which title and issuer stand in."""
    from zhuanbao.flows.doctor import check_reference
    from zhuanbao.tasks.core.settings import load_settings

    settings = load_settings(home=home, district="沙河区")
    declared = check_reference(settings, 2020)
    assert declared.ok and "plan.toml" not in declared.detail  # the demo's tables carry their own plan
    (home / "reference" / "2020" / "plan.toml").unlink()
    bare = check_reference(settings, 2020)
    assert bare.ok and "没有 plan.toml" in bare.detail and "沙河区工作专报" in bare.detail

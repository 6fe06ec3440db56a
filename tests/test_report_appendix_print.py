"""The Excel 附表 as an office prints it (issue 25), and paths the CLI prints when its output is piped."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from zhuanbao.tasks.report.appendix import appendix_title, write_appendix
from zhuanbao.tasks.report.catalogue import load_sample_context


def _workbook(tmp_path: Path):
    context = load_sample_context()
    appendix = {"sheets": [{"name": "单位排名", "columns": ["名次", "单位名称", "综合得分", "按进度占比（%）"],
                            "rows": [[1, "甲镇", 90.0, 100.0], [2, "乙镇", 84.44, 66.67]] * 40}]}
    path = write_appendix(appendix, tmp_path / "附表.xlsx", title=appendix_title(context))
    return context, openpyxl.load_workbook(path)["单位排名"]


def test_appendix_title_names_the_issue_number_and_month(tmp_path):
    context, sheet = _workbook(tmp_path)
    title = sheet["A1"].value
    assert context["issue"]["label"] in title and context["period"]["label"] in title and title.endswith("附表：单位排名")


def test_scores_and_percents_show_one_decimal_down_the_whole_column(tmp_path):
    _, sheet = _workbook(tmp_path)
    for column in "CD":
        formats = {sheet[f"{column}{row}"].number_format for row in range(3, sheet.max_row + 1)}
        assert formats == {"0.0"}, f"列 {column} 的格式不一：{formats}"  # 84.44 shows as 84.4, 90 as 90.0


def test_appendix_prints_landscape_one_page_wide_with_the_header_on_every_page(tmp_path):
    _, sheet = _workbook(tmp_path)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize in (9, "9")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == 0
    assert sheet.print_title_rows.replace("$", "") == "1:2"  # the title and the column headers


def test_printed_paths_stay_on_one_line_when_output_is_piped(tmp_path):
    home = tmp_path / ("很长的数据目录名称_" + "long_folder_name_" * 4) / "another_nested_folder"
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("ZHUANBAO_HOME", None)
    done = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "init", str(home)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert str(home / "zhuanbao.toml") in done.stdout.splitlines()[1]
    assert all(str(home) in line for line in done.stdout.splitlines() if "another_nested" in line)
    assert sum(line.count(str(home)) for line in done.stdout.splitlines()) >= 8  # never broken mid-name

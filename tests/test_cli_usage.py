"""A clerk's typo on the command line: one Chinese line saying what is wrong, exit code 2 — never an English
box or 内部错误."""
from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app

CJK = re.compile(r"[\u4e00-\u9fff]")


def run(home, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args])


@pytest.mark.parametrize(("args", "words"), [
    (["rerun", "--period", "2020-04"], "缺少选项 --reason：请写明重跑原因"),
    (["status", "--bogus"], "没有选项 --bogus"),
    (["--bogus", "status"], "没有选项 --bogus"),
    (["nosuchcmd"], "没有命令 nosuchcmd"),
    (["submit"], "缺少参数 FILE"),
    (["status", "--period"], "选项 --period 后缺少取值"),
    (["status", "--period", "2020-04", "extra"], "多余的参数：extra"),
    (["portal", "--port", "abc"], "--port 的值无效：应为整数"),
    (["status", "--period", "2020-13"], "报告期格式应为 YYYY-MM"),
    (["accounts", "nosuch"], "没有命令 nosuch"),
])
def test_a_wrong_command_line_is_one_chinese_line_and_exit_code_2(home, args, words):
    result = run(home, *args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and words in lines[0] and CJK.search(lines[0]), result.output
    assert "内部错误" not in result.output and "Usage:" not in result.output and "Traceback" not in result.output
    assert "--help" in lines[0] or "YYYY-MM" in lines[0]


def test_help_still_answers_with_exit_code_0(home):
    result = run(home, "rerun", "--help")
    assert result.exit_code == 0 and "--reason" in result.output


def test_the_demo_leaves_the_home_named_by_home_alone_and_says_so(home, tmp_path):
    (home / "keep.txt").write_text("办公室的数据", encoding="utf-8")
    result = CliRunner().invoke(app, ["--home", str(home), "demo", "--home", str(tmp_path / "d"),
                                      "--district", "nosuch"])
    assert f"演示不使用 --home/ZHUANBAO_HOME 指定的 {home}" in result.output
    assert (home / "keep.txt").read_text(encoding="utf-8") == "办公室的数据"

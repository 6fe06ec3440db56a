"""The opt-in parts (pyproject's extras): a setting that needs one that is not installed stops with one Chinese
line naming the pip command, not an ImportError's traceback. "Not installed" is simulated by blocking the module
(sys.modules[name] = None makes every import of it fail)."""
from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.tasks.core.extras import MissingExtra
from zhuanbao.tasks.core.settings import load_settings


def block(monkeypatch, *modules: str) -> None:
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def test_the_dask_runner_without_the_scale_extra_names_it(home, monkeypatch):
    from zhuanbao.flows.runner import task_runner_for

    block(monkeypatch, "prefect_dask")
    monkeypatch.setenv("ZHUANBAO_TASK_RUNNER", "dask")
    with pytest.raises(MissingExtra, match=r"需要安装可选组件：pip install 'zhuanbao\[scale\]'"):
        task_runner_for(load_settings(home=home))


def test_a_dask_run_without_the_scale_extra_stops_at_once_with_one_line(home, monkeypatch):
    block(monkeypatch, "prefect_dask")
    result = CliRunner().invoke(app, ["run", "--period", "2020-04"],
                                env={"ZHUANBAO_HOME": str(home), "ZHUANBAO_TASK_RUNNER": "dask"})
    assert result.exit_code == 2, result.output
    assert "需要安装可选组件：pip install 'zhuanbao[scale]'" in result.output
    assert "ZHUANBAO_TASK_RUNNER=dask" in result.output
    assert "Traceback" not in result.output and "使用" not in result.output  # no Prefect server was started


def test_an_s3_home_without_the_s3_extra_names_it(home, tmp_path, monkeypatch):
    block(monkeypatch, "s3fs")
    monkeypatch.delitem(sys.modules["fsspec.registry"]._registry, "s3", raising=False)  # forget an earlier s3fs
    workbook = tmp_path / "T01_2020-04.xlsx"
    workbook.write_bytes(b"any bytes: the file is kept in the lake before it is read")
    result = CliRunner().invoke(app, ["submit", str(workbook), "--period", "2020-04"],
                                env={"ZHUANBAO_HOME": "s3://bucket/zhuanbao", "ZHUANBAO_LOCAL_HOME": str(home)})
    assert result.exit_code == 2, result.output
    assert "需要安装可选组件：pip install 'zhuanbao[s3]'" in result.output
    assert "ZHUANBAO_HOME=s3://" in result.output and "Traceback" not in result.output


def test_building_the_guide_without_the_docs_extra_names_it(tmp_path, monkeypatch):
    from zhuanbao.flows.docs_site import build_site

    block(monkeypatch, "mkdocs", "mkdocs.commands.build", "mkdocs.config")
    with pytest.raises(MissingExtra, match=r"pip install 'zhuanbao\[docs\]'"):
        build_site(tmp_path / "site")

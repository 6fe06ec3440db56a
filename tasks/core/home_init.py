"""Starting an office's home (`zhuanbao init`) and a new year's reference tables (`reference roll`).

`init_home` writes the folders, `zhuanbao.toml` with the office's settings (keys as in
tasks/core/settings.py), `reference/<year>/` with the five tables' headers and one commented
example row each (`#…`, skipped by the reader), and a README for the statistician (templates/home_README.md).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from string import Template

from .reference import COLUMNS
from .resources import TEMPLATES_DIR

FOLDERS = ("inbox", "forms", "reports")
EXAMPLES = {
    "units": "# T01,某某镇,township,某某",
    "indicators": "# I01,地区生产总值,万元,growth,higher,Q,false,季度指标：3、6、9、12月报送",
    "targets": "# T01,I01,8,,增长8%左右",
    "projects": "# X01,某某项目,新开工,1000,T01,力争开工",
    "tasks": "# K01,聚焦园区和企业,某某行动,D01,T01;T02",
}


class HomeExists(ValueError):
    """The folder already holds a home (or that year's tables): init and roll never overwrite."""


def form_prefix_for(district: str) -> str:
    """表号 prefix from the district's name: 大通湖区 -> 大通湖调 (as in 大通湖调1表)."""
    stem = district[:-1] if len(district) > 2 and district[-1] in "区县市旗" else district
    return f"{stem}调"


def _toml(settings: dict) -> str:
    lines = ["# zhuanbao 设置：键名即环境变量 ZHUANBAO_<键名大写>，环境变量优先。改后下次运行生效。"]
    notes = {"office": "制表机关 / 印发机关（专报、模板、回执上的名称）", "district": "区县名称",
             "form_prefix": "模板表号前缀：表号为 <前缀>1表、2表、3表",
             "form_approval": "模板右上角的批准（备案）机关及文号，如：某某区统计局 某统字〔2021〕1号",
             "send_to": "报送方式，印在模板上，如：电子邮箱 tjj@example.cn", "deadline_day": "每月报送截止日（次月几日）",
             "timezone": "时区"}
    for key, value in settings.items():
        lines.append(f"# {notes[key]}")
        lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def init_home(folder: Path, *, district: str, year: int, office: str | None = None) -> list[Path]:
    """Create a home in `folder` (which may exist but must not hold a home); the files written."""
    folder = Path(folder)
    if (folder / "zhuanbao.toml").exists() or (folder / "reference" / str(year)).exists():
        raise HomeExists(f"{folder} 已经是 zhuanbao 数据目录（已有 zhuanbao.toml 或 reference/{year}/），未改动任何文件")
    office = office or f"{district}领导小组办公室"
    settings = {"office": office, "district": district, "form_prefix": form_prefix_for(district),
                "form_approval": "", "send_to": "", "deadline_day": 15, "timezone": "Asia/Shanghai"}
    written = []
    for name in FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)
    tables = folder / "reference" / str(year)
    tables.mkdir(parents=True)
    for name, columns in COLUMNS.items():
        path = tables / f"{name}.csv"
        path.write_text(",".join(columns) + "\n" + EXAMPLES[name] + "\n", encoding="utf-8")
        written.append(path)
    (folder / "zhuanbao.toml").write_text(_toml(settings), encoding="utf-8")
    readme = Template((TEMPLATES_DIR / "home_README.md").read_text("utf-8")).substitute(
        district=district, year=year, next_year=year + 1, office=office, home=folder, deadline_day=15)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    return [folder / "zhuanbao.toml", folder / "README.md", *written]


def roll_reference(reference_root: Path, source_year: int, target_year: int) -> list[Path]:
    """Copy `reference/<source_year>/` to `reference/<target_year>/` (which must not exist); the files copied."""
    source, target = Path(reference_root) / str(source_year), Path(reference_root) / str(target_year)
    if not source.is_dir():
        raise FileNotFoundError(f"没有 {source_year} 年的参考表：{source} 不存在")
    if target.exists():
        raise HomeExists(f"{target_year} 年的参考表已存在（{target}），未覆盖；如需重来请先删除该目录")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__init__.py", "__pycache__", "~$*", ".*"))
    return sorted(target.glob("*.csv"))

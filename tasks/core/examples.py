"""The example districts shipped with zhuanbao: `examples/<name>/` (package data `zhuanbao.examples`).

Each example is a home of its own — `zhuanbao.toml` (district, office), `README.md` (what is transcribed from
the district's work plan and what is invented) and `reference/<year>/` (the five tables, `plan.toml`,
`kinds.csv`). The name ends in the year: `donghu-2022`, `haizhou-2019`.
"""
from __future__ import annotations

from pathlib import Path

from . import catalog
from .resources import packaged


def examples_dir() -> Path:
    return packaged("examples")


def example_names() -> list[str]:
    """The shipped examples, by name."""
    return sorted(p.name for p in examples_dir().iterdir() if (p / "reference").is_dir())


def example_home(name: str) -> Path:
    """The folder of example `name`; ValueError naming the known ones when there is none."""
    home = examples_dir() / name
    if not catalog.reference_root(home).is_dir():
        raise ValueError(f"没有示例区“{name}”（可用：{'、'.join(example_names())}）")
    return home


def example_year(name: str) -> int:
    """The year of example `name` (its only `reference/<year>/`)."""
    years = sorted(int(p.name) for p in (example_home(name) / "reference").iterdir() if p.name.isdigit())
    return years[-1]

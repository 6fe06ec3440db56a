"""Render only what changed (issue 28): the report step keeps the context's sections by their inputs; a rerun
with the same data reads them back, a late unit's new figures compute again only the sections they touch,
and the context — its digest, its saved text, the HTML — is exactly the one built from scratch."""
from __future__ import annotations

import json

import pytest

from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.demo.report_sample import demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.report import context as context_module
from zhuanbao.tasks.report.context import build_context
from zhuanbao.tasks.report.context import kept as kept_module
from zhuanbao.tasks.report.publish import inputs_digest
from zhuanbao.tasks.report.render import render_html

PERIOD = "2020-04"
KEPT = ("indicators", "chart", "projects", "tasks", "by_leader", "rankings")


@pytest.fixture
def computed(monkeypatch) -> list[str]:
    """The kept sections computed (not read back), in order."""
    names: list[str] = []
    for name in KEPT:
        real = getattr(context_module, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            names.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(context_module, name, counted)
    return names


def metrics_of(settings, reference, frames=None):
    status = demo_status(settings, reference, PERIOD, late=("T04",), missing=("T05",), rejected=("D02",))
    frames = frames or demo_frames(reference, PERIOD, drop=("T05", "D02"))
    return status, demo_metrics(settings, reference, PERIOD, status, frames)


def same(a: dict, b: dict) -> None:
    assert json.dumps(a, ensure_ascii=False, sort_keys=True, default=str) == \
        json.dumps(b, ensure_ascii=False, sort_keys=True, default=str)
    assert inputs_digest(a) == inputs_digest(b)
    assert render_html(a, png=b"") == render_html(b, png=b"")


def test_the_same_inputs_read_every_kept_section_back(settings, reference, computed):
    status, metrics = metrics_of(settings, reference)
    kept = catalog.report_sections(settings.home)
    first = build_context(settings, PERIOD, reference, metrics, status, kept=kept)
    built = len(computed)
    assert {"indicators", "chart", "projects", "tasks", "rankings"} <= set(computed)
    again = build_context(settings, PERIOD, reference, metrics, status, kept=kept)
    assert len(computed) == built  # nothing computed the second time
    same(again, first)
    same(again, build_context(settings, PERIOD, reference, metrics, status))  # from scratch


def test_a_units_new_task_figures_compute_only_the_sections_they_touch(settings, reference, computed):
    status, metrics = metrics_of(settings, reference)
    kept = catalog.report_sections(settings.home)
    build_context(settings, PERIOD, reference, metrics, status, kept=kept)
    frames = demo_frames(reference, PERIOD, drop=("T05", "D02"))
    tasks = frames["tasks"]
    one = tasks.index[tasks["unit_code"] == tasks["unit_code"].iloc[0]]
    tasks.loc[one, "progress_pct"] = 99.0  # the unit's corrected file: its tasks further on
    status, changed = metrics_of(settings, reference, frames)
    computed.clear()
    after = build_context(settings, PERIOD, reference, changed, status, kept=kept)
    assert "tasks" in computed and "indicators" not in computed and "projects" not in computed
    fresh = build_context(settings, PERIOD, reference, changed, status)
    same(after, fresh)
    assert after["tasks"] != build_context(settings, PERIOD, reference, metrics, status)["tasks"]


def test_new_code_or_a_damaged_section_computes_again(settings, reference, computed, monkeypatch):
    status, metrics = metrics_of(settings, reference)
    kept = catalog.report_sections(settings.home)
    first = build_context(settings, PERIOD, reference, metrics, status, kept=kept)
    for damaged in kept.glob("*.json"):
        damaged.write_text("{", "utf-8")
    computed.clear()
    same(build_context(settings, PERIOD, reference, metrics, status, kept=kept), first)
    assert {"indicators", "chart", "projects", "tasks", "rankings"} <= set(computed)
    monkeypatch.setattr(kept_module, "code_version", lambda: "an upgrade")
    computed.clear()
    build_context(settings, PERIOD, reference, metrics, status, kept=kept)
    assert {"indicators", "chart", "projects", "tasks", "rankings"} <= set(computed)

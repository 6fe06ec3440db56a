"""Render only what changed (issue 28): a 专报 drawn again reuses its chart (no matplotlib) and its templates'
check when their inputs are the same, and its HTML and Word file are exactly a fresh render's; new figures
redraw the chart, and an editor's change to wording.j2 (docs/editors.md) is checked and shown again."""
from __future__ import annotations

import copy
import zipfile

import pytest

from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.report import charts, template_check
from zhuanbao.tasks.report.editors import copy_templates
from zhuanbao.tasks.report.render import render_all
from zhuanbao.tasks.report.template_errors import TemplateProblems

from .test_editors_guide import apply, worked_changes
from .test_report import make_context


@pytest.fixture
def work(monkeypatch) -> dict[str, int]:
    """How often the chart was drawn and the templates were checked."""
    done = {"drawn": 0, "checked": 0}
    draw, check = charts.chart_png, template_check.static_problems

    def drawn(*args, **kwargs):
        done["drawn"] += 1
        return draw(*args, **kwargs)

    def checked(*args, **kwargs):
        done["checked"] += 1
        return check(*args, **kwargs)

    monkeypatch.setattr(charts, "chart_png", drawn)
    monkeypatch.setattr(template_check, "static_problems", checked)
    return done


def docx_parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as doc:
        return {name: doc.read(name) for name in doc.namelist()}


def fresh(context: dict, settings, stem) -> dict:
    """A render with nothing kept: the caches of the home removed first."""
    for folder in (catalog.chart_cache(settings.home), catalog.checked_templates(settings.home)):
        for kept in folder.glob("*"):
            kept.unlink()
    return render_all(context, stem, home=settings.home)


def test_a_second_render_reuses_the_chart_and_the_check_and_equals_a_fresh_one(settings, reference, tmp_path,
                                                                                 fast_pdf, work):
    context = make_context(settings, reference)
    first = render_all(context, tmp_path / "first", home=settings.home)
    assert work == {"drawn": 1, "checked": 1}
    again = render_all(context, tmp_path / "again", home=settings.home)
    assert work == {"drawn": 1, "checked": 1}  # nothing drawn or checked again
    new = fresh(context, settings, tmp_path / "fresh")
    assert work == {"drawn": 2, "checked": 2}
    assert first["html"].read_bytes() == again["html"].read_bytes() == new["html"].read_bytes()
    assert "data:image/png;base64," in again["html"].read_text("utf-8")
    assert docx_parts(again["docx"]) == docx_parts(new["docx"]) == docx_parts(first["docx"])


def test_new_figures_redraw_the_chart_and_show_as_a_fresh_render(settings, reference, tmp_path, fast_pdf, work):
    context = make_context(settings, reference)
    render_all(context, tmp_path / "before", home=settings.home)
    changed = copy.deepcopy(context)
    changed["chart"]["items"][0]["value"] = 0.987
    after = render_all(changed, tmp_path / "after", home=settings.home)
    assert work["drawn"] == 2
    expected = fresh(changed, settings, tmp_path / "fresh")
    assert after["html"].read_bytes() == expected["html"].read_bytes()
    assert after["html"].read_bytes() != (tmp_path / "before.html").read_bytes()
    assert docx_parts(after["docx"]) == docx_parts(expected["docx"])


def test_an_editors_change_to_wording_is_checked_and_shown_and_a_mistake_refused(settings, reference, tmp_path,
                                                                                   fast_pdf, work):
    context = make_context(settings, reference)
    render_all(context, tmp_path / "before", home=settings.home)
    wording = copy_templates(settings, [])[0]  # `zhuanbao templates copy`, as docs/editors.md says
    line = worked_changes()[0]
    apply(wording, line)
    after = render_all(context, tmp_path / "after", home=settings.home)
    assert work == {"drawn": 1, "checked": 2}  # the same chart, the edited templates checked again
    assert "进度滞后的单位和事项" in after["html"].read_text("utf-8")
    assert after["html"].read_bytes() == fresh(context, settings, tmp_path / "fresh")["html"].read_bytes()
    wording.write_text(wording.read_text("utf-8").replace("{{ issue.label }}", "{{ issue.labl }}", 1)
                       if "{{ issue.label }}" in wording.read_text("utf-8")
                       else wording.read_text("utf-8") + "{{ issue.labl }}\n", "utf-8")
    with pytest.raises(TemplateProblems, match="issue.labl"):
        render_all(context, tmp_path / "broken", home=settings.home)
    assert not (tmp_path / "broken.html").exists()

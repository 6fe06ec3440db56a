"""Render only what changed (issue 28): a 专报 whose HTML is the same as one rendered before reuses its PDF;
a changed HTML, template folder or font set is laid out again."""
from __future__ import annotations

import weasyprint

from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.report import render

HTML = "<html><body><h1>大通湖区专报</h1><p>&lt;script&gt; 本月累计 12.5</p></body></html>"


def _counting(monkeypatch) -> list[str]:
    laid_out = []
    real = weasyprint.HTML

    def html(*args, **kwargs):
        laid_out.append(kwargs.get("string", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", html)
    return laid_out


def test_the_same_html_reuses_the_pdf_and_a_changed_one_is_laid_out_again(home, tmp_path, monkeypatch):
    laid_out = _counting(monkeypatch)
    first = render.write_pdf(HTML, tmp_path / "a.pdf", home=home)
    again = render.write_pdf(HTML, tmp_path / "b.pdf", home=home)
    assert len(laid_out) == 1 and again.read_bytes() == first.read_bytes() and first.read_bytes().startswith(b"%PDF")
    assert len(list(catalog.pdf_cache(home).glob("*.pdf"))) == 1
    render.write_pdf(HTML.replace("12.5", "13.5"), tmp_path / "c.pdf", home=home)
    assert len(laid_out) == 2


def test_a_changed_template_folder_or_no_home_means_a_fresh_layout(home, tmp_path, monkeypatch):
    laid_out = _counting(monkeypatch)
    render.write_pdf(HTML, tmp_path / "a.pdf", home=home)
    templates = catalog.templates_dir(home)
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "extra.css").write_text("h1 { color: red }", "utf-8")  # a stylesheet the HTML may link
    render.write_pdf(HTML, tmp_path / "b.pdf", home=home)
    render.write_pdf(HTML, tmp_path / "c.pdf")  # no home: nothing cached, nothing reused
    render.write_pdf(HTML, tmp_path / "d.pdf")
    assert len(laid_out) == 4

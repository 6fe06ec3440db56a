"""The warm renderer (issue 28): the warm checker's process lays out the 专报 PDF while the flow draws the
Word file; the same bytes as a PDF rendered in the flow's own process, which is what happens when the
renderer is not up, runs older code or fails."""
from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from zhuanbao.tasks.checks import warm
from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.core.resources import TEMPLATES_DIR
from zhuanbao.tasks.report import pdf_output, pdf_worker, warm_render
from zhuanbao.tasks.report.fonts import stack

HTML = ("<html><body><h1>大通湖区统计专报</h1>"
        f"<p style='font-family: {stack('body')}'>项目：&lt;script&gt; 𠮷祥村䶮源路改造 本月累计 12.5%</p>"
        "<table><tr><th>单位</th><th>完成</th></tr><tr><td>河坝镇</td><td>98.6</td></tr></table></body></html>")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(autouse=True)
def renderer_on(monkeypatch):
    """The warm renderer is off unless an office turns it on (ZHUANBAO_WARM_RENDERER): these tests turn it on."""
    monkeypatch.setenv("ZHUANBAO_WARM_RENDERER", "1")


@pytest.fixture
def renderer(home):
    """A warm renderer answering on this home's checker socket, served from a thread of this process (the
    process of `zhuanbao serve` answers the same way; tests/test_warm_checker.py starts the real one)."""
    checker = warm.Checker(home / "expectations")  # no suites compiled: only PDFs are asked for here
    address = catalog.checker_socket(home)
    server = warm._listen(address)
    record = catalog.checker_json(home)
    record.write_text(json.dumps({"socket": str(address), "pid": os.getpid()}), "utf-8")
    asked: list[str] = []

    def answer():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                request = warm._receive(connection)
                asked.append(request[0])
                warm._send(connection, checker.handle(request))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield asked
    server.close()
    record.unlink(missing_ok=True)
    address.unlink(missing_ok=True)


def test_without_a_renderer_the_pdf_is_laid_out_here_and_a_rare_character_prints(home, tmp_path):
    pending = pdf_output.start_pdf(HTML, tmp_path / "here.pdf", home=home)
    assert pending.where == "here" and not pending.out_path.exists()  # nothing drawn before wait
    out = pending.wait()
    text = _text(out)
    assert "𠮷祥村䶮源路改造" in text and "<script>" in text and "98.6" in text
    assert not list(tmp_path.glob(".*.part"))


def test_the_warm_renderer_writes_the_same_bytes_as_this_process(home, tmp_path, renderer):
    warm_pdf = pdf_output.start_pdf(HTML, tmp_path / "warm.pdf", home=home)
    assert warm_pdf.wait().is_file() and warm_pdf.where == "warm" and renderer == ["pdf"]
    here = warm_render.PendingPdf(None, HTML, tmp_path / "here.pdf", str(TEMPLATES_DIR), pdf_output.font_css(home))
    assert here.where == "here"
    assert warm_pdf.out_path.read_bytes() == here.wait().read_bytes()
    again = pdf_output.start_pdf(HTML, tmp_path / "again.pdf", home=home)  # the same HTML: reused, not sent
    assert again.where == "cache" and again.wait().read_bytes() == warm_pdf.out_path.read_bytes()
    assert renderer == ["pdf"]


def test_a_renderer_on_older_code_or_failing_means_rendering_here(home, tmp_path, renderer, monkeypatch, caplog):
    monkeypatch.setattr(warm_render, "code_version", lambda: "older")
    stale = pdf_output.start_pdf(HTML, tmp_path / "stale.pdf", home=home)
    assert stale.wait().is_file() and stale.where == "here" and renderer == ["pdf"]
    assert "旧版本代码" in caplog.text and "𠮷祥村" in _text(stale.out_path)
    monkeypatch.undo()
    monkeypatch.setattr(pdf_worker, "render_pdf", _failing)  # the renderer fails (its module is this process's)
    failed = warm_render.PendingPdf(home, HTML, tmp_path / "failed.pdf", str(TEMPLATES_DIR), "")
    assert failed.wait().is_file() and failed.where == "here" and "磁盘已满" in caplog.text
    assert failed.out_path.read_bytes() == warm_render.PendingPdf(None, HTML, tmp_path / "b.pdf", str(TEMPLATES_DIR),
                                                                 "").wait().read_bytes()


def _failing(*_args):
    raise OSError("磁盘已满")


def test_by_default_the_pdf_is_laid_out_here_even_with_a_renderer_up(home, tmp_path, renderer, monkeypatch):
    monkeypatch.delenv("ZHUANBAO_WARM_RENDERER")  # the default: the checker stays free for the portal's uploads
    pending = pdf_output.start_pdf(HTML, tmp_path / "here.pdf", home=home)
    assert pending.wait().is_file() and pending.where == "here" and renderer == []
    assert "𠮷祥村䶮源路" in _text(tmp_path / "here.pdf")


def test_a_discarded_pdf_leaves_nothing(home, tmp_path, renderer):
    pending = pdf_output.start_pdf(HTML, tmp_path / "gone.pdf", home=home)
    pending.discard()
    assert not pending.out_path.exists() and not list(tmp_path.glob(".*.part"))


def test_the_renderers_answer_names_a_stale_code_or_a_failure_and_never_raises(tmp_path):
    assert pdf_worker.handle(("pdf", "old", HTML, str(TEMPLATES_DIR), "", str(tmp_path / "a.pdf")), "new")[0] == "stale"
    kind, why = pdf_worker.handle(("pdf", "v", HTML, str(TEMPLATES_DIR), "", str(tmp_path / "no" / "a.pdf")), "v")
    assert kind == "stale" and "生成 PDF 失败" in why
    kind, done = pdf_worker.handle(("pdf", "v", HTML, str(TEMPLATES_DIR), "", str(tmp_path / "a.pdf")), "v")
    assert kind == "ok" and Path(done["path"]).read_bytes().startswith(b"%PDF")


def test_the_workbook_is_written_before_waiting_for_the_pdf_and_a_failure_there_leaves_no_pdf(home, tmp_path, renderer):
    from zhuanbao.tasks.report.catalogue import load_sample_context
    from zhuanbao.tasks.report.render import render_all

    out = tmp_path / "out"
    out.mkdir()
    seen = []
    paths = render_all(load_sample_context(), out / "专报", home=home,
                       meanwhile=lambda: seen.append(sorted(p.suffix for p in out.iterdir())))
    assert len(seen) == 1 and ".html" in seen[0] and ".docx" not in seen[0] and renderer == ["pdf"]
    assert "第" in _text(paths["pdf"]) and paths["docx"].stat().st_size > 0

    def full_disk():
        raise OSError("磁盘已满")

    again = tmp_path / "again"
    again.mkdir()
    with pytest.raises(OSError, match="磁盘已满"):
        render_all(load_sample_context(), again / "专报", home=home, meanwhile=full_disk)
    assert not list(again.glob("*.pdf")) and not list(again.glob(".*.part"))


def test_garbage_collection_resumes_after_a_render_even_a_failed_one(tmp_path):
    import gc

    from zhuanbao.tasks.report.pdf_engine import render_pdf

    render_pdf(HTML, tmp_path / "a.pdf", str(TEMPLATES_DIR), "")
    assert gc.isenabled()
    with pytest.raises(OSError):
        render_pdf(HTML, tmp_path / "missing" / "a.pdf", str(TEMPLATES_DIR), "")
    assert gc.isenabled() and not list(tmp_path.glob("**/*.part"))


def test_the_renderer_gives_a_documents_memory_back_after_answering(tmp_path):
    def rss() -> int:
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))

    big = "<html><body>" + "".join(f"<table><tr><td>单位{i}</td><td>{i}.5</td></tr></table>" for i in range(600)) + "</body></html>"
    pdf_worker.handle(("pdf", "v", big, str(TEMPLATES_DIR), "", str(tmp_path / "a.pdf")), "v")
    before = rss()
    pdf_worker.tidy()
    assert rss() < before


@pytest.mark.slow  # a real warm checker: it imports Great Expectations and WeasyPrint in its own process
def test_the_warm_checker_process_renders_the_same_bytes(home, tmp_path):
    from tests.checker_process import start_checker

    _, process = start_checker(home)
    try:
        assert warm.wait_ready(home, timeout=300)
        there = pdf_output.start_pdf(HTML, tmp_path / "warm.pdf", home=home)
        assert there.wait().is_file() and there.where == "warm"
    finally:
        process.terminate()
        process.wait(30)
    here = warm_render.PendingPdf(None, HTML, tmp_path / "here.pdf", str(TEMPLATES_DIR), pdf_output.font_css(home))
    assert here.wait().read_bytes() == there.out_path.read_bytes()
    assert "𠮷祥村䶮源路改造" in _text(there.out_path)

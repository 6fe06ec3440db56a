"""The editors' Word file as LibreOffice lays it out (headless, fonts mapped by fonts/fontconfig.conf),
read back with pdftotext: numbers whole, the table header on every page of a long table, the 版记
alone on the last page. One conversion takes ~5–10 s on a small machine, hence `slow`."""
from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess

import pytest

from zhuanbao.tasks.report.catalogue import load_sample_context
from zhuanbao.tasks.report.docx_pdf import docx_to_pdf, soffice
from zhuanbao.tasks.report.render import render_docx

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None,
                                 reason="LibreOffice / poppler-utils not installed (scripts/setup.sh)")]
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d%")


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> tuple[dict, list[str]]:
    """A sample whose 表1 is four times as long (so it must run onto a second page), as LibreOffice prints it."""
    context = copy.deepcopy(load_sample_context())
    rows = context["indicators"]["rows"] * 4  # renamed "囧一", "囧丁"…: two characters (no wrap), only in 表1
    context["indicators"]["rows"] = [{**row, "name": "囧" + chr(0x4E00 + i)} for i, row in enumerate(rows)]
    folder = tmp_path_factory.mktemp("lo")
    out = io.BytesIO()
    render_docx(context, out)
    (folder / "专报.docx").write_bytes(out.getvalue())
    pdf = docx_to_pdf(folder / "专报.docx")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return context, [page for page in text.split("\f") if page.strip()]


def test_no_number_is_split_across_lines(pages):
    context, text = pages
    whole = "\n".join(text)
    for row in context["indicators"]["rows"]:
        for key in ("cumulative", "time_progress", "rate"):
            for value in NUMBER.findall(row[key]):
                assert value in whole, f"{row['name']} {key} {value} 被折行"
    assert not re.search(r"\d[.,]\s*\n\s*\d", whole)  # '111,628.\n1'
    assert not re.search(r"\d\s*\n\s*%", whole)  # '33.3\n%'


def test_long_table_repeats_its_header_on_the_next_page(pages):
    _, text = pages
    table_pages = [page for page in text if re.search(r"囧[\u4e00-\u9fff]", page)]
    assert len(table_pages) >= 2, "表1 should run onto a second page"
    for page in table_pages:  # the header row above the rows on every page of the table
        assert "1-本月累计" in page and page.index("1-本月累计") < re.search(r"囧[\u4e00-\u9fff]", page).start()


def test_banji_is_alone_on_the_last_page_without_a_number(pages):
    context, text = pages
    last = re.sub(r"\s", "", text[-1])
    assert f"{context['issue']['printed_date']}印发" in last and context["issue"]["office"] in last
    assert not re.search(r"—\d+—", last)

"""The 专报's layout as Word/WPS and a PDF reader meet it (issue 13): the docx's XML, and the PDF's
boxes and text. LibreOffice's rendering of the docx: tests/test_report_libreoffice.py."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from zhuanbao.tasks.core.resources import TEMPLATES_DIR
from zhuanbao.tasks.report.catalogue import load_sample_context
from zhuanbao.tasks.report.render import render_docx, render_html

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+%?")


def xml(data: bytes | Path, part: str):
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with zipfile.ZipFile(source) as z:
        return etree.fromstring(z.read(part))


@pytest.fixture(scope="module")
def sample() -> dict:
    return load_sample_context()


@pytest.fixture(scope="module")
def rendered_docx(sample) -> bytes:
    out = io.BytesIO()
    render_docx(sample, out)
    return out.getvalue()


def test_heading_styles_name_their_fonts_with_no_theme_attributes():
    styles = xml(TEMPLATES_DIR / "zhuanbao.docx", "word/styles.xml")
    themed = [a for e in styles.iter() for a in e.attrib if "theme" in a.rsplit("}", 1)[-1].lower()]
    assert themed == []
    faces = {}
    for style in styles.iter(f"{W}style"):
        fonts = style.find(f"{W}rPr/{W}rFonts")
        if fonts is not None:
            faces[style.get(f"{W}styleId")] = fonts.get(f"{W}eastAsia")
    assert faces["Heading1"] == "黑体" and faces["Heading2"] == "楷体_GB2312" and faces["Normal"] == "仿宋_GB2312"


def test_font_table_names_the_gb_faces_with_their_fallbacks():
    table = xml(TEMPLATES_DIR / "zhuanbao.docx", "word/fontTable.xml")
    alt = {f.get(f"{W}name"): (f.find(f"{W}altName").get(f"{W}val") if f.find(f"{W}altName") is not None else "")
           for f in table.iter(f"{W}font")}
    assert {"仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"} <= set(alt)
    assert "FangSong" in alt["仿宋_GB2312"] and "KaiTi" in alt["楷体_GB2312"] and "SimHei" in alt["黑体"]


def test_tables_repeat_their_header_keep_rows_whole_and_numbers_on_one_line(rendered_docx, sample):
    body = xml(rendered_docx, "word/document.xml")
    tables = [t for t in body.iter(f"{W}tbl")  # not the masthead's and the 版记's ruled lines (own borders)
              if t.find(f"{W}tblPr/{W}tblBorders") is None]
    assert len(tables) >= 6
    for table in tables:
        rows = table.findall(f"{W}tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
        assert table.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
    first = tables[0]  # 表1: 年度目标 … 时序进度 hold numbers
    cells = first.findall(f"{W}tr")[1].findall(f"{W}tc")
    no_wrap = [c.find(f"{W}tcPr/{W}noWrap") is not None for c in cells]
    assert no_wrap == [False, False, False, True, True, True, True, False]
    widths = [int(g.get(f"{W}w")) for g in first.find(f"{W}tblGrid").findall(f"{W}gridCol")]
    assert abs(sum(widths) - 156 / 25.4 * 1440) < 30  # the text block's width, not wider


def test_page_numbers_are_outside_and_the_banji_page_has_none(rendered_docx):
    settings = xml(rendered_docx, "word/settings.xml")
    assert settings.find(f"{W}evenAndOddHeaders") is not None
    with zipfile.ZipFile(io.BytesIO(rendered_docx)) as z:
        rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels}
        body = etree.fromstring(z.read("word/document.xml"))
        sections = list(body.iter(f"{W}sectPr"))
        refs = {ref.get(f"{W}type"): target[ref.get("{http://schemas.openxmlformats.org/officeDocument/2006/"
                                                     "relationships}id")]
                for ref in sections[0].findall(f"{W}footerReference")}
        align = {kind: etree.fromstring(z.read(f"word/{name}")).find(f".//{W}jc").get(f"{W}val")
                 for kind, name in refs.items()}
        assert align["default"] == "right" and align["even"] == "left"
        last = {ref.get(f"{W}type"): target[ref.get("{http://schemas.openxmlformats.org/officeDocument/2006/"
                                                    "relationships}id")]
                for ref in sections[-1].findall(f"{W}footerReference")}
        assert all("PAGE" not in z.read(f"word/{name}").decode() for name in last.values())
        assert sections[-1].find(f"{W}vAlign").get(f"{W}val") == "bottom"
        grid = sections[0].find(f"{W}docGrid")
        assert grid.get(f"{W}type") == "lines" and int(grid.get(f"{W}linePitch")) in range(575, 585)  # 22 lines


def test_banji_and_gbt_heading_levels_in_both_formats(rendered_docx, sample):
    from docx import Document

    doc = Document(io.BytesIO(rendered_docx))
    texts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert f"{sample['issue']['printed_date']}印发" in texts and sample["issue"]["office"] in texts
    level2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert level2 and all(re.match(r"^（[一二三四五六七八九十]+）", t) for t in level2)
    html = render_html(sample, png=b"")
    assert f"{sample['issue']['printed_date']}印发" in html
    assert re.findall(r"<h3>(.*?)</h3>", html) and all(re.match(r"^（[一二三四五六七八九十]+）", h)
                                                      for h in re.findall(r"<h3>(.*?)</h3>", html))


@pytest.fixture(scope="module")
def pdf_document(sample):
    from weasyprint import HTML

    return HTML(string=render_html(sample), base_url=str(TEMPLATES_DIR)).render()


def test_pdf_tables_stay_inside_the_text_block(pdf_document):
    from weasyprint.formatting_structure import boxes

    checked = 0
    for number, page in enumerate(pdf_document.pages, start=1):
        box = page._page_box
        left, right = box.content_box_x(), box.content_box_x() + box.width
        for table in (b for b in box.descendants() if isinstance(b, boxes.TableBox)):
            x0, x1 = table.border_box_x(), table.border_box_x() + table.border_width()
            assert left - 0.5 <= x0 and x1 <= right + 0.5, f"第{number}页的表格超出版心 {x1 - right:.1f}px"
            checked += 1
    assert checked >= 6


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_has_whole_numbers_and_the_banji_on_the_last_page(pdf_document, sample, tmp_path):
    pdf = tmp_path / "s.pdf"
    pdf_document.write_pdf(str(pdf))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for row in sample["indicators"]["rows"]:
        for value in NUMBER.findall(row["cumulative"]):
            assert value in text, f"{value} split across lines"
    last = text.split("\f")[-2] if text.endswith("\f") else text.split("\f")[-1]
    assert f"{sample['issue']['printed_date']}印发" in last.replace(" ", "")
    assert not re.search(r"—\s*\d+\s*—", last)  # the 版记 page carries no page number



@pytest.fixture(scope="module")
def pdf_pages_of_sample(pdf_document, tmp_path_factory):
    from tests.pdf_boxes import pdf_pages

    pdf = tmp_path_factory.mktemp("pdf") / "s.pdf"
    pdf_document.write_pdf(str(pdf))
    return pdf_pages(pdf)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_page_numbers_7_mm_under_the_block_also_on_landscape_pages(pdf_pages_of_sample):
    from tests.pdf_boxes import number_placement

    numbered = [(p, p.page_number()) for p in pdf_pages_of_sample if p.page_number()]
    landscape = [(p, box) for p, box in numbered if p.width > p.height]
    assert len(numbered) >= 10 and landscape
    for page, _ in numbered:  # the 14 pt line's top 7 mm under the block, 空一字 at the side; landscape turned
        gap, side = number_placement(page)
        assert abs(gap - 7) < 1, f"第{page.number}页页码距版心 {gap:.1f} mm"
        assert abs(side) < 3, f"第{page.number}页页码未空一字（差 {side:.1f} pt）"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_body_has_the_spec_line_pitch_and_masthead_indents(pdf_pages_of_sample, sample):
    from tests.pdf_boxes import MM

    pitches = []
    for body in pdf_pages_of_sample[:3]:  # full lines of the body: they start at the block's left edge
        lines = sorted({round(w[1], 1) for w in body.words if abs(w[0] - 28 * MM) < 1 and w[3] - w[1] > 18})
        pitches += [b - a for a, b in zip(lines, lines[1:]) if b - a < 40]
    assert len(pitches) >= 5 and all(abs(p - 28.95) < 0.2 for p in pitches), pitches  # 22 lines on 225 mm
    page = pdf_pages_of_sample[0]
    office = next(w for w in page.words if w[4] == sample["issue"]["office"])
    date = next(w for w in page.words if w[4] == sample["issue"]["date"])
    assert abs(office[0] - (28 * MM + 16)) < 1.5 and abs(date[2] - (page.width - 26 * MM - 16)) < 1.5  # 空一字
    assert "签发人" not in page.text  # a 专报 prints its signer in the 版记, not the masthead


@pytest.mark.slow  # two more WeasyPrint renders (~10 s)
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_banji_alone_at_the_foot_of_an_even_page_with_the_signer(sample, tmp_path):
    from weasyprint import HTML

    from tests.pdf_boxes import MM, pdf_pages

    for extra in (0, 1):  # one page more or less before it: the 版记 still lands on an even page
        context = {**sample, "submissions": {**sample["submissions"],
                                             "missing": sample["submissions"]["missing"] * (1 + 30 * extra)}}
        pdf = tmp_path / f"s{extra}.pdf"
        HTML(string=render_html(context, png=b""), base_url=str(TEMPLATES_DIR)).write_pdf(str(pdf))
        pages = pdf_pages(pdf)
        last = pages[-1]
        assert last.number % 2 == 0 and last.page_number() is None
        assert last.text.startswith("签发人") and f"{sample['issue']['printed_date']}印发" in last.text
        office = last.find(sample["issue"]["office"])[0]
        assert 0 < (last.height - 35 * MM) - office[3] < 8  # the last line on the block's lower edge
        blank = [p for p in pages[:-1] if not p.words]
        assert all(p.number == last.number - 1 for p in blank)  # only the one blank page before it, unnumbered


def test_a_long_title_shrinks_to_stay_on_one_line_in_the_docx(sample):
    long_title = "东湖区“强攻二季度、确保双过半”工作专报"  # 20 characters: 28 pt would take two lines
    sizes = {}
    for title in (sample["title"], long_title):
        out = io.BytesIO()
        render_docx({**sample, "title": title}, out)
        body = xml(out.getvalue(), "word/document.xml")
        run = next(r for r in body.iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")) == title)
        sizes[title] = int(run.find(f"{W}rPr/{W}sz").get(f"{W}val")) / 2
    assert sizes[sample["title"]] == 28 and sizes[long_title] * len(long_title) <= 28 * 15  # fits 156 mm


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_a_long_office_stays_on_one_line_beside_the_date(sample, tmp_path):
    """海州's 21-character office beside a full date: the line shrinks rather than wrapping its last character."""
    from weasyprint import HTML

    from tests.pdf_boxes import pdf_pages

    office = "海州区“2019项目年”活动领导小组办公室"
    context = {**sample, "issue": {**sample["issue"], "office": office}}
    document = HTML(string=render_html(context, png=b""), base_url=str(TEMPLATES_DIR)).render()
    pdf = tmp_path / "p1.pdf"
    document.copy([document.pages[0]]).write_pdf(str(pdf))
    page = pdf_pages(pdf)[0]
    date = next(w for w in page.words if w[4] == sample["issue"]["date"])
    line = "".join(w[4] for w in sorted(page.words, key=lambda w: w[0]) if abs(w[1] - date[1]) < 3)
    assert office in line, line


def test_a_long_office_shrinks_the_masthead_line_in_the_docx(sample):
    """The office and the date share one size: 16 pt for an office of up to 18 characters (大通湖's 17), smaller for
    海州's 21 so it fits its 105 mm cell 空一字 in (LibreOffice's render: tests/test_report_libreoffice.py)."""
    long_office = "海州区“2019项目年”活动领导小组办公室"
    sizes = {}
    for office in (sample["issue"]["office"], long_office):
        out = io.BytesIO()
        render_docx({**sample, "issue": {**sample["issue"], "office": office, "draft": False}}, out)
        body = xml(out.getvalue(), "word/document.xml")
        masthead = next(body.iter(f"{W}tbl"))  # the office-and-date line, over the red rule
        runs = [r for r in masthead.iter(f"{W}r")
                if "".join(t.text or "" for t in r.iter(f"{W}t")) in (office, sample["issue"]["date"])]
        sizes[office] = {int(r.find(f"{W}rPr/{W}sz").get(f"{W}val")) / 2 for r in runs}
    assert sizes[sample["issue"]["office"]] == {16}
    (size,) = sizes[long_office]
    assert size < 16 and len(long_office) * (size - 0.6) <= 105 / 25.4 * 72 - 16  # -0.6 pt: 版头's char spacing


def test_the_summary_is_a_red_framed_box_the_width_of_the_block(rendered_docx, sample):
    """本期要点 (with a 修订版's pointer first) inside one framed cell, as the PDF's box; LibreOffice's render:
    tests/test_report_libreoffice.py."""
    body = xml(rendered_docx, "word/document.xml")
    box = next(t for t in body.iter(f"{W}tbl") if "本期要点" in "".join(t.itertext()))
    texts = ["".join(p.itertext()) for p in box.iter(f"{W}p")]
    assert texts[0].startswith(f"本期为{sample['issue']['label']}的修订版") and texts[1] == "本期要点"
    assert texts[2:] == [f"{line['label']}：{line['text']}" for line in sample["overview"]["summary"]]
    edges = {e.tag[len(W):]: e for e in box.find(f"{W}tblPr/{W}tblBorders")}
    assert all(edges[side].get(f"{W}val") == "single" and edges[side].get(f"{W}color") == "C00000"
               for side in ("top", "left", "bottom", "right"))
    assert int(box.find(f"{W}tblPr/{W}tblW").get(f"{W}w")) == round(156 / 25.4 * 1440)

"""The editors' Word file as LibreOffice lays it out (headless), read back with poppler (words and their boxes):
with the project's fontconfig (fonts/gb-faces.conf maps the GB faces to free ones) and without it — only the
system's fonts, as an office's LibreOffice opens the file. Numbers whole, the table header on every page of a
long table, the masthead's office and date on one line apart, page numbers 7 mm under the block, the chart
clear of the table above it, the 版记 alone at the foot of an even page (blank page before when needed).
One conversion takes ~5–10 s on a small machine, hence `slow`."""
from __future__ import annotations

import copy
import io
import os
import re
import shutil
import subprocess

import pytest

from tests.pdf_boxes import MM, number_placement, pdf_pages, red_rules
from zhuanbao.tasks.report.catalogue import load_sample_context
from zhuanbao.tasks.report.docx_pdf import EXPORT, docx_to_pdf, soffice
from zhuanbao.tasks.report.render import render_docx

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None,
                                 reason="LibreOffice / poppler-utils not installed (scripts/setup.sh)")]
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d%")
TOP, LEFT, BOTTOM, RIGHT = 37 * MM, 28 * MM, 35 * MM, 26 * MM  # portrait margins


@pytest.fixture(scope="module", params=[True, False], ids=["project-fontconfig", "system-fonts-only"])
def converted(request, tmp_path_factory):
    """A sample whose 表1 is four times as long (so it must run onto a second page), as LibreOffice prints it."""
    context = copy.deepcopy(load_sample_context())
    rows = context["indicators"]["rows"] * 4  # renamed "囧一", "囧丁"…: two characters (no wrap), only in 表1
    context["indicators"]["rows"] = [{**row, "name": "囧" + chr(0x4E00 + i)} for i, row in enumerate(rows)]
    folder = tmp_path_factory.mktemp("lo")
    out = io.BytesIO()
    render_docx(context, out)
    (folder / "专报.docx").write_bytes(out.getvalue())
    pdf = docx_to_pdf(folder / "专报.docx", fontconfig=request.param)
    return context, pdf, pdf_pages(pdf, images=True)


@pytest.fixture(scope="module")
def pages(converted) -> tuple[dict, list[str]]:
    context, pdf, _ = converted
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


def test_banji_is_alone_at_the_foot_of_an_even_page_without_a_number(converted):
    context, _, pages = converted
    last = pages[-1]
    assert last.number % 2 == 0, f"版记在第{last.number}页（奇数页）"
    issue = context["issue"]
    assert f"{issue['printed_date']}印发" in last.text and issue["office"] in last.text
    assert last.text.startswith(f"签发人：{issue['signer'].replace(' ', '')}".replace("　", "")[:4])  # signer first
    assert last.page_number() is None
    office = last.find(issue["office"][:4])[0]
    block_bottom = last.height - BOTTOM
    assert 0 < block_bottom - office[3] < 8, f"版记末行距版心下边缘 {block_bottom - office[3]:.1f} pt"
    assert all(w[1] > last.height / 2 for w in last.words), "版记页上还有别的内容"
    before = pages[-2]
    if before.width < before.height and not before.words:  # the blank page LibreOffice inserts: no number either
        assert before.page_number() is None


def test_masthead_office_and_date_on_one_line_one_character_in(converted):
    context, _, pages = converted
    first = pages[0]
    office = next(w for w in first.words if w[4].startswith(context["issue"]["office"][:6])
                  and w[4] != context["title"])
    date = [w for w in first.words if abs(w[1] - office[1]) < 2 and w[0] > office[2]]
    assert office[4] == context["issue"]["office"], "办公室名称被折行"
    assert date and "".join(w[4] for w in date) == context["issue"]["date"], "日期不在办公室同一行或被折行"
    assert date[0][0] - office[2] >= 8, "办公室与日期连在一起"
    assert abs(office[0] - (LEFT + 16)) < 2 and abs(date[-1][2] - (first.width - RIGHT - 16)) < 2  # 空一字


def test_the_summary_is_framed_in_red_the_width_of_the_block(converted):
    """Page 1's 本期要点 in a red frame as in the PDF (LibreOffice drew none before): a rule over the label, one
    under the last summary line, and the sides on the block's edges."""
    context, pdf, pages = converted
    first = pages[0]
    label = next(w for w in first.words if w[4].startswith("本期要点"))
    title = next(w for w in first.words if w[3] < label[1] and w[4].endswith("推进情况"))
    opening = min((w for w in first.words if w[1] > title[3]), key=lambda w: w[1])  # the pointer or the label
    tail = next((w for w in first.words if w[4].endswith(context["overview"]["summary"][-1]["text"][-4:])), None)
    assert tail, "本期要点未在第1页印完"
    rows, columns = red_rules(pdf, 1)
    top = [y for y in rows if title[3] < y < opening[1]]
    assert top and opening[1] - top[-1] < 14, f"本期要点上方没有红框：{rows}"
    below = [y for y in rows if y > tail[3]]
    assert below and below[0] - tail[3] < 14, f"本期要点末行下方没有红框：{rows}"
    assert [x for x in columns if abs(x - LEFT) < 2] and [x for x in columns if abs(x - (first.width - RIGHT)) < 2], \
        f"红框两侧不在版心边缘：{columns}"


def test_page_numbers_sit_7_mm_under_the_text_block_landscape_pages_turned(converted):
    _, _, pages = converted
    numbered = [p for p in pages if p.page_number()]
    assert len([p for p in numbered if p.width < p.height]) >= 5 and [p for p in numbered if p.width > p.height]
    for page in numbered:  # the 14 pt line's top 7 mm under the block, 空一字 at the side; landscape turned
        gap, side = number_placement(page)
        assert abs(gap - 7) < 1, f"第{page.number}页页码距版心 {gap:.1f} mm"
        assert abs(side) < 3, f"第{page.number}页页码未空一字（差 {side:.1f} pt）"


def test_the_chart_covers_no_text_and_clears_the_table_above(converted):
    _, _, pages = converted
    charts = [(page, image) for page in pages for image in page.images if image[2] - image[0] > 100 * MM]
    assert charts, "no chart found"
    for page, (x0, y0, x1, y1) in charts:
        covered = [w[4] for w in page.words if w[0] < x1 and w[2] > x0 and w[1] < y1 - 1 and w[3] > y0 + 1]
        assert covered == [], f"第{page.number}页的图盖住了 {covered}"
        above = [w[3] for w in page.words if w[3] <= y0 + 1]
        assert not above or y0 - max(above) >= 4, f"第{page.number}页的图紧贴上方的表格（{y0 - max(above):.1f} pt）"


def _faces(pdf) -> set[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+")[-1].split("-")[0] for line in out.splitlines()[2:] if line.strip()}


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_gb_faces_fall_back_to_distinct_free_faces_with_the_alias_file_installed(converted, tmp_path):
    """仿宋 → Noto Serif CJK, 黑体 → Noto Sans CJK, 楷体 → AR PL UKai: through the project's fontconfig, and on an
    office PC whose LibreOffice sees only the system's fonts once fonts/gb-faces.conf is copied into the user's
    fontconfig folder as fonts/README.md says (without it every face is one sans: LibreOffice ignores the
    docx's font-table fallbacks)."""
    from importlib import resources

    _, pdf, _ = converted
    if "NotoSerifCJKjp" not in _faces(pdf):  # the system-fonts-only conversion: install the alias file as told
        home = tmp_path / "home"
        conf_d = home / ".config" / "fontconfig" / "conf.d"
        conf_d.mkdir(parents=True)
        (conf_d / "99-zhuanbao-gb-faces.conf").write_bytes(
            (resources.files("zhuanbao.fonts") / "gb-faces.conf").read_bytes())
        env = {**{k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}, "HOME": str(home)}
        subprocess.run([soffice(), f"-env:UserInstallation=file://{home}/profile", "--headless", "--convert-to", EXPORT,
                        "--outdir", str(tmp_path), str(pdf.with_suffix(".docx"))], env=env, check=True, timeout=180,
                       capture_output=True)
        pdf = tmp_path / pdf.with_suffix(".pdf").name
    assert {"NotoSerifCJKjp", "NotoSansCJKjp", "UKaiCN"} <= _faces(pdf)


def test_a_long_office_shrinks_to_stay_on_one_line_beside_the_date(tmp_path):
    """海州's 21-character office beside a full date, as a plain `soffice` prints it: the masthead's line shrinks
    (as in the PDF) rather than wrapping the office's last character 「室」 under the date."""
    office = "海州区“2019项目年”活动领导小组办公室"
    context = copy.deepcopy(load_sample_context())
    context["issue"].update(office=office, draft=False)
    out = io.BytesIO()
    render_docx(context, out)
    (tmp_path / "专报.docx").write_bytes(out.getvalue())
    first = pdf_pages(docx_to_pdf(tmp_path / "专报.docx", fontconfig=False))[0]
    start = next(w for w in first.words if w[4].startswith(office[:3]))
    line = sorted(w for w in first.words if abs(w[1] - start[1]) < 3)
    text = "".join(w[4] for w in line)
    assert text == office + context["issue"]["date"], f"办公室与日期不在同一行：{text}"
    assert abs(line[0][0] - (LEFT + 16)) < 2 and abs(line[-1][2] - (first.width - RIGHT - 16)) < 2  # 空一字 each side

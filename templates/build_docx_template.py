"""Build templates/zhuanbao.docx once with python-docx (then editors own the file in Word/WPS).

Run `python templates/build_docx_template.py` only to start over: it overwrites the editors' file.
Every heading, caption, table header and fixed sentence is a macro of templates/wording.j2 (the
text the HTML/PDF template uses too), so this file holds layout, not wording.

Layout after GB/T 9704-2012, written so Word, WPS and LibreOffice agree:
- A4, margins 37/26/35/28 mm, a document grid of 28 characters × 22 lines (line pitch 28.95 pt);
  body 三号 仿宋_GB2312, 黑体 一、 headings, 楷体 （一） headings. Every style names its fonts
  explicitly (no theme font or colour attributes, which Word would prefer over the names), and the
  font table lists the GB faces with their fallbacks (仿宋_GB2312 → 仿宋/FangSong, …), so WPS and
  LibreOffice do not fall back to one face for everything.
- Tables: column widths from the sample context's content (numbers get the width to stay on one
  line, text columns share the rest), number cells `w:noWrap` and right-aligned, the header row
  repeated on every page (`w:tblHeader`), no row split across pages (`w:cantSplit`).
- Page numbers “— 1 —” in 4号 宋体, their line 7 mm under the text block: odd pages right, even pages left,
  one character in; on the landscape 附表 pages turned to the same place (tasks/report/docx_turned.py).
- Masthead: the office at the left and the date at the right (空一字 each) as a borderless two-cell line over
  the red rule — a right tab ran them together in LibreOffice; no 签发人 there (a 专报 is not 上行文). An office
  of more than 18 characters shrinks the line (as a long title does) rather than wrap.
- 本期要点 on page 1 in a red frame (a one-cell table: LibreOffice ignores paragraph borders split by docxtpl's
  loops), 4号 on 24 pt lines as the PDF's box.
- 附表 in a landscape section; the 版记 (签发人 when signed, 印发机关, 印发日期) in a last portrait section
  starting on an even page (Word and LibreOffice insert a blank page when needed), at the foot of the
  block between bold rules (thin between its lines), without a page number. LibreOffice ignores the
  section's bottom alignment, so an exact-height empty line above it fills the block.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from zhuanbao.tasks.report import docx_layout, docx_tables, docx_turned
from zhuanbao.tasks.report.fonts import WORD_FONTS
from zhuanbao.templates.docx_blocks import (
    HERE,
    RED,
    heading,
    leader_summary,
    loop_table,
    more_line,
    new_page_section,
    page_setup,
    para,
    revision_notes,
    styles,
)

OUT = HERE / "zhuanbao.docx"
# the date's cell holds "2020年12月31日" 空一字 in with LibreOffice's fallback digits (DejaVu); the office has the rest
MASTHEAD_WIDTHS_MM = [105.0, 51.0]
BANJI_ROW_PT = 28.0  # one line of the 版记 (4号 仿宋)
BANJI_SLACK_PT = 4.0  # under the page's height, so rounding never pushes the 版记 onto a page of its own


def fit_to_line(run) -> None:
    """A long title (plan.toml [report] title) shrinks to stay on the 156 mm line, as in the HTML: 28 pt holds 15
    characters; the size (half-points) is a Jinja expression docxtpl fills in."""
    run._r.rPr.find(qn("w:sz")).set(qn("w:val"), "{{ [56, 840 // title|length]|min }}")


def fit_office(table) -> None:
    """A long office (plan.toml [report] issuer) shrinks the masthead's office-and-date line to stay on one line, as in
    the HTML: at 16 pt the office's cell holds 18 characters 空一字 in; a longer office sets both cells'
    size (half-points) to 576 // its length (21 characters: 13.5 pt); a Jinja expression docxtpl fills in."""
    for cell in table.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.font.size = Pt(16)
            run._r.rPr.find(qn("w:sz")).set(qn("w:val"), "{{ 32 if issue.office|length <= 18 else 576 // issue.office|length }}")


def masthead(doc) -> None:
    para(doc, '{%p import "wording.j2" as w with context %}')
    para(doc, "{%p if issue.draft %}")
    para(doc, "{{ w.draft_mark() }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, name=WORD_FONTS["heading"], size=16)
    para(doc, "{%p endif %}")
    title = para(doc, "{{ title }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, name=WORD_FONTS["title"],
                 size=28, color=RED)
    fit_to_line(title.runs[0])
    p = para(doc, "{{ issue.label }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    rev = p.add_run("{{ issue.revision_label }}")
    rev.font.color.rgb = RED
    # the office at the left and the date at the right, 空一字 each, over the red rule the width of the block
    fit_office(docx_tables.ruled_lines(doc, [("{{ issue.office }}", "{% if not issue.draft %}{{ issue.date }}{% endif %}")],
                                       "版头", indent_pt=16, bottom=(12, "C00000"), widths_mm=MASTHEAD_WIDTHS_MM))
    para(doc, "{{ w.doc_title() }}", "专报标题")
    leader_summary(doc)


def body(doc) -> None:
    """The document's sections in reading order, each from its wording.j2 macro.

    Long because: it lists the sections one after another as the reader meets them; split, the order would be
    read across functions."""
    heading(doc, "h_overview", 1)
    para(doc, "{%p for m in overview.milestones %}")
    heading(doc, "h_milestone", 2, "m", fallback="w.h_double_half()")
    para(doc, "{{ m.text }}")
    para(doc, "{%p endfor %}")
    for macro, text in (("h_lagging", "overview.lagging_units"), ("h_reporting", "overview.headline")):
        heading(doc, macro, 2)
        para(doc, "{{ " + text + " }}")

    para(doc, "{%p if present.indicators %}")
    heading(doc, "h_indicators", 1)
    para(doc, "{{ indicators.sentence }}")
    loop_table(doc, "th_indicators", ["{{ row.name }}", "{{ row.measure }}", "{{ row.unit }}", "{{ row.target }}",
                                      "{{ row.cumulative }}", "lag:row.rate", "{{ row.time_progress }}", "lag:row.status"],
               ["for row in indicators.rows"], "cap_indicators", "indicators.rows",
               [False, False, False, True, True, True, True, False])
    more_line(doc, "indicators.more")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.chart %}")
    image = para(doc, "{{ chart_image }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    image.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact line would clip the chart
    image.paragraph_format.space_before = Pt(8)  # clear of the table above (LibreOffice draws it on the last rule)
    para(doc, "{{ chart.caption }}", "表格文字", indent=False, size=12)
    more_line(doc, "chart.more")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.projects %}")
    heading(doc, "h_projects", 1)
    para(doc, "{{ projects.sentence }}")
    para(doc, "{%p for batch in projects.batches %}")
    heading(doc, "h_batch", 2, "loop.index, batch")
    para(doc, "{{ batch.sentence }}（{{ batch.rule }}）")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.tasks %}")
    heading(doc, "h_tasks", 1)
    para(doc, "{{ tasks.sentence }}")
    loop_table(doc, "th_tasks", ["{{ row.name }}", "{{ row.lead_cell }}", "{{ row.lead_progress }}",
                                 "{{ row.mean_progress }}", "{{ row.units }}", "lag:row.behind_lagging+row.behind_unreported"],
               ["for group in tasks.groups", "for row in group.rows"], "cap_tasks", "tasks.groups[].rows",
               [False, False, True, True, True, False], group_row="{%tr if group.heading %}", group_text="{{ group.heading }}")
    more_line(doc, "tasks.more")
    para(doc, "{%p if present.by_leader %}")
    heading(doc, "h_by_leader", 2, fallback="'按牵头区领导列示'")
    para(doc, "{%p for row in tasks.by_leader %}")
    para(doc, "{{ row.text }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.rankings %}")
    heading(doc, "h_rankings", 1)
    para(doc, "{{ rankings.weights_text }}")
    para(doc, "{%p for kind in rankings.kinds %}")
    heading(doc, "h_kind", 2, "loop.index, kind")
    para(doc, "{{ kind.sentence }}")
    para(doc, "{%p if kind.ranked %}")
    loop_table(doc, "th_rankings", ["{{ row.rank }}", "{{ row.unit }}", "{{ row.score }}", "{{ row.on_track }}",
                                    "{{ row.share }}", "{{ row.on_time }}", "{{ row.status }}"],
               ["for row in kind.rows"], None, "rankings.kinds[].rows", [True, False, True, True, True, False, False])
    para(doc, "{%p endif %}")
    more_line(doc, "kind.more")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")

    heading(doc, "h_problems", 1)
    heading(doc, "h_problem_list", 2)
    para(doc, "{{ problems.sentence }}")
    para(doc, "{%p if problems.rows %}")
    loop_table(doc, "th_problems", ["{{ row.no }}", "{{ row.unit }}", "{{ row.item }}", "{{ row.problem }}",
                                    "{{ row.coordination }}"], ["for row in problems.rows"], "cap_problems",
               "problems.rows", [True, False, False, False, False])
    more_line(doc, "problems.more")
    para(doc, "{%p endif %}")
    heading(doc, "h_flags", 2)
    para(doc, "{{ flags.sentence }}")
    para(doc, "{%p if flags.rows %}")
    loop_table(doc, "th_flags", ["{{ row.no }}", "{{ row.unit }}", "{{ row.item }}", "{{ row.rule }}",
                                 "{{ row.explain }}"], ["for row in flags.rows"], "cap_flags", "flags.rows",
               [True, False, False, False, False])
    more_line(doc, "flags.more")
    para(doc, "{%p endif %}")

    heading(doc, "h_submissions", 1)
    para(doc, "{{ submissions.sentence }}{{ w.deadline_sentence() }}")
    for loop, macro in (("submissions.late", "late_line"), ("submissions.missing", "missing_line"),
                        ("submissions.rejected", "rejected_line")):
        para(doc, "{%p for row in " + loop + " %}")
        para(doc, "{{ w." + macro + "(row) }}")
        para(doc, "{%p endfor %}")
        more_line(doc, loop + "_more")
    revision_notes(doc)


def appendix(doc) -> None:
    docx_turned.turned_page_numbers(new_page_section(doc, landscape=True))
    total = docx_layout.BLOCK_MM["landscape"]
    para(doc, "{%p if present.appendix_indicators %}")
    heading(doc, "h_appendix1", 1)
    loop_table(doc, "th_appendix1", ["{{ row.unit_name }}", "{{ row.name }}（{{ row.measure }}）", "{{ row.target }}",
                                     "{{ row.cumulative }}", "lag:row.rate", "lag:row.status"],
               ["for row in indicators.by_unit"], None, "indicators.by_unit",
               [False, False, True, True, True, False], total)
    more_line(doc, "indicators.by_unit_more")
    para(doc, "{%p endif %}")
    para(doc, "{%p if present.appendix_projects %}")
    heading(doc, "h_appendix2", 1)
    loop_table(doc, "th_appendix2", ["{{ batch.name }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.annual_plan }}",
                                     "{{ row.cumulative }}", "{{ row.completion }}", "{{ row.status }}",
                                     "{{ row.progress }}", "lag:row.judgement"],
               ["for batch in projects.batches", "for row in batch.rows"], None, "projects.batches[].rows",
               [False, False, False, True, True, True, False, False, False], total)
    more_line(doc, "projects.more")
    para(doc, "{%p endif %}")
    para(doc, "{%p if present.appendix_submissions %}")
    heading(doc, "h_appendix3", 1)
    loop_table(doc, "th_appendix3", ["{{ row.unit }}", "{{ row.status }}", "{{ row.received_at }}", "{{ row.on_time }}",
                                     "{{ row.note }}"], ["for row in submissions.rows"], None, "submissions.rows",
               [False, False, True, False, False], total)
    more_line(doc, "submissions.rows_more")
    para(doc, "{%p endif %}")


def banji_spacer(doc, lines: int) -> None:
    """An empty line as high as the text block less a 版记 of `lines` rows: the 版记 then sits at the block's foot
    in every program (LibreOffice ignores a section's bottom alignment)."""
    block_pt = (297 - 37 - 35) / 25.4 * 72
    spacer = para(doc, "", indent=False)
    pf = spacer.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(round(block_pt - lines * BANJI_ROW_PT - 1 - BANJI_SLACK_PT, 1))


def banji(doc) -> None:
    """The 版记 alone on an even page (Word and LibreOffice put a blank page before it when needed), at the foot of
    the block between bold rules (thin between its lines), without a page number: the 签发人 (when signed), then
    印发机关 at the left and 印发日期 at the right."""
    last = new_page_section(doc, start=WD_SECTION.EVEN_PAGE)
    docx_layout.no_line_grid(last)  # LibreOffice would start the page half a grid line down
    docx_layout.no_page_numbers(last)
    docx_layout.bottom_aligned(last)
    para(doc, "{%p if issue.signer %}")
    banji_spacer(doc, 2)
    para(doc, "{%p else %}")
    banji_spacer(doc, 1)
    para(doc, "{%p endif %}")
    docx_tables.ruled_lines(doc, [("{%tr if issue.signer %}", ""), ("{{ w.signer_line() }}", ""), ("{%tr endif %}", ""),
                                  ("{{ w.banji_office() }}", "{{ w.banji_date() }}")], "版记", indent_pt=14,
                            row_pt=BANJI_ROW_PT, top=(docx_tables.RULE_BOLD, "000000"),
                            bottom=(docx_tables.RULE_BOLD, "000000"), between=(docx_tables.RULE_THIN, "000000"))
    end = para(doc, "", indent=False)  # a document ends with a paragraph; 1 pt, so the 版记 stays at the bottom
    end.paragraph_format.line_spacing_rule, end.paragraph_format.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(1)


def build(out: Path = OUT) -> Path:
    doc = Document()
    styles(doc)
    docx_layout.font_table(doc)
    sec = doc.sections[0]
    page_setup(sec)
    sec.footer_distance = Mm(docx_layout.FOOTER_DISTANCE_MM)  # the number's line 7 mm under the text block
    docx_layout.page_numbers(doc, sec)
    masthead(doc)
    body(doc)
    appendix(doc)
    banji(doc)
    doc.core_properties.title, doc.core_properties.author = "专报模板", "zhuanbao"
    doc.save(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))

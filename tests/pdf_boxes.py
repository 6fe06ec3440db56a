"""Words and images of a PDF with their boxes (poppler's pdftotext -bbox / pdftohtml -xml), in points from the
page's top left — for the layout tests of the PDF and of the docx as LibreOffice prints it."""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

MM = 72 / 25.4


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    images: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(w[4] for w in self.words)

    def find(self, text: str) -> list[tuple[float, float, float, float, str]]:
        return [w for w in self.words if text in w[4]]

    def page_number(self) -> tuple[float, float, float, float] | None:
        """The box of "— N —" (three words: dash, digits, dash; upright or turned), or None."""
        for i, word in enumerate(self.words[:-2]):
            if word[4] == "—" and self.words[i + 1][4].isdigit() and self.words[i + 2][4] == "—":
                group = self.words[i:i + 3]
                return (min(w[0] for w in group), min(w[1] for w in group), max(w[2] for w in group),
                        max(w[3] for w in group))
        return None


def pdf_pages(pdf: Path, images: bool = False) -> list[Page]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for n, (width, height, body) in enumerate(
            re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S), start=1):
        words = [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', body)]
        pages.append(Page(n, float(width), float(height), words))
    if images:  # pdftohtml -xml (which also writes the images beside the PDF): pixels at 1.5 × points
        xml = subprocess.run(["pdftohtml", "-xml", "-stdout", "-q", str(pdf)], capture_output=True, text=True,
                             check=True).stdout
        for number, body in re.findall(r'<page number="(\d+)"[^>]*>(.*?)</page>', xml, re.S):
            for top, left, w, h in re.findall(r'<image top="(\d+)" left="(\d+)" width="(\d+)" height="(\d+)"', body):
                box = [int(left), int(top), int(left) + int(w), int(top) + int(h)]
                pages[int(number) - 1].images.append(tuple(v / 1.5 for v in box))
    return pages


def number_placement(page: Page) -> tuple[float, float]:
    """Where "— N —" sits, read as on a portrait page (a landscape page turned so its left edge is the foot):
    (mm from the text block's lower edge to the top of the number's 14 pt line, pt off its 空一字 place at the
    right of odd pages and the left of even pages). Margins 37/26/35/28 mm; landscape 28/37/26/35."""
    box = page.page_number()
    if page.width < page.height:
        gap = ((box[1] + box[3]) / 2 - 7 - (page.height - 35 * MM)) / MM
        side = page.width - 26 * MM - 14 - box[2] if page.number % 2 else box[0] - (28 * MM + 14)
    else:
        gap = (35 * MM - ((box[0] + box[2]) / 2 + 7)) / MM
        side = page.height - 26 * MM - 14 - box[3] if page.number % 2 else box[1] - (28 * MM + 14)
    return gap, side


def red_rules(pdf: Path, page: int, dpi: int = 144) -> tuple[list[float], list[float]]:
    """The red rules drawn on a page (poppler's pdftoppm): the y of each pixel row that is red across more than
    half the page's width, and the x of each pixel column red down more than 40 pt, in points."""
    ppm = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)], capture_output=True,
                         check=True).stdout
    _, size, _, pixels = ppm.split(b"\n", 3)
    width, height = map(int, size.split())

    def red(x: int, y: int) -> bool:
        r, g, b = pixels[(y * width + x) * 3:(y * width + x) * 3 + 3]
        return r > 150 and r - g > 60 and r - b > 60

    scale = 72 / dpi
    rows = [y * scale for y in range(height) if sum(red(x, y) for x in range(0, width, 2)) * 2 > width / 2]
    columns = [x * scale for x in range(width) if sum(red(x, y) for y in range(0, height, 2)) * 2 * scale > 40]
    return rows, columns

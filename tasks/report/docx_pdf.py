"""The editors' Word file as LibreOffice renders it: docx → PDF with `soffice --headless`.

Used by the layout tests (tests/test_report_libreoffice.py) and by anyone who wants to see the
docx without Word. The GB faces the docx names (仿宋_GB2312, 黑体, 楷体_GB2312, 方正小标宋简体)
are mapped to the installed free faces by fonts/gb-faces.conf (after the system's configuration), passed
to LibreOffice through FONTCONFIG_FILE in its own environment (`fontconfig=False`: only the system's fonts and aliases, as
an office's LibreOffice sees the file); a private profile directory lets conversions run side by side.

The blank page LibreOffice inserts before the 版记 (the docx starts it on an even page) is kept:
`soffice --convert-to pdf` alone drops such automatically inserted blank pages from the PDF (as
does the export dialog with "导出自动插入的空白页" unticked), so the 版记 would print on an odd page.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape


class LibreOfficeMissing(RuntimeError):
    """soffice is not installed (scripts/setup.sh installs libreoffice-writer-nogui)."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


FONTS_CONF = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
              '<include ignore_missing="yes">/etc/fonts/fonts.conf</include><include>{aliases}</include></fontconfig>\n')
EXPORT = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'


def docx_to_pdf(docx: Path, out_dir: Path | None = None, timeout: float = 120, *, fontconfig: bool = True) -> Path:
    """Convert `docx` to `<out_dir>/<stem>.pdf` (default: beside it) and return the PDF's path."""
    binary = soffice()
    if binary is None:
        raise LibreOfficeMissing("未安装 LibreOffice（运行 scripts/setup.sh 安装 libreoffice-writer-nogui）")
    docx = Path(docx).resolve()
    out_dir = Path(out_dir or docx.parent).resolve()
    faces = resources.files("zhuanbao.fonts") / "gb-faces.conf"
    with tempfile.TemporaryDirectory(prefix="zb-lo-") as profile, resources.as_file(faces) as aliases:
        env = {**{k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}, "HOME": profile}
        if fontconfig:
            conf = Path(profile) / "fonts.conf"
            conf.write_text(FONTS_CONF.format(aliases=escape(str(aliases))), encoding="utf-8")
            env["FONTCONFIG_FILE"] = str(conf)
        subprocess.run([binary, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", EXPORT,
                        "--outdir", str(out_dir), str(docx)], env=env, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pdf = out_dir / f"{docx.stem}.pdf"
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice 未能转换 {docx.name}")
    return pdf

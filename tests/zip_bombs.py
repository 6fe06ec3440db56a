"""A workbook made a zip bomb: its parts rewritten with a part of blanks that inflates to `padding` bytes
(tests of the limits checked before a reader opens a file)."""
from __future__ import annotations

import io
import zipfile


def padded(data: bytes, padding: int) -> bytes:
    """`data` (any zip format: .xlsx, .ods, .xlsb) with `padding.xml` of `padding` blanks added."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
        archive.writestr("padding.xml", b" " * padding)
    return buffer.getvalue()

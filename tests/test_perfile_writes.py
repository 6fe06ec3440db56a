"""The per-file writes (issue 28, per-file cost) write what they wrote before, with fewer system calls.

- `keep_file` streams an arrival into raw/ through its own exclusive part file (no tempfile module): the kept
  bytes are the file's, read-only, under their sha256; nothing is left in raw/.incoming, a second copy of the same
  bytes keeps one file, and threads keeping files at once never share a part file.
- Receipts are written with one open, one write and one rename per file, the template looked up once per batch:
  a batch writes byte for byte the files one `write_receipt` per receipt writes, with the mode `open()` gives,
  and no `.tmp` file is left behind.
"""
from __future__ import annotations

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from zhuanbao.tasks.checks.receipts import receipt_for, write_changed, write_receipt
from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.intake.raw import keep_file, raw_key


def test_kept_bytes_are_the_files_read_only_and_nothing_stays_staged(settings, tmp_path):
    files = []
    for number in range(12):
        path = tmp_path / f"T{number:02d}.xlsx"
        path.write_bytes(b"PK\x03\x04" + bytes([number % 5]) * (3000 + number % 5))  # five distinct contents
        files.append(path)
    with ThreadPoolExecutor(4) as pool:
        kept = list(pool.map(lambda p: keep_file(settings, p, ".XLSX"), files))
    for path, (sha, size) in zip(files, kept):
        data = path.read_bytes()
        assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
        target = settings.home / raw_key(sha, ".XLSX")
        assert target.read_bytes() == data and target.name.endswith(".xlsx")
        assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert len({sha for sha, _ in kept}) == 5
    assert len(list((settings.home / "raw").glob("*/*.xlsx"))) == 5
    assert os.listdir(catalog.raw_incoming(settings.home)) == []


def _receipts(count: int) -> list[dict]:
    hard = {"sheet": "表1 指标", "row": 5, "column": "本月值", "value": "<b>约500</b>", "rule_id": "H05",
            "severity": "hard", "message": "表1 指标 第5行「本月值」：不是数字", "code": "I03", "explained": None}
    return [receipt_for(number, [hard] if number % 2 else [], period="2020-04", unit_code="T01", unit_name="河坝镇",
                        file_name=f"T01_{number}/../报表.xlsx", sha256="ab" * 32,
                        received_at=datetime(2020, 5, 10, 2, tzinfo=UTC), on_time=number % 3 != 0,
                        outcome="rejected" if number % 2 else "accepted", office="某区统计办",
                        deadline=datetime(2020, 5, 15, 16, tzinfo=UTC), item_names={"I03": "地区生产总值"})
            for number in range(1, count + 1)]


def test_a_batch_of_receipts_writes_what_one_call_per_receipt_writes(tmp_path):
    receipts = _receipts(6)
    assert write_changed(tmp_path / "batch", receipts) == 6
    for receipt in receipts:
        write_receipt(tmp_path / "single", receipt)
    batch = {p.name: p for p in (tmp_path / "batch").iterdir() if not p.name.startswith(".")}
    single = {p.name: p for p in (tmp_path / "single").iterdir()}
    assert sorted(batch) == sorted(single) and len(batch) == 12
    assert all(batch[name].read_bytes() == single[name].read_bytes() for name in batch)
    assert "&lt;b&gt;约500&lt;/b&gt;" in next(p for n, p in batch.items() if n.startswith("1_") and n.endswith(".html")).read_text(encoding="utf-8")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert {stat.S_IMODE(p.stat().st_mode) for p in batch.values()} == {stat.S_IMODE(plain.stat().st_mode)}
    assert not list((tmp_path / "batch").glob(".*.tmp"))
    assert write_changed(tmp_path / "batch", receipts) == 0  # nothing new: nothing written

"""A busy month through the JSON API: 100 uploads into one period — first files, corrections, rejected
files, duplicates, another unit's workbook, junk, over-long names and two at once — answer no 5xx, and
`validate` and `run` of the period succeed after (issue 22: past 32 stored batches a period used to
stop working)."""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.access.accounts import add_account, issue_token
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.intake.registry import Submission, engine_for, session

PERIOD = "2020-04"
pytestmark = pytest.mark.slow


def _workbook(folder: Path, settings, unit: str, seed: int, *, spoil: bool = False) -> bytes:
    reference = reference_for(settings, PERIOD)
    rows = generate_month(reference, PERIOD, rng_seed=seed)[0][unit]
    rows = {form: [dict(r) for r in form_rows] for form, form_rows in rows.items()}
    if spoil and rows.get("indicators"):
        rows["indicators"][0]["cumulative"] = "约500"
    path = write_workbook(folder / f"{unit}-{seed}-{spoil}.xlsx", reference=reference, unit_code=unit,
                          period=PERIOD, **rows)
    return path.read_bytes()


def _plan(tmp_path: Path, settings, units: list[str]) -> list[list[tuple[str, str, bytes]]]:
    """Rounds of uploads (token owner, file name, bytes); the uploads of one round go at once."""
    folder = tmp_path / "books"
    folder.mkdir()
    rounds: list[list[tuple[str, str, bytes]]] = []
    for i, unit in enumerate(units):
        first = _workbook(folder, settings, unit, 1, spoil=i % 3 == 0)  # a third start with 约500 (rejected)
        rounds.append([(unit, f"{unit}_{PERIOD}_报表.xlsx", first)])
        rounds.append([(unit, f"{unit}_{PERIOD}_报表.xlsx", first)])  # the same bytes again: a duplicate
        corrected = _workbook(folder, settings, unit, 2)
        rounds.append([(unit, f"{unit}_{PERIOD}_更正.xlsx", corrected)])
        if i % 2 == 0:  # two identical uploads, new bytes, at the same moment
            again = _workbook(folder, settings, unit, 5)
            rounds.append([(unit, f"{unit}_同时.xlsx", again), (unit, f"{unit}_同时.xlsx", again)])
    rounds.append([("T04", "T05_误传.xlsx", _workbook(folder, settings, "T05", 3))])  # another unit's workbook
    rounds.append([("T05", "T05_本单位.xlsx", _workbook(folder, settings, "T05", 3))])  # its owner sends it
    rounds.append([("T01", "随机字节.xlsx", os.urandom(40_000))])
    rounds.append([("T02", "统" * 100 + ".xlsx", _workbook(folder, settings, "T02", 4))])  # 300 bytes of name
    seed = 10
    while sum(len(r) for r in rounds) < 100:  # more corrections, two units at a time
        a, b = units[seed % len(units)], units[(seed + 7) % len(units)]
        rounds.append([(a, f"{a}_再更正{seed}.xlsx", _workbook(folder, settings, a, seed)),
                       (b, f"{b}_再更正{seed}.xlsx", _workbook(folder, settings, b, seed))])
        seed += 1
    return rounds


def test_a_hundred_uploads_into_one_period_leave_it_working(home, tmp_path):
    settings = load_settings(home=home, portal_allowed_hosts=("testserver",))
    engine_for(settings.db_url)
    units = [u.unit_code for u in reference_for(settings, PERIOD).units.itertuples()]
    tokens = {}
    with session(settings.db_url) as db:
        for unit in units:
            add_account(settings, db, unit.lower(), name=f"{unit}填报员", role="unit", unit_code=unit)
            tokens[unit] = issue_token(settings, db, unit.lower())
    client = TestClient(create_app(settings, warm=False), raise_server_exceptions=False)

    def send(upload: tuple[str, str, bytes]):
        unit, name, data = upload
        return client.post(f"/api/v1/periods/{PERIOD}/submissions", files={"file": (name, data)},
                           headers={"Authorization": f"Bearer {tokens[unit]}"})

    answers = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for uploads in _plan(tmp_path, settings, units):
            answers += [(upload[:2], answer) for upload, answer in zip(uploads, pool.map(send, uploads))]
    assert len(answers) >= 100
    server_errors = [(who, a.status_code, a.text[:200]) for who, a in answers if a.status_code >= 500]
    assert server_errors == []
    assert all(a.headers["content-type"].startswith("application/json") for _, a in answers)

    with session(settings.db_url) as db:
        rows = list(db.scalars(select(Submission).where(Submission.period == PERIOD)))
    assert all(r.outcome != "received" for r in rows), "every upload was checked"
    same_moment = {}
    for r in rows:
        if r.file_name.endswith("_同时.xlsx") and r.outcome != "duplicate":
            same_moment[(r.account_unit, r.sha256)] = same_moment.get((r.account_unit, r.sha256), 0) + 1
    assert same_moment and set(same_moment.values()) == {1}, "two identical uploads at once are one version"
    owner = [r for r in rows if r.file_name == "T05_本单位.xlsx"]
    assert owner and owner[0].outcome in {"accepted", "superseded"}, "another unit's mistake never stands in for the owner's file"
    batches = list((home / "cache" / "checks" / f"period={PERIOD}").glob("*.parquet"))
    assert 0 < len(batches) <= 33, "the period's stored checks were merged past the threshold"

    env = {**os.environ, "ZHUANBAO_HOME": str(home)}
    for command in (["validate", "--period", PERIOD], ["run", "--period", PERIOD]):
        done = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", *command], check=False, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}: {done.stdout[-1500:]}{done.stderr[-1500:]}"
    assert list((home / "reports" / PERIOD).rglob("专报_*.pdf"))

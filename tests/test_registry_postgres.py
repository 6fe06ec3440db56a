"""The registry on a real PostgreSQL server: same schema, same answers as on SQLite.

A throwaway server is started for the session (initdb + pg_ctl from Debian's `postgresql`, in a
temporary folder, on a free loopback port, trust authentication) and always stopped at the end.
PostgreSQL refuses to run as root, so under root (CI) its commands run as the `postgres` user.
Without the binaries the tests skip on a developer's machine and fail in CI (`CI` is set there).
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, text

from zhuanbao.tasks import steps
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.collect import collect_inbox, copy_into_inbox, submit_file
from zhuanbao.tasks.intake.registry import Run, Submission, engine_for, session
from zhuanbao.tasks.intake.status import period_status

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE_UNITS = ("T01", "D05", "D02")


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A PostgreSQL cluster in a temporary folder, run as `postgres` when we are root."""

    def __init__(self, bindir: Path):
        self.bindir, self.port = bindir, _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="zhuanbao-pg-"))  # not under pytest's 0700 tmp: postgres must enter
        self.data, self.sockets, self.log = self.root / "data", self.root / "sock", self.root / "server.log"
        self.sockets.mkdir()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
        self.started = False

    def run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root,
                              check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}\n{log}")

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N")
        options = (f"-k {self.sockets} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.started = True  # from here on, stop() must run even if the start fails half-way
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")

    def stop(self) -> None:
        try:
            if self.started:
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


pytestmark = pytest.mark.slow  # a real PostgreSQL server (initdb + pg_ctl)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database `zhuanbao` on a throwaway server; the server is stopped whatever happens."""
    bindir = _postgres_bin()
    try:
        import psycopg
    except ImportError:
        psycopg = None
    message = None
    if bindir is None:
        message = ("PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
                   "install Debian's `postgresql` (scripts/setup.sh does)")
    elif psycopg is None:
        message = 'the psycopg driver is not installed: pip install -e ".[postgres]" (scripts/setup.sh does)'
    if message and os.environ.get("CI"):
        pytest.fail(message)
    if message:
        pytest.skip(message)

    server = Server(bindir)
    try:
        server.start()
        with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE zhuanbao ENCODING 'UTF8' TEMPLATE template0")
        yield server.url("zhuanbao")
    finally:
        from zhuanbao.tasks.intake.registry import _ENGINES

        engine = _ENGINES.pop(server.url("zhuanbao"), None)
        if engine is not None:
            engine.dispose()
        server.stop()


@pytest.fixture
def pg_settings(home, postgres_url):
    """Settings of a fresh home whose registry is the PostgreSQL database, emptied for each test."""
    engine = engine_for(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE submissions, runs, report_issues RESTART IDENTITY"))
    return load_settings(home=home, db_url=postgres_url)


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=SHANGHAI)


def test_the_schema_is_created_on_postgres(postgres_url):
    engine = engine_for(postgres_url)
    assert engine.dialect.name == "postgresql"
    tables = inspect(engine)
    assert {"submissions", "runs", "report_issues"} <= set(tables.get_table_names())
    columns = {c["name"]: c["type"] for c in tables.get_columns("submissions")}
    assert columns["size"].python_type is int and "BIGINT" in str(columns["size"]).upper()


def _month_status(settings, samples) -> dict:
    """collect → read → check for 2020-04 (three sample workbooks, D05 late, D02 says 约500), then the status."""
    for code in SAMPLE_UNITS:
        arrival = at("2020-05-12 10:00") if code != "D05" else at("2020-05-16 08:00")
        copy_into_inbox(samples / "2020-04-messy" / f"{code}_2020-04.xlsx", settings, "2020-04", arrival)
    with steps.recorded_run(settings, "2020-04", reason="PostgreSQL 对照") as record:
        ctx = record.context
        steps.collect(ctx)
        steps.check(ctx, steps.read(ctx))
    with session(settings.db_url) as db:
        return period_status(settings, db, "2020-04", ctx.reference)


def test_a_month_gives_the_same_status_on_postgres_as_on_sqlite(tmp_path, home, pg_settings, samples):
    on_postgres = _month_status(pg_settings, samples)
    sqlite_home = tmp_path / "sqlite_home"
    shutil.copytree(home / "reference", sqlite_home / "reference")
    on_sqlite = _month_status(load_settings(home=sqlite_home), samples)
    assert on_postgres == on_sqlite
    units = {u["unit_code"]: u for u in on_postgres["units"]}
    assert len(units) == 18 and len(on_postgres["files"]) == 3
    assert (units["T01"]["status"], units["T01"]["on_time"]) == ("accepted", True)
    assert (units["D05"]["status"], units["D05"]["on_time"]) == ("accepted", False)
    assert (units["D02"]["status"], units["D02"]["rules"]) == ("rejected", ["H05"])
    rejected = next(f for f in on_postgres["files"] if f["unit_code"] == "D02")
    assert rejected["messages"] and "不是数值" in " ".join(rejected["messages"])


def test_the_same_bytes_twice_are_a_duplicate_on_postgres(pg_settings, samples):
    path = samples / "2020-04-messy" / "D05_2020-04.xlsx"
    with session(pg_settings.db_url) as db:
        first = submit_file(pg_settings, db, path, "2020-04", at("2020-05-14 08:30"))
        second = submit_file(pg_settings, db, path, "2020-04", at("2020-05-14 09:00"))
        again = collect_inbox(pg_settings, db, "2020-04")  # an empty inbox adds nothing
    assert (first.outcome, second.outcome) == ("received", "duplicate")
    assert second.duplicate_of == first.id and again.registered == []
    with session(pg_settings.db_url) as db:
        stored = db.get(Submission, second.id)
        assert stored.received_at == datetime(2020, 5, 14, 1, 0)  # naive UTC
        assert stored.messages == ["与 D05_2020-04.xlsx 内容完全相同，按同一份报送处理"]


def test_json_columns_keep_chinese_text_on_postgres(pg_settings):
    counts = {"说明": "河坝镇 4 月报表“约500”", "files": 3, "units": ["河坝镇", "区住房城乡建设局"]}
    with session(pg_settings.db_url) as db:
        run = Run(period="2020-04", reason="补报后重新汇总（修订版）", started_at=datetime(2020, 5, 16, 1, 0),
                  status="completed", counts=counts)
        db.add(run)
        db.commit()
        run_id = run.id
    with session(pg_settings.db_url) as db:
        back = db.get(Run, run_id)
        assert back.counts == counts and back.reason == "补报后重新汇总（修订版）"
        stored = db.execute(text("SELECT counts::text FROM runs WHERE id = :id"), {"id": run_id}).scalar_one()
    assert "河坝镇" in stored  # stored readable, not \u-escaped


def test_identical_uploads_at_the_same_moment_are_one_row_on_postgres(pg_settings, samples):
    from tests.test_intake_identity import identical_uploads_at_once

    path = samples / "2020-04-messy" / "D05_2020-04.xlsx"
    rows = identical_uploads_at_once(pg_settings, path, "2020-04", "D05", rounds=3)
    firsts = [r for r in rows if r.outcome != "duplicate"]
    assert len(rows) == 9 and len(firsts) == 1
    assert {r.duplicate_of for r in rows if r.outcome == "duplicate"} == {firsts[0].id}
    indexes = {i["name"] for i in inspect(engine_for(pg_settings.db_url)).get_indexes("submissions")}
    assert "uq_submissions_first_arrival" in indexes


# --- the schema by Alembic on PostgreSQL -------------------------------------------------------------------

def _new_database(postgres_url: str, name: str) -> str:
    """Another empty database on the same throwaway server."""
    import psycopg

    port = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def test_openers_of_a_fresh_postgres_registry_at_once_all_reach_head(postgres_url):
    import sys

    from tests.test_registry_migrations import OPEN, differences
    from zhuanbao.tasks.intake import migrate

    url = _new_database(postgres_url, "openers")
    openers = [subprocess.Popen([sys.executable, "-c", OPEN, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    results = [opener.communicate(timeout=120) for opener in openers]
    assert [out.strip() for out, _err in results] == [migrate.HEAD] * 3, [err for _out, err in results]
    changes = [c for c in differences(url) if "uq_submissions_first_arrival" not in str(c)]  # declared in 0001 only
    assert changes == []


def test_a_postgres_registry_made_before_alembic_keeps_its_rows_and_gains_the_index(postgres_url):
    from sqlalchemy import create_engine

    from tests.test_registry_migrations import _all_models
    from zhuanbao.tasks.intake import migrate
    from zhuanbao.tasks.intake.registry import _ENGINES, Base

    url = _new_database(postgres_url, "landed")
    _all_models()
    old = create_engine(url)
    Base.metadata.create_all(old)  # the landed version: create_all, without the index or alembic_version
    with old.begin() as db:
        db.execute(text("ALTER TABLE portal_tokens DROP COLUMN expires_at, DROP COLUMN last_used_at"))
        db.execute(text("INSERT INTO runs (period, started_at, status, counts) "
                        "VALUES ('2020-04', '2020-05-16 01:00', 'completed', '{}')"))
    old.dispose()
    try:
        engine = engine_for(url)
        assert migrate.current_revision(engine) == migrate.HEAD
        tables = inspect(engine)
        assert {"expires_at", "last_used_at"} <= {c["name"] for c in tables.get_columns("portal_tokens")}
        assert "uq_submissions_first_arrival" in {i["name"] for i in tables.get_indexes("submissions")}
        with engine.connect() as db:
            assert db.execute(text("SELECT period, status FROM runs")).all() == [("2020-04", "completed")]
    finally:
        _ENGINES.pop(url).dispose()

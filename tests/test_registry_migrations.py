"""The registry's schema is made by Alembic: a fresh registry, homes made before Alembic, openers at once."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from zhuanbao.tasks.intake import migrate
from zhuanbao.tasks.intake.registry import _ENGINES, Base, engine_for

INDEX = "uq_submissions_first_arrival"
# A home made before the tokens expired and before the first-arrival index: no portal_audit or
# notice_recipients yet, submissions without account_unit/arrival_note, portal_tokens without expiry.
OLDER = [
    ("CREATE TABLE submissions (id INTEGER PRIMARY KEY, period VARCHAR(7), file_name VARCHAR(512), sha256 VARCHAR(64), "
    "size BIGINT, received_at DATETIME, source VARCHAR(16), raw_path VARCHAR(1024), unit_code VARCHAR(32), "
    "outcome VARCHAR(16), duplicate_of INTEGER, rules JSON, messages JSON, registered_at DATETIME)"),
    ("CREATE TABLE runs (id INTEGER PRIMARY KEY, period VARCHAR(7), reason TEXT, started_at DATETIME, "
    "finished_at DATETIME, status VARCHAR(16), counts JSON)"),
    ("CREATE TABLE portal_accounts (id INTEGER PRIMARY KEY, login VARCHAR(64) UNIQUE, name VARCHAR(128), "
    "role VARCHAR(16), unit_code VARCHAR(32), password_hash VARCHAR(255), must_change_password BOOLEAN, "
    "disabled BOOLEAN, session_epoch INTEGER, created_at DATETIME)"),
    ("CREATE TABLE portal_tokens (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES portal_accounts (id), "
     "token_sha256 VARCHAR(64) UNIQUE, "
    "created_at DATETIME, revoked BOOLEAN)"),
]
ROWS = [
    ("INSERT INTO submissions (id, period, file_name, sha256, size, received_at, source, raw_path, unit_code, outcome, "
    "duplicate_of, rules, messages, registered_at) VALUES (1, '2020-04', '河坝镇.xlsx', 'ab', 1, '2020-05-01 00:00:00', "
    "'inbox', 'raw/ab/ab.xlsx', 'T01', 'accepted', NULL, '[]', '[]', '2020-05-01 00:00:00')"),
    ("INSERT INTO runs (id, period, reason, started_at, finished_at, status, counts) "
    "VALUES (1, '2020-04', NULL, '2020-05-16 01:00:00', NULL, 'completed', '{}')"),
    ("INSERT INTO portal_accounts (id, login, name, role, unit_code, password_hash, must_change_password, disabled, "
    "session_epoch, created_at) VALUES (1, 't01', '张三', 'unit', 'T01', 'x', 0, 0, 0, '2020-05-01 00:00:00')"),
    ("INSERT INTO portal_tokens (id, account_id, token_sha256, created_at, revoked) "
    "VALUES (1, 1, 'cd', '2020-05-01 00:00:00', 0)"),
]


def landed(db_file: Path) -> None:
    """What the landed version (before Alembic) made of a fresh registry: create_all, then the index."""
    engine = create_engine(f"sqlite:///{db_file}")
    _all_models()
    Base.metadata.create_all(engine)
    with engine.begin() as db:
        db.execute(text(f"CREATE UNIQUE INDEX {INDEX} ON submissions (period, COALESCE(account_unit, ''), sha256) "
                        "WHERE outcome <> 'duplicate'"))
    engine.dispose()


def older(db_file: Path) -> None:
    with sqlite3.connect(db_file) as db:
        for statement in OLDER:
            db.execute(statement)


def _all_models() -> None:
    import zhuanbao.tasks.access.models
    import zhuanbao.tasks.notices.models
    import zhuanbao.tasks.report.approval_log  # noqa: F401


def differences(url: str) -> list:
    """What Alembic's autogenerate would still change: nothing when the migrations match the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    _all_models()
    with create_engine(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


@pytest.fixture
def opened():
    urls = []
    yield lambda url: urls.append(url) or engine_for(url)
    for url in urls:
        engine = _ENGINES.pop(url, None)
        if engine is not None:
            engine.dispose()


def test_head_names_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == migrate.HEAD


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_a_fresh_registry_is_the_models_schema_at_head(tmp_path, opened):
    url = f"sqlite:///{tmp_path / 'zhuanbao.sqlite'}"
    engine = opened(url)
    assert migrate.current_revision(engine) == migrate.HEAD
    assert differences(url) == []
    indexes = sqlite3.connect(tmp_path / "zhuanbao.sqlite").execute("PRAGMA index_list(submissions)").fetchall()
    assert INDEX in {row[1] for row in indexes}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("make", [landed, older], ids=["landed", "older"])
def test_a_registry_made_before_alembic_keeps_its_rows_and_reaches_head(tmp_path, opened, make):
    db_file = tmp_path / "zhuanbao.sqlite"
    make(db_file)
    with sqlite3.connect(db_file) as db:
        for statement in ROWS:
            db.execute(statement)
    url = f"sqlite:///{db_file}"
    engine = opened(url)
    assert migrate.current_revision(engine) == migrate.HEAD
    # no table, column or index missing (the older DDL above is loose about NOT NULL, which is left as found)
    assert [change for change in differences(url) if isinstance(change, tuple)] == []
    with engine.connect() as db:
        assert db.execute(text("SELECT file_name, account_unit FROM submissions")).all() == [("河坝镇.xlsx", None)]
        assert db.execute(text("SELECT status, kind FROM runs")).all() == [("completed", None)]
        assert db.execute(text("SELECT token_sha256, expires_at, last_used_at FROM portal_tokens")).all() == [
            ("cd", None, None)]
        assert db.execute(text("SELECT COUNT(*) FROM portal_audit")).scalar() == 0
    indexes = sqlite3.connect(db_file).execute("PRAGMA index_list(submissions)").fetchall()
    assert INDEX in {row[1] for row in indexes}


def test_an_old_registry_whose_rows_break_the_index_is_migrated_without_it(tmp_path, opened, caplog):
    db_file = tmp_path / "zhuanbao.sqlite"
    older(db_file)
    with sqlite3.connect(db_file) as db:
        db.execute(ROWS[0])
        db.execute(ROWS[0].replace("VALUES (1,", "VALUES (2,"))  # the race the index prevents
    engine = opened(f"sqlite:///{db_file}")
    assert migrate.current_revision(engine) == migrate.HEAD
    assert INDEX in caplog.text and "duplicate" in caplog.text


OPEN = """
import sys
from zhuanbao.tasks.intake.registry import engine_for
from zhuanbao.tasks.intake import migrate
print(migrate.current_revision(engine_for(sys.argv[1])))
"""


def test_openers_of_a_fresh_registry_at_the_same_moment_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'zhuanbao.sqlite'}"
    openers = [subprocess.Popen([sys.executable, "-c", OPEN, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    results = [opener.communicate(timeout=120) for opener in openers]
    assert [opener.returncode for opener in openers] == [0, 0, 0], [err for _out, err in results]
    assert [out.strip() for out, _err in results] == [migrate.HEAD] * 3


def test_a_registry_at_head_opens_without_loading_alembic(tmp_path, opened):
    url = f"sqlite:///{tmp_path / 'zhuanbao.sqlite'}"
    opened(url)
    probe = OPEN + "print('alembic' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [migrate.HEAD, "False"]

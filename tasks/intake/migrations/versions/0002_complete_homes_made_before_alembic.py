"""Complete a registry made before Alembic: the nullable columns and indexes earlier versions lacked.

Homes made by earlier versions differ in which of these they already have (the hand-written migrator of
those versions added them one by one), so each is added only when missing. On a registry 0001 created
this revision changes nothing.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import logging
import warnings

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LATER_COLUMNS = {
    "submissions": [("unit_code", sa.String(32)), ("duplicate_of", sa.Integer), ("account_unit", sa.String(32)),
                    ("arrival_note", sa.Text)],
    "runs": [("reason", sa.Text), ("finished_at", sa.DateTime), ("kind", sa.String(16)),
             ("flow_run_id", sa.String(64)), ("host", sa.String(255)), ("pid", sa.Integer)],
    "report_issues": [("reason", sa.Text), ("snapshot", sa.JSON)],
    "report_approvals": [("from_state", sa.String(8)), ("comment", sa.Text)],
    "notice_recipients": [("name", sa.String(128))],
    "portal_accounts": [("unit_code", sa.String(32))],
    "portal_tokens": [("expires_at", sa.DateTime), ("last_used_at", sa.DateTime)],
}
INDEXES = {  # (column, unique) indexed as in 0001: a registry some hand made without them gains them too
    "submissions": [("period", False), ("sha256", False), ("unit_code", False)], "runs": [("period", False)],
    "report_issues": [("year", False), ("period", False)],
    "report_approvals": [("issue_id", False), ("period", False)], "notice_recipients": [("role", False)],
    "portal_accounts": [("login", True)], "portal_tokens": [("account_id", False), ("token_sha256", True)],
    "portal_audit": [("at", False), ("login", False), ("action", False)],
}
INDEX = "uq_submissions_first_arrival"
INDEX_SQL = ("CREATE UNIQUE INDEX IF NOT EXISTS uq_submissions_first_arrival "
             "ON submissions (period, COALESCE(account_unit, ''), sha256) WHERE outcome <> 'duplicate'")
BROKEN = ("SELECT 1 FROM submissions WHERE outcome <> 'duplicate' "
          "GROUP BY period, COALESCE(account_unit, ''), sha256 HAVING COUNT(*) > 1")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, columns in LATER_COLUMNS.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        for name, kind in columns:
            if name not in present:
                op.add_column(table, sa.Column(name, kind, nullable=True))
    for table, indexed in INDEXES.items():
        with warnings.catch_warnings():  # SQLite: the first-arrival index is on an expression, not reflected
            warnings.filterwarnings("ignore", "Skipped unsupported reflection")
            present = {i["name"] for i in inspector.get_indexes(table)}
        for column, unique in indexed:
            if f"ix_{table}_{column}" not in present:
                op.create_index(f"ix_{table}_{column}", table, [column], unique=unique)
    if bind.execute(sa.text(BROKEN)).first() is None:
        op.execute(INDEX_SQL)  # IF NOT EXISTS: the landed version made it already
    else:  # three rows registered by the race this index prevents: the registry keeps working without it
        logging.getLogger("zhuanbao.registry").warning(
            "登记库中已有同一单位同一内容的多条首次报送记录，未能建立唯一索引 %s；请将多余记录的 outcome 改为 "
            "duplicate 后执行：%s", INDEX, INDEX_SQL)


def downgrade() -> None:
    """Nothing to undo: 0001's schema already holds every column and the index."""

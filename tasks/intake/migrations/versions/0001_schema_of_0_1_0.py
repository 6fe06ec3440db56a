"""The registry as 0.1.0 made it: every table, with the first-arrival index and the tokens' expiry columns.

A fresh registry gets all of it here. A registry made before Alembic (no alembic_version table) also starts
here: each table it already holds is kept as it is (compared with the inspector, not re-created), the
missing ones are created, and 0002 adds what its older tables lack.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# One first arrival per (period, identity, sha256): the same bytes from the same unit (or from the office,
# account_unit NULL) are registered once; concurrent uploads that lose the race become duplicates
# (collect.submit_file catches the IntegrityError). Partial and on an expression: SQLite ≥ 3.9 and PostgreSQL.
FIRST_ARRIVAL_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_submissions_first_arrival "
    "ON submissions (period, COALESCE(account_unit, ''), sha256) WHERE outcome <> 'duplicate'")


def _tables() -> list[tuple[str, list, list[tuple[str, bool]]]]:
    """(table, columns, [(indexed column, unique)]) as the models of 0.1.0 declare them.

    Long because: a migration lists every table and column of the schema it creates, in one place."""
    col, null = sa.Column, {"nullable": True}
    return [
        ("submissions", [
            col("id", sa.Integer, primary_key=True), col("period", sa.String(7), nullable=False),
            col("file_name", sa.String(512), nullable=False), col("sha256", sa.String(64), nullable=False),
            col("size", sa.BigInteger, nullable=False), col("received_at", sa.DateTime, nullable=False),
            col("source", sa.String(16), nullable=False), col("raw_path", sa.String(1024), nullable=False),
            col("unit_code", sa.String(32), **null), col("outcome", sa.String(16), nullable=False),
            col("duplicate_of", sa.Integer, **null), col("rules", sa.JSON, nullable=False),
            col("messages", sa.JSON, nullable=False), col("registered_at", sa.DateTime, nullable=False),
            col("account_unit", sa.String(32), **null), col("arrival_note", sa.Text, **null),
        ], [("period", False), ("sha256", False), ("unit_code", False)]),
        ("runs", [
            col("id", sa.Integer, primary_key=True), col("period", sa.String(7), nullable=False),
            col("reason", sa.Text, **null), col("started_at", sa.DateTime, nullable=False),
            col("finished_at", sa.DateTime, **null), col("status", sa.String(16), nullable=False),
            col("counts", sa.JSON, nullable=False), col("kind", sa.String(16), **null),
            col("flow_run_id", sa.String(64), **null), col("host", sa.String(255), **null),
            col("pid", sa.Integer, **null),
        ], [("period", False)]),
        ("report_issues", [
            col("id", sa.Integer, primary_key=True), col("year", sa.Integer, nullable=False),
            col("period", sa.String(7), nullable=False), col("issue_no", sa.Integer, nullable=False),
            col("revision", sa.Integer, nullable=False), col("inputs_digest", sa.String(64), nullable=False),
            col("reason", sa.Text, **null), col("changes", sa.JSON, nullable=False),
            col("created_at", sa.DateTime, nullable=False), col("folder", sa.String(1024), nullable=False),
            col("snapshot", sa.JSON, **null),
        ], [("year", False), ("period", False)]),
        ("report_approvals", [
            col("id", sa.Integer, primary_key=True), col("issue_id", sa.Integer, nullable=False),
            col("period", sa.String(7), nullable=False), col("issue_no", sa.Integer, nullable=False),
            col("revision", sa.Integer, nullable=False), col("action", sa.String(16), nullable=False),
            col("from_state", sa.String(8), **null), col("to_state", sa.String(8), nullable=False),
            col("by", sa.String(128), nullable=False), col("comment", sa.Text, **null),
            col("at", sa.DateTime, nullable=False),
        ], [("issue_id", False), ("period", False)]),
        ("notice_recipients", [
            col("id", sa.Integer, primary_key=True), col("role", sa.String(16), nullable=False),
            col("email", sa.String(320), nullable=False), col("name", sa.String(128), **null),
            col("added_at", sa.DateTime, nullable=False),
        ], [("role", False)]),
        ("portal_accounts", [
            col("id", sa.Integer, primary_key=True), col("login", sa.String(64), nullable=False),
            col("name", sa.String(128), nullable=False), col("role", sa.String(16), nullable=False),
            col("unit_code", sa.String(32), **null), col("password_hash", sa.String(255), nullable=False),
            col("must_change_password", sa.Boolean, nullable=False), col("disabled", sa.Boolean, nullable=False),
            col("session_epoch", sa.Integer, nullable=False), col("created_at", sa.DateTime, nullable=False),
        ], [("login", True)]),
        ("portal_tokens", [
            col("id", sa.Integer, primary_key=True),
            col("account_id", sa.Integer, sa.ForeignKey("portal_accounts.id"), nullable=False),
            col("token_sha256", sa.String(64), nullable=False), col("created_at", sa.DateTime, nullable=False),
            col("revoked", sa.Boolean, nullable=False), col("expires_at", sa.DateTime, **null),
            col("last_used_at", sa.DateTime, **null),
        ], [("account_id", False), ("token_sha256", True)]),
        ("portal_audit", [
            col("id", sa.Integer, primary_key=True), col("at", sa.DateTime, nullable=False),
            col("login", sa.String(64), nullable=False), col("action", sa.String(32), nullable=False),
            col("address", sa.String(64), nullable=False), col("detail", sa.JSON, nullable=False),
        ], [("at", False), ("login", False), ("action", False)]),
    ]


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns, indexes in _tables():
        if name in present:  # a registry made before Alembic: kept; 0002 completes it
            continue
        op.create_table(name, *columns)
        for column, unique in indexes:
            op.create_index(f"ix_{name}_{column}", name, [column], unique=unique)
    if "submissions" not in present:
        op.execute(FIRST_ARRIVAL_INDEX)


def downgrade() -> None:
    for name, _columns, _indexes in reversed(_tables()):
        op.drop_table(name)

"""Notices through Apprise: a recipient is an Apprise URL (and a unit's, its unit_code); deliveries are recorded.

`notice_recipients.email` becomes `url` (an address `a@b` is kept as `mailto:a@b`, sent through the SMTP
settings), with `unit_code` for the units' own recipients; `notice_deliveries` records each notice to each
recipient (sent, failed after its retries, or kept in the outbox) with a reason free of secrets.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Each change only where missing: a registry made by create_all of these models before Alembic has them."""
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("notice_recipients")}
    if "url" not in columns:
        _recipients_by_url(columns)
    if "notice_deliveries" not in inspector.get_table_names():
        _deliveries()


def _recipients_by_url(columns: set[str]) -> None:
    with op.batch_alter_table("notice_recipients") as batch:
        batch.add_column(sa.Column("url", sa.Text, nullable=True))
        if "unit_code" not in columns:
            batch.add_column(sa.Column("unit_code", sa.String(32), nullable=True))
    op.execute("UPDATE notice_recipients SET url = 'mailto:' || email")
    with op.batch_alter_table("notice_recipients") as batch:
        batch.alter_column("url", existing_type=sa.Text, nullable=False)
        batch.drop_column("email")
        batch.create_index("ix_notice_recipients_unit_code", ["unit_code"])


def _deliveries() -> None:
    op.create_table(
        "notice_deliveries",
        sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False), sa.Column("target", sa.Text, nullable=False),
        sa.Column("notice", sa.String(64), nullable=False), sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False), sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False), sa.Column("reason", sa.Text, nullable=True))
    op.create_index("ix_notice_deliveries_at", "notice_deliveries", ["at"])


def downgrade() -> None:
    """Back to e-mail addresses: URL recipients other than mailto: are dropped, the deliveries with them."""
    op.drop_index("ix_notice_deliveries_at", "notice_deliveries")
    op.drop_table("notice_deliveries")
    op.execute("DELETE FROM notice_recipients WHERE url NOT LIKE 'mailto:%' OR url LIKE 'mailto://%'")
    with op.batch_alter_table("notice_recipients") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
    op.execute("UPDATE notice_recipients SET email = substr(url, 8)")
    with op.batch_alter_table("notice_recipients") as batch:
        batch.alter_column("email", existing_type=sa.String(320), nullable=False)
        batch.drop_index("ix_notice_recipients_unit_code")
        batch.drop_column("unit_code")
        batch.drop_column("url")

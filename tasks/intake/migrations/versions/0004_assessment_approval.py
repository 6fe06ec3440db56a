"""The 考核通报 goes through review and signing: `report_approvals.document` and `assessment_issues`.

Each approval record says which document it approves (`document`: 专报 for every existing row, 考核通报 for a
year's assessment notice); `assessment_issues` holds the revisions of each year's 考核通报 (its data digest and
folder), as `report_issues` does the 专报's.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Each change only where missing: a registry made by create_all of these models before Alembic has them."""
    inspector = sa.inspect(op.get_bind())
    if "document" not in {c["name"] for c in inspector.get_columns("report_approvals")}:
        with op.batch_alter_table("report_approvals") as batch:
            batch.add_column(sa.Column("document", sa.String(16), nullable=False, server_default="专报"))
    if "assessment_issues" not in inspector.get_table_names():
        op.create_table(
            "assessment_issues",
            sa.Column("id", sa.Integer, primary_key=True), sa.Column("year", sa.Integer, nullable=False),
            sa.Column("through", sa.String(16), nullable=False), sa.Column("revision", sa.Integer, nullable=False),
            sa.Column("inputs_digest", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime, nullable=False), sa.Column("folder", sa.String(1024), nullable=False))
        op.create_index("ix_assessment_issues_year", "assessment_issues", ["year"])


def downgrade() -> None:
    """Back to approvals of the 专报 alone: the 考核通报's records and revisions are dropped."""
    op.drop_index("ix_assessment_issues_year", "assessment_issues")
    op.drop_table("assessment_issues")
    op.execute("DELETE FROM report_approvals WHERE document <> '专报'")
    with op.batch_alter_table("report_approvals") as batch:
        batch.drop_column("document")

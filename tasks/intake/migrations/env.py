"""Alembic's environment for the registry: always online, on the connection tasks/intake/migrate.py hands over."""
from __future__ import annotations

from alembic import context

from zhuanbao.tasks.intake.registry import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

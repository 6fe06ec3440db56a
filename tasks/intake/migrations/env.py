"""Alembic's environment for the registry: always online, on the connection tasks/intake/migrate.py hands over.

Alembic loads this file by its path, outside the package, so it imports the registry absolutely (a type checker
reading the checkout cannot follow that import; it is ignored for that reason alone)."""
from __future__ import annotations

from alembic import context

from zhuanbao.tasks.intake.registry import Base  # pyright: ignore[reportMissingImports]  (loaded by path)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

"""The registry's Alembic migrations (package data: env.py + versions/), run by tasks/intake/migrate.py."""

"""The `zhuanbao` command: every job of the office reachable from one place.

`app` lives in flows/cli/app.py; each module here registers its commands on it (no import circle):
intake (collect, submit, status, validate), runs (run, rerun, backfill, reminders, demo),
report (preview, lint-templates), ops (serve, doctor), server (server status|stop), forms (forms), setup (init, reference check|roll),
portal (portal), accounts (accounts …), approval (review, sign, return, publish, approval),
notices (notices recipients add|remove|list, notices test, notices deliveries),
docs (docs: the 使用手册), registry (rebuild-registry), year (ledger, assess).
"""
from . import (  # noqa: F401 — register the commands
    accounts,
    approval,
    docs,
    forms,
    intake,
    notices,
    ops,
    portal,
    registry,
    report,
    runs,
    server,
    setup,
    year,
)
from .app import app

__all__ = ["app"]

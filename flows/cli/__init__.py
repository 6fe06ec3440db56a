"""The `zhuanbao` command: every job of the office reachable from one place.

`app` lives in flows/cli/app.py; each module here registers its commands on it (no import circle):
intake (collect, submit, status, validate), runs (run, rerun, backfill, reminders, demo),
report (preview, lint-templates), ops (serve, doctor), forms (forms), setup (init, reference check|roll),
portal (portal), accounts (accounts …), docs (docs: the 使用手册).
"""
from zhuanbao.flows.cli import accounts, docs, forms, intake, ops, portal, report, runs, setup  # noqa: F401 — register
from zhuanbao.flows.cli.app import app

__all__ = ["app"]

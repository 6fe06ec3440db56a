"""The `zhuanbao` command: every job of the office reachable from one place.

`app` lives in flows/cli/app.py; each module here registers its commands on it (no import circle):
intake (collect, submit, status, validate), runs (run, rerun, backfill, reminders, demo),
report (preview, lint-templates), ops (serve).
"""
from zhuanbao.flows.cli import intake, ops, registry, report, runs  # noqa: F401 — register the commands
from zhuanbao.flows.cli.app import app

__all__ = ["app"]

"""The demo district's month-by-month script: which period runs when, and with what reason.

2020-04 runs on the 16th without T04's late file, then again after it arrives: the second
report is a revision (修订版) of the same issue.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.generate import build_demo_inbox

DEMO_RUNS: list[tuple[str, str | None, str | None]] = [
    ("2020-03", "2020-04-16T09:00:00+08:00", None),
    ("2020-04", "2020-05-16T09:00:00+08:00", None),
    ("2020-04", "2020-05-19T09:00:00+08:00", "北洲子镇（T04）5月18日逾期报送，补录后修订"),
    ("2020-05", "2020-06-16T09:00:00+08:00", None),
]


def prepare_demo_home(home: Path) -> list[dict]:
    """A home with the demo reference and three months of generated workbooks in its inbox."""
    if not (home / "reference").exists():
        shutil.copytree(DEMO_REFERENCE_DIR, home / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    reference = load_reference(load_settings(home=home), 2020)
    return build_demo_inbox(home, reference, periods=["2020-03", "2020-04", "2020-05"], seed=2020)

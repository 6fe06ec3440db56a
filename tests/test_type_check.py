"""The house as tools read it: a type checker run on the checkout (as a newcomer's editor sees it, no import
hook) resolves every import of the project's own modules in tasks/ and flows/ — they are relative — and every
third-party import against the installed environment ([tool.pyright] in pyproject.toml)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow  # ≈ 20 s of CPU


def test_the_type_checker_resolves_every_import_in_the_checkout():
    checker = shutil.which("basedpyright") or pytest.fail("basedpyright is not installed (the dev extra has it)")
    done = subprocess.run([checker, "--outputjson", "--pythonpath", sys.executable], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(done.stdout)
    problems = [f"{d['file'].removeprefix(str(PROJECT_ROOT) + '/')}:{d['range']['start']['line'] + 1}: {d['message']}"
                for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert problems == [], "\n".join(problems[:40])
    assert report["summary"]["filesAnalyzed"] > 100  # it read the package, not an empty folder

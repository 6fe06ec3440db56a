"""A real warm checker process (tasks/checks/warm.py, as `zhuanbao serve` starts it) for a test's home, whose
suites are a copy of the packaged ones (a test may edit them)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from zhuanbao.tasks.core.resources import EXPECTATIONS_DIR

SERVE = ("import sys; from pathlib import Path; "
         "from zhuanbao.tasks.checks.warm import serve; serve(Path(sys.argv[1]), Path(sys.argv[2]))")


def start_checker(home: Path, *, stderr=subprocess.DEVNULL) -> tuple[Path, subprocess.Popen]:
    """The home's suites folder and the checker's process (wait for it with `warm.wait_ready(home)`)."""
    suites = home / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(home), str(suites)],
                               stdout=subprocess.DEVNULL, stderr=stderr)
    return suites, process

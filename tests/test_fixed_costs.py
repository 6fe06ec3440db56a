"""Fixed costs a command pays before its work (issue 28, "cold"): what it must not import for nothing."""
from __future__ import annotations

import os
import subprocess
import sys

from zhuanbao.tasks.core.prefect_profile import configured_api_url


def _python(code: str, cwd, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                         env={**clean, **env}, check=True, timeout=120)
    return out.stdout.strip()


def test_a_notice_outside_a_flow_with_no_server_configured_does_not_import_prefect(tmp_path):
    code = ("import sys\nfrom zhuanbao.tasks.notices import emit\n"
            "emit('zhuanbao.draft.waiting', '2020-04', {'waiting_for': 'office'})\n"
            "print('prefect' in sys.modules)")
    assert _python(code, tmp_path, PREFECT_HOME=str(tmp_path / ".prefect")) == "False"


def test_the_prefect_profiles_api_address_is_found_without_importing_prefect(tmp_path, monkeypatch):
    prefect_home = tmp_path / ".prefect"
    prefect_home.mkdir()
    (prefect_home / "profiles.toml").write_text(
        'active = "office"\n[profiles.office]\nPREFECT_API_URL = "http://10.0.0.5:4200/api"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREFECT_HOME", str(prefect_home))
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    assert configured_api_url() == "http://10.0.0.5:4200/api"  # so a notice still emits its event there
    (prefect_home / "profiles.toml").write_text('active = "ephemeral"\n[profiles.ephemeral]\n', "utf-8")
    assert configured_api_url() is None


def test_the_default_thread_runner_never_imports_dask(tmp_path):
    code = ("import sys\nfrom prefect.task_runners import ThreadPoolTaskRunner\n"
            "from zhuanbao.flows.runner import _is_dask\n"
            "print(_is_dask(ThreadPoolTaskRunner()), 'distributed' in sys.modules, 'prefect_dask' in sys.modules)")
    assert _python(code, tmp_path, PREFECT_HOME=str(tmp_path / ".prefect")) == "False False False"

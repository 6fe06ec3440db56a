"""Prefect's configuration as a command has it, read without importing Prefect.

The CLI uses `configured_api_url` to say which server a run will use (flows/prefect_env.py); the notices use it to
skip importing Prefect (≈ 1–2 s) when no server is reachable (tasks/notices/events.py). `prefect_settings` is what
the warm runner must share with a command it runs (flows/warm_runner.py, started by flows/kept_server.py).
"""
from __future__ import annotations

import os
from pathlib import Path


def configured_api_url() -> str | None:
    """An API address set where Prefect reads it besides the environment: the active profile
    (PREFECT_HOME/profiles.toml), ./prefect.toml, ./.env. Then Prefect's own choice stands."""
    import tomllib

    def toml(path: Path) -> dict:
        try:
            return tomllib.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    prefect_home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    profiles = toml(Path(os.environ.get("PREFECT_PROFILES_PATH", prefect_home / "profiles.toml")))
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active", "ephemeral")
    url = ((profiles.get("profiles") or {}).get(active) or {}).get("PREFECT_API_URL")
    url = url or (toml(Path("prefect.toml")).get("api") or {}).get("url")
    if not url and Path(".env").is_file():
        for line in Path(".env").read_text("utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "PREFECT_API_URL" and value.strip():
                url = value.strip().strip("'\"")
    return url or None


RUNNER_ENV = "ZHUANBAO_RUNNER_PREFECT_ENV"  # the keeper's note of the starting command's Prefect settings


def prefect_settings(env) -> dict[str, str]:
    """The PREFECT_* settings a process imports Prefect with, but the API address (the kept server's, set apart)."""
    return {k: v for k, v in env.items() if k.startswith("PREFECT_") and k != "PREFECT_API_URL"}

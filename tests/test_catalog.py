"""The catalog of the home: every folder and dataset named once, local or in a remote lake; nobody else joins
path strings under the home."""
from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import PROJECT_ROOT
from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.core.settings import load_settings


def test_every_entry_has_its_own_path_and_says_what_it_holds():
    paths = [entry.path for entry in catalog.ENTRIES.values()]
    assert len(paths) == len(set(paths))
    assert all(entry.holds and entry.writer for entry in catalog.ENTRIES.values())


def test_local_paths_under_the_home_and_urls_in_a_remote_lake(tmp_path):
    assert catalog.receipts_dir(tmp_path, "2020-04") == tmp_path / "reports" / "2020-04" / "receipts"
    assert catalog.cache_dir(tmp_path, "reads", "2020-04") == tmp_path / "cache" / "reads" / "period=2020-04"
    assert catalog.issues_lock(tmp_path) == tmp_path / "reports" / ".issues.lock"
    assert catalog.curated_partition("s3://b/zb/", "indicators", "2020-04") == (
        "s3://b/zb/curated/indicators/period=2020-04/data.parquet")
    assert catalog.raw_dir(f"file://{tmp_path}") == tmp_path / "raw"
    settings = load_settings(home=tmp_path)
    assert settings.reports_dir("2020-04") == catalog.reports_dir(settings.home, "2020-04")
    assert settings.raw_dir == settings.home / "raw" and settings.curated_dir == settings.home / "curated"


HAND_JOINED = re.compile(r"""(?<!\w)home / ["'f]|Path\((settings\.)?home\) /""")  # the zhuanbao home, not PREFECT_HOME


def test_no_module_joins_a_path_string_onto_the_home():
    found = [f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}"
             for folder in ("tasks", "flows") for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
             if path != Path(catalog.__file__)
             for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if HAND_JOINED.search(line)]
    assert found == []

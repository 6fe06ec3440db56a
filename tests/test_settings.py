"""One settings model: keyword overrides > ZHUANBAO_* > <home>/zhuanbao.toml > defaults, and wrong values
named in one Chinese line."""
from __future__ import annotations

import pytest

from zhuanbao.tasks.core.settings import SETTING_KEYS, Settings, SettingsError, load_settings

MIB = 1024 * 1024


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("ZHUANBAO_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_defaults_without_toml_or_environment(tmp_path, clean_env):
    settings = load_settings(home=tmp_path)
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'zhuanbao.sqlite'}"
    assert (settings.deadline_day, settings.max_file_bytes, settings.read_chunk_files) == (15, 20 * MIB, 100)
    assert settings.portal_allowed_hosts == ("127.0.0.1", "localhost") and settings.notify_to == ()
    assert settings.reports_dir("2020-04") == tmp_path.resolve() / "reports" / "2020-04"


def test_overrides_beat_the_environment_which_beats_the_toml(tmp_path, clean_env):
    (tmp_path / "zhuanbao.toml").write_text(
        'deadline_day = 20\nmax_file_mb = 5\nunit_quota_mb = 1.5\noffice = "某区统计局"\nread_chunk = 7\n'
        'notify_to = "a@x.cn, b@x.cn"\ndb_url = "sqlite:///toml.sqlite"\n[score_weights]\non_track = 1.0\n', "utf-8")
    settings = load_settings(home=tmp_path)
    assert (settings.deadline_day, settings.max_file_bytes, settings.unit_quota_bytes) == (20, 5 * MIB, int(1.5 * MIB))
    assert (settings.issuing_office, settings.read_chunk_files, settings.notify_to) == ("某区统计局", 7, ("a@x.cn", "b@x.cn"))
    assert settings.db_url == "sqlite:///toml.sqlite" and settings.score_weights == {"on_track": 1.0}
    clean_env.setenv("ZHUANBAO_DEADLINE_DAY", "18")
    clean_env.setenv("ZHUANBAO_MAX_FILE_MB", "2")
    clean_env.setenv("ZHUANBAO_OFFICE", "环境")
    clean_env.setenv("ZHUANBAO_PORTAL_ALLOWED_HOSTS", "zb.example,localhost")
    clean_env.setenv("ZHUANBAO_DB_URL", "sqlite:///env.sqlite")
    settings = load_settings(home=tmp_path)
    assert (settings.deadline_day, settings.max_file_bytes, settings.issuing_office) == (18, 2 * MIB, "环境")
    assert settings.portal_allowed_hosts == ("zb.example", "localhost") and settings.db_url == "sqlite:///env.sqlite"
    settings = load_settings(home=tmp_path, deadline_day=3, db_url="sqlite://", max_file_bytes=9)
    assert (settings.deadline_day, settings.db_url, settings.max_file_bytes) == (3, "sqlite://", 9)


def test_the_environment_names_the_home_and_a_remote_home_keeps_its_local_parts(tmp_path, clean_env):
    clean_env.setenv("ZHUANBAO_HOME", str(tmp_path))
    assert load_settings().home == tmp_path.resolve()
    clean_env.setenv("ZHUANBAO_HOME", "memory://zb")
    clean_env.setenv("ZHUANBAO_LOCAL_HOME", str(tmp_path / "local"))
    settings = load_settings()
    assert (settings.lake, settings.home, settings.raw_dir) == ("memory://zb", tmp_path / "local", "memory://zb/raw")


@pytest.mark.parametrize(("name", "value", "words"), [
    ("ZHUANBAO_DEADLINE_DAY", "40", "ZHUANBAO_DEADLINE_DAY（zhuanbao.toml 的 deadline_day）应不大于 31"),
    ("ZHUANBAO_MAX_ROWS", "多", "ZHUANBAO_MAX_ROWS（zhuanbao.toml 的 max_rows）应为整数"),
    ("ZHUANBAO_MAX_FILE_MB", "-1", "ZHUANBAO_MAX_FILE_MB 应大于 0"),
    ("ZHUANBAO_TIMEZONE", "Mars/Base", "未知的时区“Mars/Base”"),
    ("ZHUANBAO_SMTP_STARTTLS", "maybe", "ZHUANBAO_SMTP_STARTTLS（zhuanbao.toml 的 smtp_starttls）应为 true 或 false"),
])
def test_a_wrong_value_is_one_chinese_line_naming_the_setting(tmp_path, clean_env, name, value, words):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(home=tmp_path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_broken_toml_file_is_named(tmp_path, clean_env):
    (tmp_path / "zhuanbao.toml").write_text("deadline_day = = 20\n", "utf-8")
    with pytest.raises(SettingsError, match="zhuanbao.toml 格式有误"):
        load_settings(home=tmp_path)


def test_every_attribute_is_one_field_read_by_its_key():
    assert {"max_file_mb", "unit_quota_mb", "office", "read_chunk", "deadline_day"} <= SETTING_KEYS
    assert "max_file_bytes" not in SETTING_KEYS and "home" in Settings.model_fields

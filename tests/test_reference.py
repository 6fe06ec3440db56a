"""Reference tables: who reports what, and clear errors for broken tables."""
import pytest

from zhuanbao.tasks.core.reference import ReferenceError, load_reference


def test_quarterly_indicator_due_only_at_quarter_end(reference):
    march = reference.assignments("2020-03")
    april = reference.assignments("2020-04")
    assert ("D11", "indicators", "I01") in set(map(tuple, march[["unit_code", "form", "code"]].values))
    assert "I01" not in set(april.code)


def test_task_co_units_report_their_own_row(reference):
    tasks = reference.assignments("2020-04").query("form == 'tasks'")
    k08 = set(tasks.loc[tasks.code == "K08", "unit_code"])
    assert k08 == {"D04", "D01", "D07", "D03", "D05"}


def test_every_demo_unit_must_report(reference):
    assert len(reference.required_units("2020-04")) == 18


def test_unit_resolves_from_code_or_exact_name(reference):
    assert reference.resolve_unit("T01") == "T01"
    assert reference.resolve_unit("区住房城乡建设局") == "D05"
    assert reference.resolve_unit("住建局") is None


def test_missing_table_names_the_file(settings):
    (settings.reference_dir(2020) / "tasks.csv").unlink()
    with pytest.raises(ReferenceError, match="tasks.csv"):
        load_reference(settings, 2020)


def test_missing_column_names_file_and_column(settings):
    path = settings.reference_dir(2020) / "units.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("unit_kind", "kind"), encoding="utf-8")
    with pytest.raises(ReferenceError, match=r"units.csv.*unit_kind"):
        load_reference(settings, 2020)


def test_non_numeric_target_names_row_and_column(settings):
    path = settings.reference_dir(2020) / "targets.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("D01,I05,6,", "D01,I05,六,"), encoding="utf-8")
    with pytest.raises(ReferenceError, match=r"targets.csv 第\d+行 列 target_value"):
        load_reference(settings, 2020)


def test_year_without_tables_is_a_clear_error(settings):
    with pytest.raises(ReferenceError, match="2021"):
        load_reference(settings, 2021)

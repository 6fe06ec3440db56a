"""The README says what the code does: its rules table is the suites' own."""
from tests.conftest import PROJECT_ROOT
from zhuanbao.tasks.checks.suites import rules_table_markdown


def test_readme_rules_table_is_generated_from_the_suites():
    assert rules_table_markdown().strip() in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")

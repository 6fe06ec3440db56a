"""The README says what the code does: its rules table is the suites' own (expectations/*.json)."""
import json

from tests.conftest import PROJECT_ROOT
from zhuanbao.tasks.checks.suites import rules_table_markdown
from zhuanbao.tasks.core.resources import EXPECTATIONS_DIR

SEVERITY = {"hard": "强制性（退回）", "soft": "核实性（需说明）"}


def test_the_rules_table_has_one_row_per_rule_of_the_suites_and_is_the_readmes():
    """Read from the suite files themselves: every rule id once, its severities and every meaning it carries."""
    rules: dict[str, dict[str, dict]] = {}
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        for expectation in json.loads(path.read_text("utf-8"))["expectations"]:
            meta = expectation["meta"]
            rule = rules.setdefault(meta["rule_id"], {"severities": {}, "meanings": {}})
            rule["severities"][SEVERITY[meta["severity"]]] = None
            rule["meanings"][meta.get("meaning") or meta["message"]] = None
    table = rules_table_markdown()
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    assert [row[0] for row in rows] == sorted(rules)
    for rule_id, severity, meaning in rows:
        assert severity == "/".join(rules[rule_id]["severities"]), rule_id
        assert meaning == "；".join(rules[rule_id]["meanings"]), rule_id
    assert {"强制性（退回）", "核实性（需说明）"} <= {row[1] for row in rows}
    assert table.strip() in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")

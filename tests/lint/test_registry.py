"""Every registered lint rule is documented and has a breaking and a passing test case, and the
lint table of docs/alerts-and-lint.md lists exactly the registered rules."""

import re

from monitoring_as_code.lint import RULES
from monitoring_as_code.lint.run import lint_objects  # noqa: F401 - registers every rule
from tests.conftest import REPO
from tests.lint import test_alert_rules, test_dashboard_rules, test_slo_rules

# Rules whose failing case is its own test function rather than a row of CASES.
TESTED_APART = {
    "recording-rule-name",
    "dashboard-grid",
    "dashboard-datasource-provisioned",
    "panel-loki-labels",
    "panel-loki-shipped",
}


def test_every_rule_is_documented_and_tested() -> None:
    cases = (*test_alert_rules.CASES, *test_dashboard_rules.CASES, *test_slo_rules.CASES)
    tested = {c[0] for c in cases} | TESTED_APART
    assert tested == set(RULES)
    assert all(r.doc.endswith(".") for r in RULES.values())


def test_the_docs_lint_table_lists_every_registered_rule() -> None:
    page = (REPO / "docs" / "alerts-and-lint.md").read_text()
    section = page.split("## Lint and the metric catalog", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {rule_id for row in rows for rule_id in re.findall(r"`([a-z][a-z0-9-]+)`", row.split(" | ")[0])}
    assert documented == set(RULES), (sorted(set(RULES) - documented), sorted(documented - set(RULES)))

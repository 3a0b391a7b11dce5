"""One clock (issue 13, part 6): every rule that depends on "today" reads sib.clock.

The ledger refuses a date after today; the CSV import refuses an achievement in the
future. Both must read the same day, or a file would be refused by one clock and its
payments accepted by the other. Tests move the day with `frozen_today`; so must every rule.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sib", "outcomes", "payments", "reports")
# Reading "today" anywhere but sib.clock: Django's local date, the system's, or the
# database's own (in SQL text).
# (localdate(moment) only converts a moment to its date: it reads no clock.)
OTHER_CLOCKS = re.compile(r"localdate\(\)|date\.today\(|current_date|CURRENT_DATE")


def test_no_rule_reads_today_from_another_clock():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path != ROOT / "sib" / "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if OTHER_CLOCKS.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []

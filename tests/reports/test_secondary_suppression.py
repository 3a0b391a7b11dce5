"""Secondary suppression: a masked count never comes back by subtraction from a total.

A reader who knows a group's total and its shown counts knows the sum S of its n hidden
counts, each at least 1 (zeros are shown): each lies in [1, S - n + 1]. The rule: that
range always covers every count the mask hides (1 to the threshold).
"""

import itertools
import random
import re

from django.test import Client
from django.urls import reverse

from reports.rendering.masking import CountMask, hidden_counts

MASK = CountMask(threshold=10)


def reader_range(counts: dict[str, int], hidden: frozenset[str], group: list[str]) -> range:
    """What a reader who knows the group's total can tell of any one hidden count."""
    inside = [counts[key] for key in group if key in hidden]
    return range(1, sum(inside) - len(inside) + 2)


def test_a_lone_small_count_takes_the_smallest_shown_count_of_its_group_with_it():
    counts = {"c1": 42, "c2": 7, "c3": 55}
    hidden = hidden_counts(counts, [["c1", "c2", "c3"]], MASK)
    assert hidden == {"c1", "c2"}  # 42 + 7 = 49: the 7 could be anything from 1 to 48


def test_no_small_count_no_suppression():
    counts = {"c1": 42, "c2": 0, "c3": 55}
    assert hidden_counts(counts, [list(counts)], MASK) == frozenset()


def test_zeros_are_never_taken_as_companions():
    # A hidden zero would add nothing to the sum: the 4 would still be 4.
    counts = {"c1": 4, "c2": 0, "c3": 30}
    assert hidden_counts(counts, [list(counts)], MASK) == {"c1", "c3"}


def test_two_small_counts_that_add_up_to_little_take_a_third_with_them():
    # 1 + 1 = 2 over two hidden counts: both would be 1.
    counts = {"c1": 1, "c2": 1, "c3": 12, "c4": 90}
    assert hidden_counts(counts, [list(counts)], MASK) == {"c1", "c2", "c3"}


def test_two_small_counts_that_add_up_to_enough_stand_alone():
    counts = {"c1": 6, "c2": 7, "c3": 90}  # 13 over two: each anywhere from 1 to 12
    assert hidden_counts(counts, [list(counts)], MASK) == {"c1", "c2"}


def test_a_companion_hidden_for_one_group_is_checked_in_the_others():
    # c2 is small in the period group; its companion c1 then sits alone in the
    # stage group, whose total would give it back, so c4 goes too.
    counts = {"c1": 20, "c2": 3, "c3": 40, "c4": 25}
    period = ["c1", "c2"]
    stage = ["c1", "c4"]
    overall = list(counts)
    hidden = hidden_counts(counts, [period, stage, overall], MASK)
    assert hidden == {"c1", "c2", "c4"}
    for group in (period, stage, overall):
        assert reader_range(counts, hidden, group).stop - 1 >= MASK.threshold


def test_a_group_of_one_cannot_be_protected_by_the_table():
    # Its total is its count: the table can do nothing (docs/reports.md).
    assert hidden_counts({"c1": 7}, [["c1"]], MASK) == {"c1"}


def test_the_manager_edition_hides_nothing():
    counts = {"c1": 42, "c2": 7}
    assert hidden_counts(counts, [list(counts)], CountMask(threshold=0)) == frozenset()


def test_on_random_tables_every_hidden_count_stays_out_of_reach():
    generator = random.Random(20261129)
    for _ in range(500):
        cohorts, periods = generator.randint(2, 5), generator.randint(1, 4)
        counts = {
            f"{c}/{p}": generator.choice([0, 1, 2, 3, 5, 9, 10, 11, 12, 20, 40, 150])
            for c, p in itertools.product(range(cohorts), range(periods))
        }
        by_period = [[f"{c}/{p}" for c in range(cohorts)] for p in range(periods)]
        groups = [*by_period, list(counts)]
        hidden = hidden_counts(counts, groups, MASK)
        assert {key for key, n in counts.items() if MASK.masks(n)} <= hidden
        assert all(counts[key] > 0 for key in hidden)
        for group in groups:
            inside = [key for key in group if key in hidden]
            if not inside:
                continue
            exhausted = not any(counts[key] > 0 for key in group if key not in hidden)
            protected = len(inside) >= 2 and (
                reader_range(counts, hidden, group).stop - 1 >= MASK.threshold
            )
            # Protected, unless the group ran out of counts to hide with it.
            assert protected or exhausted, (counts, group, hidden)


def test_the_portal_outcomes_page_hides_what_the_public_report_hides(bond):
    # The bond: cohort 1 achieved 42 and cohort 2 achieved 7 in 2026 S1, 49 in all.
    client = Client()
    client.force_login(bond.funder)
    client.cookies["django_language"] = "en"
    url = reverse("reports_portal:outcomes", kwargs={"programme_id": bond.programme.pk})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(
        r'<th scope="row">(Cohorte \d)</th><td>2026 S1</td><td [^>]*>([^<]*)</td>', html
    )
    assert rows == [("Cohorte 1", "masked"), ("Cohorte 2", "masked")], rows
    assert ">42<" not in html and ">7<" not in html

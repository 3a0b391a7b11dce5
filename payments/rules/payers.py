"""Who pays which outcome payment: payer shares per cohort and per metric.

Real deals do not always split every payment the same way: a county pays for cohort 1
and the State for cohorts 2 to 5, or a central fund tops up one metric only. A
``PayerSplit`` says how the payments of some cohorts and/or some metrics are shared; the
payments of a (cohort, metric) no split names are shared by the programme-wide shares
(``ProgrammeRules.payers``).

Rules, checked here so that the engine never meets an ambiguous or leaky split:

- a split names at least one cohort or one metric (none would be the programme-wide
  shares again) and its payers' shares sum to exactly 100, each above 0 and kept to
  ``SHARE_PLACES`` decimal places, the precision the ledger stores: a finer share is
  refused, never rounded, so what is checked is what is stored;
- no (cohort, metric) is named by two splits: which one would apply?
- a split's payers are outcome payers of the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from outcomes import rule_json as js
from outcomes.mechanisms import HUNDRED
from outcomes.rule_json import RuleError

# The decimal places of a share, as ProgrammeParty.payer_share keeps them
# (sib.services.PAYER_SHARE_PLACES; tests/payments/test_payer_splits.py checks they agree).
SHARE_PLACES = 4


def share_places(share: Decimal) -> int:
    """Return how many decimal places ``share`` needs ("70.50" needs 1; 70 none)."""
    exponent = share.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True, slots=True)
class SplitShare:
    """One payer's percentage of the payments a split covers."""

    payer: str
    share_percent: Decimal


@dataclass(frozen=True, slots=True)
class PayerSplit:
    """How the payments of some cohorts and/or metrics are shared between payers.

    ``cohorts`` or ``metrics`` empty means every cohort, or every metric.
    """

    cohorts: tuple[str, ...]
    metrics: tuple[str, ...]
    shares: tuple[SplitShare, ...]

    @classmethod
    def from_dict(cls, data: Any, path: str) -> PayerSplit:
        data = js.mapping(data, path)
        js.only_keys(data, {"cohorts", "metrics", "shares"}, path)
        cohorts = _codes(data.get("cohorts"), js.child(path, "cohorts"))
        metrics = _codes(data.get("metrics"), js.child(path, "metrics"))
        if not cohorts and not metrics:
            raise RuleError(
                path,
                "names no cohort and no metric: the programme-wide shares (parties' "
                "payer_share) already split every payment",
            )
        shares_path = js.child(path, "shares")
        items = js.sequence(js.required(data, "shares", path), shares_path)
        shares = []
        for i, item in enumerate(items):
            here = f"{shares_path}[{i}]"
            item = js.mapping(item, here)
            js.only_keys(item, {"payer", "share"}, here)
            payer = js.text(js.required(item, "payer", here), js.child(here, "payer"))
            share = js.decimal(js.required(item, "share", here), js.child(here, "share"))
            if not 0 < share <= HUNDRED:
                raise RuleError(js.child(here, "share"), "must be above 0 and at most 100")
            if share_places(share) > SHARE_PLACES:
                raise RuleError(
                    js.child(here, "share"),
                    f"the share of {payer!r} ({share}) has more than {SHARE_PLACES} decimal "
                    "places, the precision the ledger keeps",
                )
            shares.append(SplitShare(payer, share.normalize()))
        split = cls(cohorts=cohorts, metrics=metrics, shares=tuple(shares))
        split.check_total(shares_path)
        return split

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.cohorts:
            data["cohorts"] = list(self.cohorts)
        if self.metrics:
            data["metrics"] = list(self.metrics)
        data["shares"] = [
            {"payer": s.payer, "share": format(s.share_percent, "f")} for s in self.shares
        ]
        return data

    def covers(self, cohort: str, metric: str) -> bool:
        """Return whether the payments of ``metric`` for ``cohort`` follow this split."""
        return (not self.cohorts or cohort in self.cohorts) and (
            not self.metrics or metric in self.metrics
        )

    def scope(self) -> str:
        """Return what the split covers, in words, for error messages."""
        cohorts = ", ".join(self.cohorts) if self.cohorts else "every cohort"
        metrics = ", ".join(self.metrics) if self.metrics else "every metric"
        return f"cohorts {cohorts}; metrics {metrics}"

    def check_total(self, path: str) -> None:
        """Refuse shares that do not sum to exactly 100, naming the scope and the payers."""
        payers = [s.payer for s in self.shares]
        if len(set(payers)) != len(payers):
            raise RuleError(path, f"must not repeat a payer ({self.scope()})")
        total = sum((s.share_percent for s in self.shares), Decimal(0))
        # Exactly 100: a split summing to 99.99 would leave a cent nobody owes.
        if total != HUNDRED:
            named = ", ".join(f"{s.payer} {s.share_percent:f}" for s in self.shares) or "none"
            raise RuleError(
                path,
                f"the shares of {named} sum to {total.normalize():f}, not exactly 100 "
                f"({self.scope()})",
            )


def _codes(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    codes = tuple(js.text(item, f"{path}[{i}]") for i, item in enumerate(js.sequence(value, path)))
    if not codes:
        raise RuleError(path, "must name at least one code, or be left out")
    if len(set(codes)) != len(codes):
        raise RuleError(path, "must not repeat a code")
    return codes


def check_splits(splits: Sequence[PayerSplit], payers: Sequence[str], path: str) -> None:
    """Refuse splits naming a payer that is not one, or two splits covering one cell."""
    known = set(payers)
    for i, split in enumerate(splits):
        for j, share in enumerate(split.shares):
            if share.payer not in known:
                raise RuleError(
                    f"{path}[{i}].shares[{j}].payer",
                    f"{share.payer!r} is not an outcome payer of the programme",
                )
        for k in range(i):
            cell = _overlap(splits[k], split)
            if cell is not None:
                raise RuleError(
                    f"{path}[{i}]",
                    f"{cell} is already split by {path}[{k}]: one split per cohort and metric",
                )


def _overlap(a: PayerSplit, b: PayerSplit) -> str | None:
    """Return a (cohort, metric) both splits cover, in words, or None."""
    cohorts = _meet(a.cohorts, b.cohorts)
    metrics = _meet(a.metrics, b.metrics)
    if cohorts is None or metrics is None:
        return None
    cohort = f"cohort {cohorts!r}" if cohorts else "every cohort"
    metric = f"metric {metrics!r}" if metrics else "every metric"
    return f"{cohort}, {metric}"


def _meet(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """Return a code in both lists ('' when both mean every one), or None when disjoint."""
    if not a and not b:
        return ""
    if not a or not b:
        return (a or b)[0]
    common = [code for code in a if code in b]
    return common[0] if common else None


def apply_payer_caps(
    parts: Sequence[Sequence[int]], caps: Sequence[int | None]
) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Cut each payer's parts to what its cap leaves; return (kept, cut, used per payer).

    ``parts`` are the payers' parts of each payment line, in the order the payments
    fall due (the deal's date order); ``caps[j]`` is payer j's cap, None for none. Once a
    payer's total reaches its cap, the rest of its part is cut: due from no one, not
    moved to the other payers, whose parts stay what their shares give.
    """
    used = [0] * len(caps)
    kept: list[list[int]] = []
    cut: list[list[int]] = []
    for line in parts:
        line_kept, line_cut = [], []
        for j, part in enumerate(line):
            cap = caps[j]
            allowed = part if cap is None else max(min(part, cap - used[j]), 0)
            used[j] += allowed
            line_kept.append(allowed)
            line_cut.append(part - allowed)
        kept.append(line_kept)
        cut.append(line_cut)
    return kept, cut, used

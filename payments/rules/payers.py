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
- or one payer's share is ``"rest"`` (``REST``): the residual (top-up) payer pays, on each
  line, what the fixed shares leave and what a fixed payer's cap stops. At most one
  residual payer per split; the fixed shares then sum to at least 0 and below 100 (at
  100 the residual payer would owe nothing but what caps stop: write no split for that);
- no (cohort, metric) is named by two splits: which one would apply?
- a split's payers are outcome payers of the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from outcomes import rule_json as js
from outcomes.mechanisms import HUNDRED
from outcomes.rule_json import RuleError
from sib.money import allocate

# The share of a residual (top-up) payer, in the format and in the stored terms
# (sib.party_shares.PAYER_SHARE_REST agrees; tests/payments/test_residual_payer.py checks it).
REST = "rest"

# The decimal places of a share, as ProgrammeParty.payer_share keeps them
# (sib.services.PAYER_SHARE_PLACES; tests/payments/test_payer_splits.py checks they agree).
SHARE_PLACES = 4


def share_places(share: Decimal) -> int:
    """Return how many decimal places ``share`` needs ("70.50" needs 1; 70 none)."""
    exponent = share.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True, slots=True)
class SplitShare:
    """One payer's percentage of the payments a split covers, or the rest of them
    (``residual``, with a share_percent of 0)."""

    payer: str
    share_percent: Decimal
    residual: bool = False


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
                _(
                    "names no cohort and no metric: the programme-wide shares (parties' "
                    "payer_share) already split every payment"
                ),
            )
        shares_path = js.child(path, "shares")
        items = js.sequence(js.required(data, "shares", path), shares_path)
        shares = []
        for i, item in enumerate(items):
            here = f"{shares_path}[{i}]"
            item = js.mapping(item, here)
            js.only_keys(item, {"payer", "share"}, here)
            payer = js.text(js.required(item, "payer", here), js.child(here, "payer"))
            if js.required(item, "share", here) == REST:
                shares.append(SplitShare(payer, Decimal(0), residual=True))
                continue
            share = js.decimal(item["share"], js.child(here, "share"))
            if not 0 < share <= HUNDRED:
                raise SplitError(
                    js.child(here, "share"),
                    "must be above 0 and at most 100",
                    kind="range",
                    params={},
                )
            if share_places(share) > SHARE_PLACES:
                raise SplitError(
                    js.child(here, "share"),
                    f"the share of {payer!r} ({share}) has more than {SHARE_PLACES} decimal "
                    "places, the precision the ledger keeps",
                    kind="places",
                    params={"payer": repr(payer), "share": str(share), "places": str(SHARE_PLACES)},
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
            {"payer": s.payer, "share": REST if s.residual else format(s.share_percent, "f")}
            for s in self.shares
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
        """Refuse shares that do not sum to exactly 100 (below 100 beside a residual
        payer), naming the scope and the payers."""
        payers = [s.payer for s in self.shares]
        if len(set(payers)) != len(payers):
            raise RuleError(path, f"must not repeat a payer ({self.scope()})")
        check_cell_shares([(s.payer, s.share_percent, s.residual) for s in self.shares], path, self)


class SplitError(RuleError):
    """A payer split's refusal that a caller with a language words in it.

    The engine speaks no language: ``kind`` ("places", "overlap", "unknown_payer") and
    ``params`` let payments.payer_splits word the refusal in the user's, with the same
    English as ``message``.
    """

    def __init__(self, path: str, message: str, *, kind: str, params: dict[str, str]) -> None:
        super().__init__(path, message)
        self.kind = kind
        self.params = params


class ShareTotalError(SplitError):
    """A cell's shares that leave a cent nobody owes, or two payers of the rest.

    ``kind`` is "two_rest", "no_rest" or "not_100"; ``split`` is the split refused, None
    for the programme-wide shares.
    """

    def __init__(
        self, path: str, message: str, *, kind: str, params: dict[str, str], split: Any
    ) -> None:
        super().__init__(path, message, kind=kind, params=params)
        self.split = split


def check_cell_shares(
    shares: Sequence[tuple[str, Decimal, bool]], path: str, split: PayerSplit | None = None
) -> None:
    """Refuse one cell's shares (payer, share, residual) that leave a cent nobody owes.

    Without a residual payer the shares sum to exactly 100: 99.99 would leave a cent
    nobody owes. With one, the fixed shares sum to at least 0 and below 100: the
    residual payer owes the rest, so it must be more than nothing.
    """
    scope = "programme-wide shares" if split is None else split.scope()
    residual = [payer for payer, _share, rest in shares if rest]
    fixed = [(payer, share) for payer, share, rest in shares if not rest]
    total = sum((share for _payer, share in fixed), Decimal(0))
    params = {
        "payers": ", ".join(residual),
        "named": ", ".join(f"{payer} {share:f}" for payer, share in fixed) or "none",
        "total": f"{total.normalize():f}",
        "payer": repr(residual[0]) if residual else "",
    }
    if len(residual) > 1:
        message = (
            f"names more than one residual payer ({params['payers']}): at most one payer "
            f"per cell pays the rest ({scope})"
        )
        raise ShareTotalError(path, message, kind="two_rest", params=params, split=split)
    if residual and total >= HUNDRED:
        message = (
            f"the fixed shares of {params['named']} sum to {params['total']}, not below 100: "
            f"{params['payer']} would have no rest to pay ({scope})"
        )
        raise ShareTotalError(path, message, kind="no_rest", params=params, split=split)
    # Exactly 100: a split summing to 99.99 would leave a cent nobody owes.
    if not residual and total != HUNDRED:
        message = (
            f"the shares of {params['named']} sum to {params['total']}, not exactly 100 ({scope})"
        )
        raise ShareTotalError(path, message, kind="not_100", params=params, split=split)


def split_line(amount: int, shares: Sequence[Decimal], residual: int | None) -> list[int]:
    """Split one payment line between the payers of its cell, to the cent.

    Without a residual payer, ``allocate`` splits it by ``shares``. With one (index
    ``residual``, whose own share is ignored), ``allocate`` gives the fixed parts by
    the fixed shares and the rest as one weight, so each fixed part is what it would be
    beside any other payers; the residual payer gets the exact remainder, the line
    minus the fixed parts.
    """
    if residual is None:
        return allocate(amount, shares)
    fixed = [Decimal(0) if j == residual else share for j, share in enumerate(shares)]
    parts = allocate(amount, [*fixed, HUNDRED - sum(fixed, Decimal(0))])[:-1]
    parts[residual] = amount - sum(parts)
    return parts


def _codes(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    codes = tuple(js.text(item, f"{path}[{i}]") for i, item in enumerate(js.sequence(value, path)))
    if not codes:
        raise RuleError(path, _("must name at least one code, or be left out"))
    if len(set(codes)) != len(codes):
        raise RuleError(path, _("must not repeat a code"))
    return codes


def check_splits(splits: Sequence[PayerSplit], payers: Sequence[str], path: str) -> None:
    """Refuse splits naming a payer that is not one, or two splits covering one cell."""
    known = set(payers)
    for i, split in enumerate(splits):
        for j, share in enumerate(split.shares):
            if share.payer not in known:
                raise SplitError(
                    f"{path}[{i}].shares[{j}].payer",
                    f"{share.payer!r} is not an outcome payer of the programme",
                    kind="unknown_payer",
                    params={"payer": repr(share.payer)},
                )
        for k in range(i):
            cell = _overlap(splits[k], split)
            if cell is not None:
                cohort, metric = cell
                raise SplitError(
                    f"{path}[{i}]",
                    f"{_cell_words(cohort, metric)} is already split by {path}[{k}]: "
                    "one split per cohort and metric",
                    kind="overlap",
                    params={"cohort": cohort, "metric": metric, "other": f"{path}[{k}]"},
                )


def _overlap(a: PayerSplit, b: PayerSplit) -> tuple[str, str] | None:
    """Return a (cohort, metric) both splits cover ('' for every one), or None."""
    cohorts = _meet(a.cohorts, b.cohorts)
    metrics = _meet(a.metrics, b.metrics)
    if cohorts is None or metrics is None:
        return None
    return cohorts, metrics


def _cell_words(cohort: str, metric: str) -> str:
    """Return a cell in words, as the English refusals name it."""
    cohort_words = f"cohort {cohort!r}" if cohort else "every cohort"
    metric_words = f"metric {metric!r}" if metric else "every metric"
    return f"{cohort_words}, {metric_words}"


def _meet(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """Return a code in both lists ('' when both mean every one), or None when disjoint."""
    if not a and not b:
        return ""
    if not a or not b:
        return (a or b)[0]
    common = [code for code in a if code in b]
    return common[0] if common else None


def apply_payer_caps(
    parts: Sequence[Sequence[int]],
    caps: Sequence[int | None],
    residuals: Sequence[int | None] | None = None,
) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Cut each payer's parts to what its cap leaves; return (kept, cut, used per payer).

    ``parts`` are the payers' parts of each payment line, in the order the payments
    fall due (the deal's date order); ``caps[j]`` is payer j's cap, None for none. Once a
    payer's total reaches its cap, the rest of its part is cut: due from no one, not
    moved to the other payers, whose parts stay what their shares give.

    Except to a residual payer: ``residuals[i]`` is the index of line i's residual payer
    (None for none). What the caps of that line's fixed payers stop falls to it, on top
    of its own part, until its own cap stops it; its cut is then all the line loses.
    """
    used = [0] * len(caps)
    kept: list[list[int]] = []
    cut: list[list[int]] = []
    for i, line in enumerate(parts):
        residual = residuals[i] if residuals is not None else None
        line_kept, line_cut = [0] * len(line), [0] * len(line)
        # Fixed payers first: what their caps stop is known before the residual payer's
        # part is capped.
        order = [j for j in range(len(line)) if j != residual]
        moved = 0
        for j in [*order, *([] if residual is None else [residual])]:
            part = line[j]
            if j == residual:
                part += moved
            cap = caps[j]
            allowed = part if cap is None else max(min(part, cap - used[j]), 0)
            used[j] += allowed
            line_kept[j] = allowed
            if residual is not None and j != residual:
                moved += part - allowed
            else:
                line_cut[j] = part - allowed
        kept.append(line_kept)
        cut.append(line_cut)
    return kept, cut, used

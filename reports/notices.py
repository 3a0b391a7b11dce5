"""Gather what one payer's outcome payment notice prints, as of one chain state.

A notice answers a public funder's two questions: what must we pay, and what did we
pay for. Its figures come from two sources that the ledger keeps equal:

- the totals (due, disputed, received, advance or credit, outstanding) are the payer's
  line of `payments.position.programme_position` as of the notice's chain entry: the
  same figures as every page, API answer and report;
- the payer's cap (limit, used, remaining, stopped) is the schedule document's reading at
  the same chain state (`payments.payer_caps`), as the portal and the API show it;
- the lines behind `due` are the engine's plan (`payments.outcome_payments`) over the
  verified results, each line restricted to this payer's share. Verifying a result books
  exactly that plan's payer total (payments.accrual), so the lines add up to `due`, to
  the cent; `reports.document.NoticeData` refuses to exist otherwise.

The engine reads the results as they are now, not as of a chain entry. A notice is
asked for at the current head and built a moment later; if results were decided,
amended or disputed in between, its lines would describe a later state than its totals,
so the build refuses (`NoticeStale`) and the payer asks again (a new notice, new head).

Nothing here is written by a user as free text (no comments, reasons or descriptions)
and no user is named: metric, cohort and period names are the contract's definitions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from outcomes.models import Cohort, MeasurementPeriod, Metric, Result
from payments.accrual import disputed_results_by_payer
from payments.contract import contract_definition
from payments.coupon_inputs import redeemed_early_on
from payments.models import LedgerTransaction, PaymentTerms, Tranche, TransactionKind
from payments.outcome_payments import outcome_payments_compute, result_ids, verified_inputs
from payments.payer_caps import payer_caps, rest_payer_name
from payments.position import programme_position
from payments.rules.programme import GRANT_METRIC
from payments.selectors import grant_periods
from reports import document as doc
from reports.models import Edition, Report
from reports.selectors.state import AMENDMENT, DECISION, REVIEW, ChainState
from sib.models import ChainEntry, Organisation, PartyRole, Programme, ProgrammeParty
from sib.permissions import Action
from sib.scoping import ProgrammeAccess


class NoticeStale(Exception):
    """Results changed after the notice's chain state: its lines cannot be rebuilt."""


def notice_payers(*, access: ProgrammeAccess) -> QuerySet[Organisation]:
    """Return the payers whose notices the user may ask for and download.

    Fund managers: every payer of the programme. A public funder: the payer its
    membership names (a funder membership naming no organisation gets none).
    """
    payers = Organisation.objects.filter(
        pk__in=ProgrammeParty.objects.filter(
            programme=access.programme, role=PartyRole.OUTCOME_PAYER
        ).values("organisation_id")
    ).order_by("name", "slug")
    if access.allows(Action.PAYMENT_NOTICE_ANY):
        return payers
    if access.allows(Action.PAYMENT_NOTICE_OWN):
        own = {
            m.organisation_id
            for m in access.memberships
            if m.role == "public_funder" and m.organisation_id is not None
        }
        return payers.filter(pk__in=own)
    return payers.none()


def notice_list(*, programme: Programme, payers: QuerySet[Organisation]) -> QuerySet[Report]:
    """Return the programme's notices to the given payers, newest first."""
    return Report.objects.filter(
        programme=programme, edition=Edition.PAYER_NOTICE, payer__in=payers
    ).select_related("programme", "payer")


def notice_data(
    *, programme: Programme, payer: Organisation, language: str, state: ChainState
) -> doc.NoticeData:
    """Return everything the payer's notice prints as of `state`."""
    if ChainEntry.objects.filter(
        programme=programme, seq__gt=state.seq, kind__in=(DECISION, AMENDMENT, REVIEW)
    ).exists():
        raise NoticeStale(
            "Results were decided, amended or disputed after this notice's ledger state; "
            "ask for the notice again."
        )
    party = ProgrammeParty.objects.get(
        programme=programme, organisation=payer, role=PartyRole.OUTCOME_PAYER
    )
    position = programme_position(programme=programme, seq=state.seq).payer(payer.slug)
    with translation.override(language):  # a grant's line is named in the notice's language
        lines = _lines(
            programme,
            payer.slug,
            received=position.received - position.advance,
            redemptions=position.redemptions,
        )
    if sum(line.amount for line in lines) != position.due:
        raise NoticeStale(
            "The verified results no longer price to what the ledger shows as due "
            "(the contract's terms changed after this notice's ledger state); "
            "ask for the notice again."
        )
    # The cap as the schedule document at the notice's own chain state reads it: the
    # figures of the portal and the API at that state (payments.payer_caps).
    cap = payer_caps(programme=programme, at=state.seq).get(payer.slug)
    return doc.NoticeData(
        programme=doc.Programme(
            name=programme.name,
            slug=programme.slug,
            period_start=programme.start_date,
            period_end=programme.end_date,
            currency=programme.currency,
            parties=(),
        ),
        payer=payer.name,
        payer_slug=payer.slug,
        payer_share_bp=_share_bp(programme, party),
        payer_pays_rest=party.payer_residual and not _has_splits(programme),
        rest_payer=None if party.payer_residual else rest_payer_name(programme=programme),
        language=language,  # type: ignore[arg-type]
        report_date=state.on,
        lines=lines,
        payments=_payments(programme, payer, state.seq),
        figures=doc.NoticeFigures(
            due=position.due,
            disputed=position.disputed,
            received=position.received,
            advance=position.advance,
            credit=position.credit,  # an advance is printed on its own line
            outstanding=position.still_to_pay,  # its advance and credit on their own lines
            payable=position.payable,
            refunded=position.refunded,
        ),
        chain_head=doc.ChainHead(hash=state.head, entry_count=state.seq),
        cap=None
        if cap is None
        else doc.NoticeCap(
            cap=cap.cap, used=cap.used, remaining=cap.remaining, stopped=cap.stopped
        ),
    )


def _lines(
    programme: Programme,
    slug: str,
    *,
    received: int,
    redemptions: tuple[tuple[str, int], ...] = (),
) -> tuple[doc.NoticeLine, ...]:
    """Return the plan's lines carrying part of the payer's due, oldest first, settled,
    with a line per principal redemption it owes (the position's, by tranche)."""
    plan = outcome_payments_compute(
        programme=programme, inputs=verified_inputs(programme=programme)
    )
    # Each payer disputes its own share: a line is held on this payer's notice only when
    # a dispute holds it from this payer (payments.accrual).
    disputed = disputed_results_by_payer(programme=programme, payers={slug})[slug]
    shares = [
        (line, ids, sum(p.amount for p in line.payers if p.payer == slug))
        for line in plan.lines
        for ids in [result_ids(line.result_ids)]
    ]
    shares = [item for item in shares if item[2]]
    results = {
        r.pk: r
        for r in Result.objects.filter(pk__in={i for _, ids, _ in shares for i in ids})
        .select_related("decision")
        .only("pk", "stage", "decision__decided_at")
    }
    names = _names(programme)
    # A period's grant (a grant_payments variation) has no results: it is owed from the
    # variation's effective date and named as a grant.
    granted = grant_periods(programme_id=programme.pk)
    names["metric"][GRANT_METRIC] = gettext("Grant for the period")
    lines = []
    for line, ids, amount in shares:
        behind = [results[i] for i in ids]
        lines.append(
            doc.NoticeLine(
                metric=names["metric"].get(line.metric, line.metric),
                cohort=names["cohort"].get(line.cohort, line.cohort),
                period=names["period"].get(line.period, line.period),
                stages=tuple(sorted({r.stage for r in behind})),
                # The line reached its amount when the last of its results was verified.
                verified_on=max(
                    (_verified_on(r) for r in behind),
                    default=granted.get(line.period, programme.start_date),
                ),
                result_ids=tuple(ids),
                count=line.count,
                amount=amount,
                disputed=any(i in disputed for i in ids),
            )
        )
    lines += _redemption_lines(programme, redemptions)
    lines.sort(key=lambda n: (n.verified_on, n.result_ids, n.metric, n.cohort, n.period))
    return tuple(_settle(lines, received))


def _redemption_lines(
    programme: Programme, redemptions: tuple[tuple[str, int], ...]
) -> list[doc.NoticeLine]:
    """Return one line per tranche whose principal redemption the payer owes, dated on
    the redemption (its maturity, or an early redemption's date) as the ledger books it."""
    if not redemptions:
        return []
    names = dict(Tranche.objects.filter(programme=programme).values_list("key", "name"))
    booked = LedgerTransaction.objects.filter(
        programme=programme, kind=TransactionKind.REDEMPTION_DUE
    ).order_by("occurred_on")
    early = redeemed_early_on(contract_definition(programme=programme))
    lines = []
    for tranche, amount in redemptions:
        on = (
            booked.filter(legs__account__commitment__tranche__key=tranche)
            .values_list("occurred_on", flat=True)
            .first()
        ) or programme.end_date
        if early is not None and on == early:
            text = gettext("Early redemption of tranche %(tranche)s") % {"tranche": names[tranche]}
        else:
            text = gettext("Redemption of tranche %(tranche)s at maturity") % {
                "tranche": names[tranche]
            }
        lines.append(
            doc.NoticeLine(
                metric=text,
                cohort="",
                period="",
                stages=(),
                verified_on=on,
                result_ids=(),
                count=0,
                amount=amount,
                redemption=True,
            )
        )
    return lines


def _verified_on(result: Result) -> date:
    return timezone.localdate(result.decision.decided_at)


def _settle(lines: list[doc.NoticeLine], received: int) -> list[doc.NoticeLine]:
    """Apply what the payer paid against its dues, oldest first; disputed dues are held."""
    left = max(received, 0)
    out = []
    for line in lines:
        part = 0 if line.disputed else max(min(left, line.amount), 0)
        left -= part
        out.append(replace(line, settled=part))
    return out


def _names(programme: Programme) -> dict[str, dict[str, str]]:
    return {
        "metric": dict(Metric.objects.filter(programme=programme).values_list("code", "name")),
        "cohort": dict(Cohort.objects.filter(programme=programme).values_list("code", "name")),
        "period": dict(
            MeasurementPeriod.objects.filter(programme=programme).values_list("code", "name")
        ),
    }


# Payments received from one payer (its receivable and advance accounts), and their
# reversals, chained at or before %(seq)s: one row per transaction, dated, with the name
# of the party that paid it when that is another payer (a joint payment).
_PAYMENTS = """
    SELECT t.id, t.occurred_on, t.kind = 'reversal', sum(l.credit) - sum(l.debit),
           min(p.name)
      FROM payments_leg l
      JOIN payments_ledger_transaction t ON t.id = l.transaction_id
      JOIN payments_account a ON a.id = l.account_id
      LEFT JOIN payments_ledger_transaction o ON o.id = t.reverses_id
      LEFT JOIN payments_joint_payment j ON j.transaction_id = coalesce(o.id, t.id)
      LEFT JOIN sib_organisation p ON p.id = j.paid_by_id AND p.id <> %(payer_id)s
     WHERE t.programme_id = %(programme_id)s
       AND a.organisation_id = %(payer_id)s
       AND a.kind IN ('payer_receivable', 'payer_advance')
       AND coalesce(o.kind, t.kind) = 'payment_received'
       AND t.id IN (SELECT object_id::bigint FROM sib_chain_entry
                     WHERE programme_id = %(programme_id)s AND kind = 'ledger_transaction'
                       AND seq <= %(seq)s)
     GROUP BY 1, 2, 3
     ORDER BY 2, 1
"""


def _payments(programme: Programme, payer: Organisation, seq: int) -> tuple[doc.NoticePayment, ...]:
    with connection.cursor() as cursor:
        cursor.execute(_PAYMENTS, {"programme_id": programme.pk, "payer_id": payer.pk, "seq": seq})
        rows = cursor.fetchall()
    return tuple(
        doc.NoticePayment(on=on, amount=int(amount), reversal=reversal, paid_by=paid_by or "")
        for _, on, reversal, amount, paid_by in rows
        if amount
    )


def _share_bp(programme: Programme, party: ProgrammeParty) -> int | None:
    """Return the payer's share of every payment in basis points, or None when payer
    splits make it depend on the cohort or metric (or it pays by a split only)."""
    if party.payer_share is None or _has_splits(programme):
        return None
    return int(party.payer_share * 100)


def _has_splits(programme: Programme) -> bool:
    splits = PaymentTerms.objects.filter(programme=programme).values_list("payer_splits", flat=True)
    return any(splits)

"""Everything one edition of a report prints for a programme, as of a chain state."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings

from payments.models import Commitment, PaymentTerms, TrancheKind
from reports import document as doc
from reports.models import Edition
from reports.selectors.manager import manager_data
from reports.selectors.money import investor_repayment, ledger_as_of
from reports.selectors.outcomes import outcomes_as_of
from reports.selectors.state import ChainState
from sib.models import Programme
from sib.privacy import edition_audience, log_for

_PARTY_ROLES = {
    "outcome_payer": "payer",
    "service_provider": "provider",
    "evaluator": "evaluator",
    "intermediary": "intermediary",
    "investor": "investor",
}


def mask_threshold_setting() -> int:
    """Return the public edition's small-count threshold (REPORT_MASK_THRESHOLD, default 10)."""
    return settings.REPORT_MASK_THRESHOLD


def report_data(
    *,
    programme: Programme,
    edition: str,
    language: str,
    state: ChainState,
    mask_threshold: int | None = None,
) -> doc.ReportData:
    """Return everything the report prints for `programme` as of `state`."""
    threshold = mask_threshold_setting() if mask_threshold is None else mask_threshold
    outcomes = outcomes_as_of(programme, state.seq, language)
    money = ledger_as_of(programme, state.seq, language)
    parties, guarantor_ids = _parties(programme)
    investors = investor_repayment(programme, money, guarantor_ids, edition_audience(edition))
    summary = doc.SummaryFigures(
        participants_enrolled=outcomes.enrolled,
        outcomes_verified=outcomes.verified_count,
        outcome_payments_paid=money.paid_total,
        outcome_payments_due=money.due_total,
        contract_cap=programme.contract_cap,
        cap_used=money.cap_used,
    )
    manager = None
    if edition == Edition.MANAGER:
        manager = manager_data(programme, state, guarantor_ids, money, language)
    return doc.ReportData(
        programme=doc.Programme(
            name=programme.name,
            slug=programme.slug,
            period_start=programme.start_date,
            period_end=programme.end_date,
            currency=programme.currency,
            parties=parties,
        ),
        edition=edition,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
        report_date=state.on,
        summary=summary,
        metrics=outcomes.sections,
        payments=money.payment_rows,
        investor_repayment=investors,
        verification_log=log_for(edition_audience(edition), outcomes.log),
        chain_head=doc.ChainHead(hash=state.head, entry_count=state.seq),
        manager=manager,
        mask_threshold=threshold,
        methodology_note=programme.target_population,
    )


def _parties(programme: Programme) -> tuple[tuple[doc.Party, ...], frozenset[int]]:
    """Return the programme's parties, guarantors told apart, and the guarantors' ids."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for investor_id, kind in Commitment.objects.filter(programme=programme).values_list(
        "investor_id", "tranche__kind"
    ):
        kinds[investor_id].add(kind)
    guarantors = frozenset(i for i, k in kinds.items() if k == {TrancheKind.GUARANTEE.value})
    # Payer splits (payments.payer_splits) make a payer's share depend on the cohort or
    # metric: no programme-wide share is printed then, as on the payer's notice.
    by_split = any(
        PaymentTerms.objects.filter(programme=programme).values_list("payer_splits", flat=True)
    )
    parties = []
    for party in programme.parties.select_related("organisation").order_by(
        "role", "organisation__name", "id"
    ):
        role = _PARTY_ROLES.get(party.role)
        if role is None:
            continue
        if role == "investor" and party.organisation_id in guarantors:
            role = "guarantor"
        share = None
        if party.payer_share is not None and not by_split:
            share = int((party.payer_share * 100).to_integral_value())
        parties.append(
            doc.Party(
                name=party.organisation.name,
                role=role,  # type: ignore[arg-type]
                share_bp=share,
                share_by_split=by_split and role == "payer",
                share_rest=party.payer_residual and not by_split,
            )
        )
    return tuple(parties), guarantors

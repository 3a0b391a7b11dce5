"""Vary an active programme's terms from a date: `programme_vary`, and its chain kind.

Kind "payments.programme_variation": one entry per `ProgrammeVariation` row, appended in
the transaction that records it, followed by the contract version that now carries it
(payments.contract), so the schedule at any chain state applies exactly the variations
chained at or before it. The canonical JSON carries ids, never names:

    {"actor":3,"created_at":"2026-07-01T09:00:00+00:00","effective_date":"2026-07-01",
     "id":7,"kind":"price_change","parameters":{"metric":"training","price":100000},
     "programme":1,"reason":"Agreed at the 2026 review"}
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from outcomes.mechanisms import RateCardMechanism
from outcomes.models import Cohort, MeasurementPeriod, Metric
from payments.contract import contract_version_record
from payments.models import ProgrammeVariation, Tranche, VariationKind
from payments.selectors import grant_periods
from sib.bounds import MAX_MONEY
from sib.chain import ChainKind, canonical_json, chain_append, chain_kind_register
from sib.clock import today
from sib.models import Programme, ProgrammeStatus, User
from sib.signals import programme_terms_changed
from sib.user_text import user_text

CHAIN_KIND = "payments.programme_variation"
PARAMETERS: dict[str, frozenset[str]] = {
    VariationKind.PRICE_CHANGE: frozenset({"metric", "price"}),
    VariationKind.PAUSE: frozenset(),
    VariationKind.RESUME: frozenset(),
    VariationKind.COHORT_REMOVED: frozenset({"cohort"}),
    VariationKind.EARLY_REDEMPTION: frozenset(),
    VariationKind.GRANT_PAYMENTS: frozenset({"periods", "amount"}),
}


def variation_canonical(variation: ProgrammeVariation) -> str:
    return canonical_json(
        {
            "actor": variation.actor_id,
            "created_at": variation.created_at.isoformat(),
            "effective_date": variation.effective_date.isoformat(),
            "id": variation.pk,
            "kind": variation.kind,
            "parameters": variation.parameters,
            "programme": variation.programme_id,
            "reason": variation.reason,
        }
    )


def _parameters_check(programme: Programme, kind: str, parameters: Any) -> dict[str, Any]:
    if not isinstance(parameters, dict):
        raise ValidationError({"parameters": _("Give the parameters as an object.")})
    unknown = sorted(set(parameters) - PARAMETERS[kind])
    if unknown:
        raise ValidationError(
            {f"parameters.{unknown[0]}": _("This kind of variation takes no such parameter.")}
        )
    if kind == VariationKind.PRICE_CHANGE:
        metric = Metric.objects.filter(programme=programme, code=parameters.get("metric")).first()
        if metric is None:
            raise ValidationError({"parameters.metric": _("No such metric on this programme.")})
        if (metric.mechanism or {}).get("kind") != RateCardMechanism.kind:
            raise ValidationError(
                {"parameters.metric": _("Only a rate-card metric's price can be changed.")}
            )
        price = parameters.get("price")
        if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= MAX_MONEY:
            raise ValidationError(
                {"parameters.price": _("Give the new price in minor units, a whole number.")}
            )
    if kind == VariationKind.COHORT_REMOVED:
        cohort = parameters.get("cohort")
        if not Cohort.objects.filter(programme=programme, code=cohort).exists():
            raise ValidationError({"parameters.cohort": _("No such cohort on this programme.")})
        removed = ProgrammeVariation.objects.filter(
            programme=programme, kind=kind, parameters__cohort=cohort
        )
        if removed.exists():
            raise ValidationError({"parameters.cohort": _("This cohort is already removed.")})
    if kind == VariationKind.GRANT_PAYMENTS:
        _grant_check(programme, parameters)
    return dict(parameters)


def _grant_check(programme: Programme, parameters: dict[str, Any]) -> None:
    """Refuse a grant switch of no period, of an unknown period or one switched already,
    or of an amount that is not a whole, positive number of minor units.

    A period whose results are verified, or even paid, may be switched: what each payer
    owes is restated (the results pay nothing, the grant is owed), and a payer that paid
    more than it now owes is in credit, netted against its next dues (payments.accrual).
    """
    periods = parameters.get("periods")
    if not isinstance(periods, list) or not periods:
        raise ValidationError({"parameters.periods": _("Give the periods switched, a list.")})
    known = set(
        MeasurementPeriod.objects.filter(programme=programme).values_list("code", flat=True)
    )
    switched = grant_periods(programme_id=programme.pk)
    for i, period in enumerate(periods):
        path = f"parameters.periods[{i}]"
        if not isinstance(period, str) or period not in known:
            raise ValidationError({path: _("No such period on this programme.")})
        if period in switched or period in periods[:i]:
            raise ValidationError({path: _("This period is already switched to a grant.")})
    amount = parameters.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_MONEY:
        raise ValidationError(
            {
                "parameters.amount": _(
                    "Give the grant for each period in minor units, a whole number above 0."
                )
            }
        )


def variation_check(
    *, programme: Programme, kind: str, effective_date: date, reason: str, parameters: Any
) -> dict[str, Any]:
    """Refuse a variation the contract does not allow, naming the field; return parameters."""
    if programme.status != ProgrammeStatus.ACTIVE:
        raise ValidationError({"programme": _("Only an active programme's terms can be varied.")})
    if kind not in PARAMETERS:
        raise ValidationError({"kind": _("Unknown kind of variation.")})
    reason = user_text(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the variation.")})
    if not (programme.start_date <= effective_date <= programme.end_date):
        raise ValidationError(
            {"effective_date": _("The effective date must fall within the programme.")}
        )
    last = (
        ProgrammeVariation.objects.filter(programme=programme)
        .order_by("-effective_date", "-id")
        .first()
    )
    if last is not None and effective_date < last.effective_date:
        raise ValidationError(
            {
                "effective_date": _(
                    "The effective date must not come before the last variation's (%(date)s)."
                )
                % {"date": last.effective_date.isoformat()}
            }
        )
    paused = last is not None and _paused(programme)
    if kind == VariationKind.PAUSE and paused:
        raise ValidationError({"kind": _("The programme is already paused.")})
    if kind == VariationKind.RESUME and not paused:
        raise ValidationError({"kind": _("The programme is not paused.")})
    if kind == VariationKind.EARLY_REDEMPTION:
        _early_redemption_check(programme)
    return _parameters_check(programme, kind, parameters)


def _early_redemption_check(programme: Programme) -> None:
    """An early redemption redeems the tranches with a redemption term, once."""
    if not Tranche.objects.filter(programme=programme, redemption__isnull=False).exists():
        raise ValidationError(
            {"kind": _("No tranche of this programme has a redemption term to redeem early.")}
        )
    if ProgrammeVariation.objects.filter(
        programme=programme, kind=VariationKind.EARLY_REDEMPTION
    ).exists():
        raise ValidationError({"kind": _("The programme is already redeemed early.")})


def _paused(programme: Programme) -> bool:
    last = (
        ProgrammeVariation.objects.filter(
            programme=programme, kind__in=[VariationKind.PAUSE, VariationKind.RESUME]
        )
        .order_by("-effective_date", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return last == VariationKind.PAUSE


@transaction.atomic
def programme_vary(
    *,
    programme: Programme,
    kind: str,
    effective_date: date,
    reason: str,
    parameters: dict[str, Any] | None = None,
    actor: User | None = None,
) -> ProgrammeVariation:
    """Vary an active programme's terms from `effective_date`, chained, never edited."""
    # The row lock first, then the chain (as a status change does: sib.chain.chain_lock):
    # two variations at once would each check against the other's missing "last".
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    reason = user_text(reason, field="reason")
    checked = variation_check(
        programme=locked,
        kind=kind,
        effective_date=effective_date,
        reason=reason,
        parameters=parameters if parameters is not None else {},
    )
    variation = ProgrammeVariation.objects.create(
        programme=locked,
        kind=kind,
        effective_date=effective_date,
        reason=reason,
        parameters=checked,
        actor=actor,
    )
    stored = ProgrammeVariation.objects.get(pk=variation.pk)
    chain_append(
        programme=locked,
        kind=CHAIN_KIND,
        object_id=stored.pk,
        canonical=variation_canonical(stored),
    )
    # The terms now carry the variation: the schedule of every later state applies it.
    contract_version_record(programme=locked)
    # What each payer owes is restated under the varied terms, as for a termination.
    programme_terms_changed.send(
        sender=Programme,
        programme=locked,
        on=today(),
        actor=actor,
        cause=f"{kind} from {effective_date.isoformat()}",
    )
    return stored


def _load_canonical(object_ids: list[str]) -> Iterable[tuple[str, str]]:
    ids = [int(i) for i in object_ids if i.isdigit()]
    for variation in ProgrammeVariation.objects.filter(pk__in=ids):
        yield str(variation.pk), variation_canonical(variation)


def register_chain_kind() -> None:
    chain_kind_register(
        ChainKind(
            CHAIN_KIND,
            _load_canonical,
            records_sql=(
                "SELECT id::text AS object_id FROM payments_programme_variation "
                "WHERE programme_id = %(programme_id)s"
            ),
            records_since_sql=(
                "SELECT id AS object_key FROM payments_programme_variation "
                "WHERE programme_id = %(programme_id)s AND id > %(after_key)s"
            ),
        )
    )

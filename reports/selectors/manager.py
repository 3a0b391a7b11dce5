"""What only the manager edition prints: positions, dated movements, waterfall, scenarios."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outcomes.models import Cohort, MeasurementPeriod, Metric
from payments.engine.metrics import moic, xirr
from payments.models import ProgrammeVariation, Tranche, VariationKind
from payments.returns import investor_returns
from payments.variations import CHAIN_KIND as VARIATION_CHAIN_KIND
from reports import document as doc
from reports.rendering.formatting import format_money, format_multiple, format_percent
from reports.rendering.labels import label
from reports.selectors.money import Money, repayment_category
from reports.selectors.state import ChainState
from reports.selectors_schedules import ScheduleFigures, StateSchedules, schedules_as_of
from sib.models import ChainEntry, Organisation, Programme


def manager_data(
    programme: Programme, state: ChainState, guarantors: frozenset[int], money: Money, lang: str
) -> doc.ManagerData:
    """Return each investor's position and dated movements, the waterfall and the scenarios.

    Positions, metrics and the dated schedule are the investors' returns to date as of
    the state (payments.returns: the figures the portal and the API show); the waterfall
    and the projections come from the schedule documents of that state
    (reports.selectors_schedules: stored at its chain head, else computed from it).
    """
    seq = state.seq
    schedule: list[doc.ScheduleRow] = []
    metrics: list[doc.InvestorMetrics] = []
    for r in investor_returns(programme=programme, seq=seq):
        if r.is_guarantee and r.investor_id in guarantors:
            continue
        outstanding = 0
        for m in r.movements:
            outstanding += m.drawn - m.principal_repaid
            schedule.append(
                doc.ScheduleRow(
                    investor=r.name,
                    on=m.on,
                    drawn=m.drawn,
                    principal_repaid=m.principal_repaid,
                    return_paid=m.return_paid,
                    outstanding=outstanding,
                )
            )
        metrics.append(
            doc.InvestorMetrics(
                investor=r.name,
                tranche=r.tranche_name,
                committed=r.committed,
                drawn=r.drawn,
                distributed=r.returned,
                xirr=r.xirr.value,
                moic=r.moic.value,
                dpi=r.dpi.value,
            )
        )
    schedule.sort(key=lambda row: (row.investor, row.on))
    waterfall: tuple[doc.WaterfallStep, ...] = ()
    totals = None
    scenarios: tuple[doc.ScenarioProjection, ...] = ()
    schedules = schedules_as_of(programme=programme, seq=seq, head=state.head)
    if schedules is not None:
        waterfall, totals = _waterfall(programme, schedules, money, lang)
        scenarios = tuple(_scenario(s, lang) for s in schedules.projections)
    return doc.ManagerData(
        waterfall=waterfall,
        schedule=tuple(schedule),
        investor_metrics=tuple(metrics),
        scenarios=scenarios,
        waterfall_totals=totals,
        variations=_variations(programme, seq, lang),
    )


def _variations(programme: Programme, seq: int, lang: str) -> doc.VariationTable | None:
    """Return the variations chained at or before the state: date, kind, what changed.

    The reason is the fund manager's own text: not printed (reports carry no free text
    written by users); the change is said from the recorded parameters.
    """
    chained = ChainEntry.objects.filter(
        programme=programme, kind=VARIATION_CHAIN_KIND, seq__lte=seq
    ).values_list("object_id", flat=True)
    rows = ProgrammeVariation.objects.filter(
        programme=programme, pk__in=[int(i) for i in chained]
    ).order_by("effective_date", "id")
    if not rows:
        return None
    with translation.override(lang):
        printed = tuple(
            doc.VariationRow(
                on=row.effective_date,
                kind=str(VariationKind(row.kind).label),
                change=_variation_change(row, programme, lang),
            )
            for row in rows
        )
        return doc.VariationTable(
            title=_("Contract variations"),
            headers=(_("From"), _("Variation"), _("What changed")),
            rows=printed,
        )


def _variation_change(row: ProgrammeVariation, programme: Programme, lang: str) -> str:
    """Return what a variation changed, e.g. "Enters training (training): price 1 000,00 €".

    Metrics and cohorts are named as the contract names them, their code beside (the
    variation records the code)."""
    parameters = row.parameters
    if row.kind == VariationKind.PRICE_CHANGE:
        price = format_money(int(parameters["price"]), programme.currency, lang)
        metric = _named(Metric, programme, parameters["metric"])
        return _("%(metric)s: price %(price)s") % {"metric": metric, "price": price}
    if row.kind == VariationKind.COHORT_REMOVED:
        return _("cohort %(cohort)s: its outcomes from this date are not payable") % {
            "cohort": _named(Cohort, programme, parameters["cohort"])
        }
    if row.kind == VariationKind.GRANT_PAYMENTS:
        amount = format_money(int(parameters["amount"]), programme.currency, lang)
        periods = ", ".join(_named(MeasurementPeriod, programme, p) for p in parameters["periods"])
        return _("%(periods)s: a grant of %(amount)s a period, its outcomes not payable") % {
            "periods": periods,
            "amount": amount,
        }
    if row.kind == VariationKind.PAUSE:
        return _("outcomes from this date are not payable until the programme resumes")
    if row.kind == VariationKind.EARLY_REDEMPTION:
        return _("investors' principal redeemed early: outcomes from this date are not payable")
    return _("outcomes from this date are payable again")


def _named(
    model: type[Metric] | type[Cohort] | type[MeasurementPeriod], programme: Programme, code: str
) -> str:
    name = model.objects.filter(programme=programme, code=code).values_list("name", flat=True)
    return f"{name[0]} ({code})" if name and name[0] != code else code


def _waterfall(
    programme: Programme, schedules: StateSchedules, money: Money, lang: str
) -> tuple[tuple[doc.WaterfallStep, ...], doc.WaterfallTotals]:
    """Return each step with what it was allocated, and how the payments were shared out."""
    actual = schedules.actual
    rows = Tranche.objects.filter(programme=programme).select_related("protects")
    tranche_names = {t.key: t.name for t in rows}
    covers = {t.key: _cover_text(t, programme, lang) for t in rows if t.protects is not None}
    coupons = {t.key: _coupon_text(t, lang) for t in rows if t.coupon}
    recipients = {
        str(step["recipient"]) for step in actual.steps if step.get("recipient") is not None
    }
    org_names = dict(
        Organisation.objects.filter(slug__in=sorted(recipients)).values_list("slug", "name")
    )
    steps = []
    for index, (step, allocated) in enumerate(zip(actual.steps, actual.by_step, strict=True)):
        if step["kind"] == "residual_to_payer":
            continue  # what is left is the residual row below the steps
        text = _step_text(step, schedules.tranches, tranche_names, org_names, programme, lang)
        if step["kind"] == "return" and step.get("tranche") in coupons:
            name = tranche_names.get(str(step["tranche"]), str(step["tranche"]))
            text = label(lang, "step_return").format(tranche=name, cap=coupons[step["tranche"]])
        if step["kind"] == "guarantee_reimbursement" and step.get("tranche") in covers:
            text += f" ({covers[str(step['tranche'])]})"
        cap = step.get("limit") if step["kind"] == "recycle" else step.get("cap")
        steps.append(doc.WaterfallStep(order=index + 1, label=text, allocated=allocated, cap=cap))
    distributed = sum(actual.by_step)
    totals = doc.WaterfallTotals(
        received=actual.received,
        distributed=distributed,
        residual=actual.residual,
        recorded=money.distributed,
        guarantee_called=actual.guarantee_called,
    )
    return tuple(steps), totals


def _step_text(
    step: dict[str, Any],
    tranches: dict[str, tuple[str, str | None, Decimal | None]],
    tranche_names: dict[str, str],
    org_names: dict[str, str],
    programme: Programme,
    lang: str,
) -> str:
    """Return a waterfall step as printed, e.g. "Return — Senior (capped at 5% a year)"."""
    kind = step["kind"]
    tranche = str(step.get("tranche", ""))
    recipient = str(step.get("recipient", ""))
    values = {
        "tranche": tranche_names.get(tranche, tranche),
        "recipient": org_names.get(recipient, recipient),
    }
    if "share" in step:
        values["share"] = format_percent(Decimal(step["share"]), lang)
    if kind == "fees":
        key = "step_fees_share" if "share" in step else "step_fees_amount"
        if "amount" in step:
            values["amount"] = format_money(int(step["amount"]), programme.currency, lang)
        return label(lang, key).format(**values)
    if kind == "return":
        _, cap_kind, cap_value = tranches.get(tranche, ("", None, None))
        values["cap"] = _cap_text(cap_kind, cap_value, lang)
    return label(lang, f"step_{kind}").format(**values)


def _cover_text(tranche: Tranche, programme: Programme, lang: str) -> str:
    """Return a guarantee's cover: "50 % of the principal loss of Senior, at most 150 000 €".

    Worded by the gettext catalogue (new report wording goes there, not in the labels
    table): the selectors run inside Django, the renderer only lays the text out.
    """
    assert tranche.protects is not None
    values = {"protected": tranche.protects.name}
    if tranche.cover_percent is not None:
        percent = tranche.cover_percent.normalize()
        places = max(0, -int(percent.as_tuple().exponent))
        values["percent"] = format_percent(percent / 100, lang, places=places)
    if tranche.cover_limit is not None:
        values["limit"] = format_money(tranche.cover_limit, programme.currency, lang)
    with translation.override(lang):
        if "percent" in values and "limit" in values:
            return _("%(percent)s of the principal loss of %(protected)s, at most %(limit)s") % (
                values
            )
        if "percent" in values:
            return _("%(percent)s of the principal loss of %(protected)s") % values
        return _("the principal loss of %(protected)s, at most %(limit)s") % values


def _coupon_text(tranche: Tranche, lang: str) -> str:
    """Return a coupon: "coupon of 3% to 15% a year on principal by the rate of restoration"."""
    terms = tranche.coupon_rates
    assert terms is not None

    def percent(value: Decimal) -> str:
        places = max(0, -int(value.as_tuple().exponent))
        return format_percent(value / 100, lang, places=places)

    values = {"low": percent(terms["low"]), "high": percent(terms["high"])}
    values["metric"] = terms["metric"]
    with translation.override(lang):
        if terms["minimum"] is None:
            return _(
                "coupon of %(low)s to %(high)s a year on principal by the rate of %(metric)s"
            ) % (values)
        values |= {"minimum": percent(terms["minimum"]), "years": terms["years"]}
        return (
            ngettext(
                "coupon of %(low)s to %(high)s a year on principal by the rate of %(metric)s, "
                "at least %(minimum)s in the first year",
                "coupon of %(low)s to %(high)s a year on principal by the rate of %(metric)s, "
                "at least %(minimum)s in the first %(years)s years",
                terms["years"],
            )
            % values
        )


def _cap_text(kind: str | None, value: Decimal | None, lang: str) -> str:
    if kind is None or value is None:
        return label(lang, "cap_none")
    if kind == "multiple":
        return label(lang, "cap_multiple").format(multiple=format_multiple(value, lang))
    return label(lang, f"cap_{kind}").format(rate=format_percent(value, lang))


def _scenario(figures: ScheduleFigures, lang: str) -> doc.ScenarioProjection:
    """Return one projection's totals for all lenders together."""
    assert figures.percent is not None
    percent = format_percent(figures.percent / 100, lang, places=0)
    returned = figures.principal_repaid + figures.guarantee_received
    rate = xirr(list(figures.flows)) if figures.flows else None
    return doc.ScenarioProjection(
        name=percent,
        assumptions=label(lang, "scenario_assumption").format(percent=percent),
        outcome_payments=figures.outcome_payments or 0,
        principal_repaid=figures.principal_repaid,
        return_paid=figures.return_paid,
        category=repayment_category(
            drawn=figures.drawn, principal_repaid=returned, return_paid=figures.return_paid
        ),
        moic=moic(drawn=figures.drawn, returned=returned + figures.return_paid).value,
        xirr=rate.value if rate is not None else None,
        drawn=figures.drawn,
        guarantee_paid=figures.guarantee_received,
    )

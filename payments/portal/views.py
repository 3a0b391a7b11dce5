"""Portal pages for money: dashboard, schedule, scenarios, investors, recording movements.

Reads come from the stored schedule documents and the ledger selectors the API uses;
writes go through the ledger's services inside sib.api.idempotency, with the key the
form carried since it was shown, so a double click or a reload records once.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from outcomes.selectors import cohort_list, metric_list, open_disputes, period_list
from payments import services
from payments.outcome_payments import outcome_payment_receive
from payments.payer_caps import payer_caps, payer_caps_from_plan, rest_payer_name
from payments.portal.distributions import step_name
from payments.portal.forms import DrawdownForm, PaymentReceivedForm, ScenarioForm
from payments.position import programme_position
from payments.returns import investor_returns
from payments.rules.programme import GRANT_METRIC
from payments.rules.unpriced import UNPRICED_REASONS
from payments.schedule_builder import schedule_document, schedule_documents
from payments.selectors import commitment_list, drawdown_list, tranche_list, tranche_names
from payments.selectors_portal import (
    money_overview,
    organisation_names,
    scenario_documents,
)
from payments.selectors_schedules import investor_statement
from sib.api.idempotency import idempotent
from sib.clock import today
from sib.exceptions import ApplicationError
from sib.models import Role
from sib.permissions import Action
from sib.portal.forms import add_service_errors
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access


def _access(request: AuthenticatedRequest, programme_id: int, action: Action) -> ProgrammeAccess:
    return programme_access(user=request.user, programme_id=programme_id, action=action)


def _names(document: dict[str, Any]) -> dict[str, str]:
    slugs = {i["investor"] for i in document["investors"]}
    slugs |= {d["recipient"] for d in document["schedule"]["distributions"]}
    slugs |= {p["payer"] for p in document["outcome_payments"]["payer_totals"]}
    return organisation_names(slugs)


@login_required
def dashboard(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.COMMITMENT_VIEW_ALL)
    overview = money_overview(programme=access.programme, today=today())
    names = organisation_names({d["recipient"] for d in overview.next_repayments})
    tranches = {t["tranche"]: t["name"] for t in overview.tranches}
    repayments = [
        {
            **d,
            "on": date.fromisoformat(d["on"]),
            "name": names.get(d["recipient"], d["recipient"]),
            "step": step_name(d["step_kind"]),
            "tranche_name": tranches.get(d["tranche"], d["tranche"]) if d["tranche"] else "",
        }
        for d in overview.next_repayments
    ]
    return render(
        request,
        "payments/portal/dashboard.html",
        programme_context(access, overview=overview, repayments=repayments),
    )


@login_required
def schedule(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.SCHEDULE_RUN)
    document, forecast = schedule_documents(
        programme=access.programme, percents=(None, Decimal(100))
    )
    projected = {m["investor"]: m for m in forecast["investors"]}
    names = _names(document)
    tranches = tranche_names(programme_id=access.programme.pk)
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in document["schedule"]["lines"]:
        name = tranches.get(line["tranche"], line["tranche"])
        lines.setdefault(line["investor"], []).append({**line, "tranche_name": name})
    # To date is what the ledger records as paid (payments.returns), as in the manager
    # PDF and the position API; the waterfall's figures are the projection and the lines.
    investors = [
        {
            "to_date": r,
            "projected": projected.get(r.investor),
            "name": r.name,
            "lines": lines.get(r.investor, []),
        }
        for r in investor_returns(programme=access.programme, by_investor=True)
    ]
    return render(
        request,
        "payments/portal/schedule.html",
        programme_context(
            access,
            document=document,
            investors=investors,
            names=names,
            # What the waterfall allocates is proposed; what was received and paid out is
            # the ledger's. An advance not yet applied is received but not run through it.
            position_totals=programme_position(programme=access.programme).totals,
        ),
    )


@login_required
def scenarios(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.SCHEDULE_RUN)
    form = ScenarioForm(request.GET or None)
    extra: Decimal | None = None
    if form.is_valid():
        extra = form.cleaned_data.get("percent")
    documents = scenario_documents(programme=access.programme, extra=extra)
    names = _names(documents[0][1])
    columns = [
        {
            "percent": percent,
            "chosen": percent == extra,
            "due": d["outcome_payments"]["total"],
            "received": d["schedule"]["totals"]["received"],
            "distributed": d["schedule"]["totals"]["distributed"],
            "residual": d["schedule"]["totals"]["residual"],
            "investors": {i["investor"]: i for i in d["investors"]},
        }
        for percent, d in documents
    ]
    investor_rows = [
        {
            "name": names.get(slug, slug),
            "cells": [c["investors"].get(slug) for c in columns],
        }
        for slug in columns[0]["investors"]
    ]
    return render(
        request,
        "payments/portal/scenarios.html",
        programme_context(access, form=form, columns=columns, investor_rows=investor_rows),
    )


@login_required
def investors(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.COMMITMENT_VIEW_ALL)
    return render(
        request,
        "payments/portal/investors.html",
        programme_context(
            access,
            tranches=tranche_list(programme_id=access.programme.pk).order_by("priority"),
            commitments=commitment_list(access=access),
        ),
    )


def _record(
    request: AuthenticatedRequest,
    access: ProgrammeAccess,
    form: Any,
    operation: str,
    body: dict[str, Any],
    perform: Any,
    aliases: dict[str, str] | None = None,
) -> HttpResponse | None:
    """Run `perform` once for the form's key; return the redirect, or None to show errors
    (a service's field named by `aliases` shown beside the form's field)."""
    try:
        response = idempotent(
            scope=f"programme:{access.programme.pk}",
            key=form.cleaned_data["idempotency_key"],
            operation=operation,
            body=body,
            perform=perform,
        )
    except (ValidationError, ApplicationError) as error:
        add_service_errors(form, error, **(aliases or {}))
        return None
    if response.status_code == 200:  # the same form posted again: recorded once
        messages.info(request, _("This was already recorded; nothing was recorded twice."))
    return HttpResponseRedirect(
        reverse("payments_portal:schedule", kwargs={"programme_id": access.programme.pk})
    )


@login_required
def drawdown_record(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.DRAWDOWN_RECORD)
    form = DrawdownForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        commitment = data["commitment"]

        def perform() -> tuple[int, dict[str, Any]]:
            drawdown = services.drawdown_record(
                commitment=commitment,
                called_on=data["called_on"],
                amount=data["amount"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
            )
            messages.success(request, _("Drawdown recorded."))
            return 201, {"drawdown": drawdown.pk}

        body = {
            "commitment": commitment.pk,
            "called_on": data["called_on"].isoformat(),
            "amount": data["amount"],
        }
        done = _record(request, access, form, "portal:drawdown_record", body, perform)
        if done:
            return done
    recent = list(drawdown_list(access=access).order_by("-called_on", "-id")[:10])
    return render(
        request,
        "payments/portal/drawdown_record.html",
        programme_context(access, form=form, recent=recent),
    )


@login_required
def payment_record(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    form = PaymentReceivedForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["confirmed"]:
        # Recording money is irreversible but by a reversal: show the figures first.
        owed = programme_position(programme=access.programme).payer(form.cleaned_data["payer"].slug)
        return render(
            request,
            "payments/portal/payment_confirm.html",
            programme_context(
                access,
                form=form,
                owed=owed,
                amount=form.cleaned_data["amount"],
                above=max(form.cleaned_data["amount"] - owed.payable, 0),
            ),
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform() -> tuple[int, dict[str, Any]]:
            tx = outcome_payment_receive(
                programme=access.programme,
                payer=data["payer"],
                amount=data["amount"],
                received_on=data["received_on"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
                advance=data["advance"],
            )
            messages.success(
                request,
                _("Payment recorded. The schedule is recomputed with it."),
            )
            return 201, {"transaction": tx.pk}

        body = {
            "payer": data["payer"].slug,
            "received_on": data["received_on"].isoformat(),
            "amount": data["amount"],
            "advance": data["advance"],
        }
        done = _record(request, access, form, "portal:payment_received_record", body, perform)
        if done:
            return done
    position = programme_position(programme=access.programme)
    return render(
        request,
        "payments/portal/payment_record.html",
        programme_context(
            access,
            form=form,
            position=position,
            caps=payer_caps(programme=access.programme),
            rest_payer=rest_payer_name(programme=access.programme),
        ),
    )


@login_required
def outcome_payments(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.PAYMENT_VIEW)
    document = schedule_document(programme=access.programme)
    names = _names(document)
    position = programme_position(programme=access.programme)
    # A line counting a disputed result is flagged: part of its amount is held apart.
    disputed = {dispute.result_id for dispute in open_disputes(programme=access.programme)}
    # The schedule document speaks in codes; the page shows the names, each code beside.
    metrics = {m.code: m.name for m in metric_list(programme=access.programme)}
    # A period's grant (a grant_payments variation) pays for no metric: named as a grant.
    metrics[GRANT_METRIC] = _("Grant for the period")
    cohorts = {c.code: c.name for c in cohort_list(programme=access.programme)}
    periods = {p.code: p.name for p in period_list(programme=access.programme)}
    lines = [
        {
            **line,
            "disputed": not disputed.isdisjoint(line["result_ids"]),
            "metric_name": metrics.get(line["metric"], line["metric"]),
            "cohort_name": cohorts.get(line["cohort"], line["cohort"]),
            "period_name": periods.get(line["period"], line["period"]),
        }
        for line in document["outcome_payments"]["lines"]
    ]
    # Verified results the contract does not price: shown as such, never as 0.
    unpriced = [
        {
            **line,
            "metric_name": metrics.get(line["metric"], line["metric"]),
            "cohort_name": cohorts.get(line["cohort"], line["cohort"]),
            "period_name": periods.get(line["period"], line["period"]),
        }
        for line in document["outcome_payments"]["not_payable"]
        if line["reason"] in UNPRICED_REASONS
    ]
    return render(
        request,
        "payments/portal/outcome_payments.html",
        programme_context(
            access,
            document=document,
            position=position,
            # The same document's reading of the payers' caps (payments.payer_caps).
            caps=payer_caps_from_plan(document["outcome_payments"]),
            rest_payer=rest_payer_name(programme=access.programme),
            names=names,
            lines=lines,
            unpriced=unpriced,
            has_disputed=any(line["disputed"] for line in lines),
        ),
    )


@login_required
def my_commitments(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.COMMITMENT_VIEW_OWN)
    organisations = [
        m.organisation for m in access.memberships if m.role == Role.INVESTOR and m.organisation
    ]
    if not organisations:
        raise PermissionDenied(_("Your investor membership names no organisation."))
    statement = investor_statement(programme=access.programme, investor=organisations[0].slug)
    # Recorded figures from the ledger's position; the statement's distributions are what
    # the waterfall proposes, shown beside them.
    mine = [
        i
        for i in programme_position(programme=access.programme).investors
        if i.investor == organisations[0].slug
    ]
    recorded = {
        key: sum(getattr(i, key) for i in mine)
        for key in ("drawn", "principal_repaid", "return_paid", "principal_outstanding")
    }
    tranches = tranche_names(programme_id=access.programme.pk)
    # The statement is JSON (ISO dates, step codes): dated and named in the user's language.
    proposed = [
        {
            "on": date.fromisoformat(d["on"]),
            "step": step_name(d["step_kind"]),
            "tranche": d.get("tranche"),
            "tranche_name": tranches.get(d["tranche"], d["tranche"]) if d.get("tranche") else "",
            "amount": d["amount"],
        }
        for d in statement["proposed"]["distributions"]
    ]
    return render(
        request,
        "payments/portal/my_commitments.html",
        programme_context(
            access,
            organisation=organisations[0],
            commitments=commitment_list(access=access),
            proposed=proposed,
            recorded=recorded,
        ),
    )

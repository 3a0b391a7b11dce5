"""The pages of the guided programme setup: one per section, a review, then the loader.

Every step posts its forms; the section they make is checked by the format's own
validation on the definition built so far (`document.step_errors`), and kept in the
session only when nothing is refused. "Preview" shows the rate card (metrics) or the
engine's waterfall on an example payment (waterfall) without moving on. The review lists
the whole definition; "Create the draft" loads it with `programme_definition_load`, the
upload's loader, and leads to the activation review.
"""

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sib.portal.setup_steps import document as doc
from sib.portal.setup_steps import forms as step_forms
from sib.portal.views import AuthenticatedRequest
from sib.programme_format import (
    DefinitionError,
    programme_definition_errors,
    programme_definition_load,
)
from sib.scoping import may_open_programmes
from sib.signals import waterfall_preview

STEPS = [
    ("programme", gettext_lazy("Programme")),
    ("parties", gettext_lazy("Parties")),
    ("cohorts", gettext_lazy("Cohorts")),
    ("periods", gettext_lazy("Periods")),
    ("metrics", gettext_lazy("Metrics and prices")),
    ("tranches", gettext_lazy("Tranches and commitments")),
    ("waterfall", gettext_lazy("Waterfall")),
    ("review", gettext_lazy("Review")),
]
NAMES = [name for name, _label in STEPS]
Parts = list[tuple[Any, Any]]  # (heading, form or formset)
Make = Callable[[], tuple[Any, doc.Owners]]


def _require_right(request: AuthenticatedRequest) -> None:
    if not may_open_programmes(request.user):
        raise PermissionDenied(_("Only administrators and users allowed to open programmes may."))


def _post(request: AuthenticatedRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _initial(request: AuthenticatedRequest, rows: list[dict[str, Any]]) -> Any:
    """Return the rows a formset shows, or None when it is posted: a posted row counts when
    it is filled in, and a row as shown is filled in (has_changed compares to blank)."""
    return None if request.method == "POST" else rows


def _valid(parts: Parts) -> bool:
    # After `attach`: a form's errors include the format's, so is_valid sees them too.
    return all(part.is_valid() for _heading, part in parts)


def _page(
    request: AuthenticatedRequest,
    step: str,
    parts: Parts,
    make: Make,
    preview: Callable[[dict[str, Any]], Any] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    document = doc.draft(request.session)
    left: doc.Errors = []
    shown = None
    if request.method == "POST":
        for _heading, part in parts:
            part.is_valid()
        section, owners = make()
        candidate = {**document, step: section}
        left = doc.attach(doc.step_errors(candidate, step), owners)
        if request.POST.get("action") == "preview" and preview is not None:
            shown = preview(candidate)
        elif not left and _valid(parts):
            doc.draft_save(request.session, candidate)
            return redirect("portal:programme-steps", NAMES[NAMES.index(step) + 1])
    page = {
        "steps": STEPS,
        "step": step,
        "title": dict(STEPS)[step],
        "parts": parts,
        "left": left,
        "preview": shown,
        "has_preview": preview is not None,
        "previous": NAMES[NAMES.index(step) - 1] if step != NAMES[0] else None,
        **(context or {}),
    }
    return render(request, "portal/setup_step.html", page)


def _programme(request: AuthenticatedRequest, document: dict[str, Any]) -> HttpResponse:
    form = step_forms.ProgrammeForm(_post(request), initial=doc.programme_initial(document))

    def make() -> tuple[Any, doc.Owners]:
        before = document.get("programme") or {}
        section = doc.programme_section(form.cleaned_data, before) if form.is_valid() else before
        return section, {"programme": (form, None)}

    return _page(request, "programme", [(None, form)], make)


def _parties(request: AuthenticatedRequest, document: dict[str, Any]) -> HttpResponse:
    payers_initial, roles_initial = doc.parties_initial(document)
    payers = step_forms.formset(step_forms.PayerForm, extra=2)(
        _post(request), initial=_initial(request, payers_initial), prefix="payers"
    )
    roles = step_forms.RolesForm(_post(request), initial=roles_initial)

    def make() -> tuple[Any, doc.Owners]:
        return doc.parties_section(doc.rows(payers), roles)

    parts = [(gettext_lazy("Outcome payers and their shares"), payers), (None, roles)]
    return _page(request, "parties", parts, make)


def _list(
    request: AuthenticatedRequest, document: dict[str, Any], step: str, form: type[forms.Form]
) -> HttpResponse:
    keys = tuple(form.base_fields)
    rows = step_forms.formset(form, extra=2)(
        _post(request),
        initial=_initial(request, doc.dated_initial(document.get(step) or [])),
        prefix=step,
    )

    def make() -> tuple[Any, doc.Owners]:
        return doc.list_section(step, doc.rows(rows), keys)

    return _page(request, step, [(None, rows)], make)


def _metrics(request: AuthenticatedRequest, document: dict[str, Any]) -> HttpResponse:
    choices = {
        key: [(item["code"], item["name"]) for item in document.get(key) or []]
        for key in ("cohorts", "periods")
    }
    rows = step_forms.formset(step_forms.MetricForm, extra=1)(
        _post(request),
        initial=_initial(request, doc.metrics_initial(document)),
        prefix="metrics",
        form_kwargs={"currency": doc.currency_of(document), **choices},
    )

    def preview(candidate: dict[str, Any]) -> Any:
        return doc.rate_card(candidate, candidate["metrics"])

    saved = document.get("metrics")
    context = {"rate_card": doc.rate_card(document, saved) if saved else None}
    return _page(
        request,
        "metrics",
        [(None, rows)],
        lambda: doc.metrics_section(doc.rows(rows)),
        preview,
        context,
    )


def _tranches(request: AuthenticatedRequest, document: dict[str, Any]) -> HttpResponse:
    tranches_initial, commitments_initial = doc.tranches_initial(document)
    currency = doc.currency_of(document)
    tranches = step_forms.formset(step_forms.TrancheForm, extra=1)(
        _post(request), initial=_initial(request, tranches_initial), prefix="tranches"
    )
    commitments = step_forms.formset(step_forms.CommitmentForm, extra=2)(
        _post(request),
        initial=_initial(request, commitments_initial),
        prefix="commitments",
        form_kwargs={"currency": currency},
    )

    def make() -> tuple[Any, doc.Owners]:
        return doc.tranches_section(doc.rows(tranches), doc.rows(commitments))

    parts = [
        (gettext_lazy("Tranches"), tranches),
        (gettext_lazy("Investors' commitments"), commitments),
    ]
    return _page(request, "tranches", parts, make)


def _example(document: dict[str, Any], typed: int | None) -> int:
    """Return the example payment: as typed, or every commitment (enough to repay them)."""
    if typed:
        return typed
    committed = sum(
        commitment["amount"]
        for tranche in document.get("tranches") or []
        for commitment in tranche.get("commitments") or []
    )
    return committed or 100_000


def _waterfall(request: AuthenticatedRequest, document: dict[str, Any]) -> HttpResponse:
    currency = doc.currency_of(document)
    steps = step_forms.formset(step_forms.StepForm, extra=1, order=True)(
        _post(request),
        initial=_initial(request, doc.waterfall_initial(document)),
        prefix="steps",
        form_kwargs={"currency": currency},
    )
    example = step_forms.WaterfallPreviewForm(_post(request), currency=currency)

    def preview(candidate: dict[str, Any]) -> Any:
        typed = example.cleaned_data.get("example") if example.is_valid() else None
        amount = _example(candidate, typed)
        end = str(candidate["programme"]["end_date"])
        answers = waterfall_preview.send(
            sender=None, document=candidate, amount=amount, on=date.fromisoformat(end)
        )
        # Receivers render their figures with Django's templates (escaped).
        return mark_safe("".join(str(html) for _receiver, html in answers))  # noqa: S308

    parts = [(None, steps), (gettext_lazy("Preview"), example)]
    return _page(
        request, "waterfall", parts, lambda: doc.waterfall_section(doc.rows(steps)), preview
    )


def _review(request: AuthenticatedRequest, document: dict[str, Any]) -> HttpResponse:
    errors = programme_definition_errors(document)
    if request.method == "POST" and request.POST.get("action") == "clear":
        doc.draft_clear(request.session)
        return redirect("portal:programme-steps", NAMES[0])
    if request.method == "POST" and not errors:
        try:
            programme = programme_definition_load(
                document, creator=request.user, names_people=request.user.is_staff
            )
        except DefinitionError as refusal:
            errors = refusal.errors
        else:
            doc.draft_clear(request.session)
            messages.success(
                request, _("The draft of “%(name)s” is created.") % {"name": programme.name}
            )
            return redirect("portal:programme-activation", programme.pk)
    whole = _("(whole document)")
    listing = [
        (name, json.dumps(document[name], indent=2, ensure_ascii=False))
        for name in NAMES
        if name in document
    ]
    context = {
        "steps": STEPS,
        "step": "review",
        "title": dict(STEPS)["review"],
        "errors": [(path or whole, message) for path, message in errors],
        "listing": listing,
        "definition": json.dumps(document, indent=2, ensure_ascii=False),
    }
    return render(request, "portal/setup_review.html", context)


PAGES = {
    "programme": _programme,
    "parties": _parties,
    "metrics": _metrics,
    "tranches": _tranches,
    "waterfall": _waterfall,
    "review": _review,
}


@login_required
def programme_steps(request: AuthenticatedRequest, step: str = "") -> HttpResponse:
    _require_right(request)
    if step not in NAMES:
        return redirect("portal:programme-steps", NAMES[0])
    document = doc.draft(request.session)
    if step != NAMES[0] and "programme" not in document:
        # Every later step reads the currency and the contract's dates.
        return redirect("portal:programme-steps", NAMES[0])
    if step in ("cohorts", "periods"):
        form = step_forms.CohortForm if step == "cohorts" else step_forms.PeriodForm
        return _list(request, document, step, form)
    return PAGES[step](request, document)

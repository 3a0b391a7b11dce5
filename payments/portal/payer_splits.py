"""The payer splits of a programme, from the portal (docs/portal.md, "Payer splits").

A payer split (docs/programme-format.md, `payer_shares`) says how the outcome payments of
some cohorts and/or metrics are shared between the payers, instead of the parties'
programme-wide shares. A fund manager sees them here and, while the programme is a
draft, edits them: one row per split (its cohorts, its metrics, each payer's share), a
row to add one, a box to remove one. The rows become the format's entries; the format's
own check (`payer_splits_errors`) says each refusal beside its field, in the user's
language, and `payer_splits_set` writes them (chaining a new contract version, as any
change of the terms does). Once the programme is active the splits are terms of the
contract: the page shows them, and a change goes through a contract variation.
"""

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.models import Cohort, Metric
from payments.payer_splits import SECTION, payer_splits_errors, payer_splits_of, payer_splits_set
from payments.rules.payers import REST
from sib.models import PartyRole, Programme, ProgrammeStatus
from sib.permissions import Action
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access

# What a manager may type for the payer of the rest, beside the format's own word.
REST_WORDS = {REST, "the rest", "reste", "le reste"}
_SEPARATORS = re.compile(r"[\s,;]+")
_PATH = re.compile(rf"^{SECTION}\[(\d+)\](.*)$")
_SHARE_PATH = re.compile(r"^\.shares\[(\d+)\]")


@dataclass(frozen=True)
class Payer:
    slug: str
    name: str

    @property
    def field(self) -> str:
        return f"share_{self.slug}"


def _payers(programme: Programme) -> list[Payer]:
    parties = programme.parties.filter(role=PartyRole.OUTCOME_PAYER).select_related("organisation")
    rows = sorted(parties, key=lambda p: p.organisation.slug)
    return [Payer(p.organisation.slug, p.organisation.name) for p in rows]


def _codes(value: str) -> list[str]:
    return [code for code in _SEPARATORS.split(value.strip()) if code]


class ShareField(forms.CharField):
    """A payer's share in a split: a percentage ("40", "33,3333"), "rest", or nothing.

    Kept as the text typed (a comma read as the decimal point): the format's check, not
    this field, refuses a share finer than the ledger keeps, and nothing is rounded.
    """

    def clean(self, value: Any) -> str:
        text = " ".join(super().clean(value).replace("\u00a0", " ").split())
        if not text:
            return ""
        if text.lower() in REST_WORDS or text.lower() == _("the rest").lower():
            return REST
        number = text.rstrip("%").replace(" ", "").replace(",", ".")
        # Digits and one point only: no sign, no exponent, no "NaN" reach the format.
        if not number.replace(".", "", 1).isdigit():
            raise ValidationError(_("Enter a percentage, or “rest”."))
        return number


class SplitForm(forms.Form):
    """One payer split: its cohorts, its metrics and each payer's share."""

    def __init__(
        self, *args: Any, payers: list[Payer], cohorts: list[str], metrics: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.payers = payers
        self.fields["cohorts"] = forms.CharField(
            label=gettext_lazy("Cohorts"),
            required=False,
            help_text=_("Codes, separated by commas (empty: every cohort). The cohorts: %(codes)s.")
            % {"codes": ", ".join(cohorts)},
        )
        self.fields["metrics"] = forms.CharField(
            label=gettext_lazy("Metrics"),
            required=False,
            help_text=_("Codes, separated by commas (empty: every metric). The metrics: %(codes)s.")
            % {"codes": ", ".join(metrics)},
        )
        for payer in payers:
            self.fields[payer.field] = ShareField(
                label=_("%(payer)s, share (%%)") % {"payer": payer.name},
                required=False,
                help_text=gettext_lazy("A percentage, “rest”, or empty if it pays none of it."),
            )

    def entry(self) -> dict[str, Any] | None:
        """Return the split as the format writes it, or None for a row left empty."""
        data = self.cleaned_data
        entry: dict[str, Any] = {}
        for key in ("cohorts", "metrics"):
            codes = _codes(data.get(key) or "")
            if codes:
                entry[key] = codes
        shares = [
            {"payer": payer.slug, "share": data[payer.field]}
            for payer in self.payers
            if data.get(payer.field)
        ]
        if not entry and not shares:
            return None
        entry["shares"] = shares
        return entry

    def field_of(self, rest: str, shares: list[dict[str, Any]]) -> str | None:
        """Return the field a refusal at `rest` (the path below the split) belongs to."""
        for key in ("cohorts", "metrics"):
            if rest.startswith(f".{key}"):
                return key
        found = _SHARE_PATH.match(rest)
        if found and int(found.group(1)) < len(shares):
            return f"share_{shares[int(found.group(1))]['payer']}"
        return None


SplitFormSet = forms.formset_factory(SplitForm, extra=1, can_delete=True)


def _initial(splits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for split in splits:
        row = {
            "cohorts": ", ".join(split.get("cohorts", [])),
            "metrics": ", ".join(split.get("metrics", [])),
        }
        for share in split["shares"]:
            row[f"share_{share['payer']}"] = (
                _("the rest") if share["share"] == REST else share["share"]
            )
        rows.append(row)
    return rows


def _entries(formset: Any) -> tuple[list[dict[str, Any]], list[SplitForm]]:
    """Return the splits the rows give, and the row each came from."""
    entries, rows = [], []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            continue
        entry = form.entry()
        if entry is not None:
            entries.append(entry)
            rows.append(form)
    return entries, rows


def _place(
    errors: list[tuple[str, str]], entries: list[dict[str, Any]], rows: list[SplitForm]
) -> list[str]:
    """Put each refusal beside its field; return those of the page as a whole."""
    page = []
    for path, message in errors:
        found = _PATH.match(path)
        if found is None or int(found.group(1)) >= len(rows):
            page.append(message)
            continue
        i, rest = int(found.group(1)), found.group(2)
        form = rows[i]
        form.add_error(form.field_of(rest, entries[i]["shares"]), message)
    return page


def split_rows(programme: Programme, splits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the splits in words, for the read-only table."""
    names = {payer.slug: payer.name for payer in _payers(programme)}
    return [
        {
            "cohorts": ", ".join(split.get("cohorts", [])) or _("every cohort"),
            "metrics": ", ".join(split.get("metrics", [])) or _("every metric"),
            "shares": [
                {
                    "payer": share["payer"],
                    "name": names.get(share["payer"], share["payer"]),
                    "share": share["share"],
                    "rest": share["share"] == REST,
                }
                for share in split["shares"]
            ],
        }
        for split in splits
    ]


@login_required
def payer_splits(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.PROGRAMME_MANAGE
    )
    programme = access.programme
    splits = payer_splits_of(programme=programme)
    editable = programme.status == ProgrammeStatus.DRAFT
    context: dict[str, Any] = {"editable": editable, "rows": split_rows(programme, splits)}
    if not editable:
        if request.method == "POST":
            # The service says why (the splits are fixed once active); nothing is written.
            try:
                payer_splits_set(programme=programme, splits=splits)
            except ValidationError as refusal:
                for message in refusal.messages:
                    messages.error(request, message)
            return redirect("payments_portal:payer-splits", programme.pk)
        return render(
            request, "payments/portal/payer_splits.html", programme_context(access, **context)
        )
    options = {
        "payers": _payers(programme),
        "cohorts": list(Cohort.objects.filter(programme=programme).values_list("code", flat=True)),
        "metrics": list(Metric.objects.filter(programme=programme).values_list("code", flat=True)),
    }
    posted = request.method == "POST"
    formset = SplitFormSet(
        request.POST if posted else None,
        initial=None if posted else _initial(splits),
        form_kwargs=options,
        prefix="split",
    )
    page_errors: list[str] = []
    if posted and formset.is_valid():
        entries, rows = _entries(formset)
        page_errors = _place(
            payer_splits_errors(programme=programme, splits=entries), entries, rows
        )
        if not page_errors and all(form.is_valid() for form in rows):
            try:
                payer_splits_set(programme=programme, splits=entries)
            except ValidationError as refusal:
                # Changed since the check (another manager, an activation): say it whole.
                page_errors = refusal.messages
            else:
                messages.success(request, _("The payer splits are saved."))
                return redirect("payments_portal:payer-splits", programme.pk)
    context.update(formset=formset, page_errors=page_errors, payers=options["payers"])
    return render(
        request, "payments/portal/payer_splits.html", programme_context(access, **context)
    )

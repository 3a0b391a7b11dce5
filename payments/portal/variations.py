"""Contract variations from the portal: the programme's variations, and a form to record one.

A fund manager picks a kind, an effective date and a reason, and the kind's parameters.
The next page shows what each payer owes now and would owe once varied (the engine run
with and without the variation, nothing written: payments.variation_preview); only the
confirmed POST records it through `programme_vary`, which chains it and has the ledger
restate what each payer owes. The rights are the API's (sib.permissions): the list is
read by whoever sees the payments due (`VARIATION_VIEW`: the payers' funders too, without
the form), the form is the fund manager's (`VARIATION_RECORD`).

A kind is one entry of VARIATION_KINDS: the form fields that carry its parameters (each
named as the parameter) and how the list says what it changed. A new kind is a new entry,
plus a field in PARAMETER_FIELDS if it takes a parameter no kind took before.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from outcomes.models import Cohort, MeasurementPeriod, Metric
from outcomes.rule_json import RuleError
from payments.models import ProgrammeVariation, VariationKind
from payments.portal.forms import DateInput
from payments.variation_preview import variation_preview
from payments.variations import programme_vary
from sib.models import Programme, ProgrammeStatus
from sib.money import format_money
from sib.permissions import VARIATION_RECORD, VARIATION_VIEW
from sib.portal.forms import MoneyField, add_service_errors
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access

Names = dict[str, dict[str, str]]


@dataclass(frozen=True)
class KindEntry:
    """One kind of variation as the form offers it."""

    kind: str
    # The form fields carrying its parameters, each named as the parameter it fills.
    fields: tuple[str, ...]
    # What it changed, in words, from its parameters (the list of variations).
    describe: Callable[[dict[str, Any], Programme, Names], str]


def _named(names: dict[str, str], code: str) -> str:
    name = names.get(code, code)
    return f"{name} ({code})" if name != code else code


def _price_change(parameters: dict[str, Any], programme: Programme, names: Names) -> str:
    price = format_money(int(parameters["price"]), programme.currency, get_language() or "fr")
    metric = _named(names["metric"], parameters["metric"])
    return _("%(metric)s: price %(price)s") % {"metric": metric, "price": price}


def _cohort_removed(parameters: dict[str, Any], programme: Programme, names: Names) -> str:
    return _("cohort %(cohort)s: its outcomes from this date are not payable") % {
        "cohort": _named(names["cohort"], parameters["cohort"])
    }


def _grant_payments(parameters: dict[str, Any], programme: Programme, names: Names) -> str:
    amount = format_money(int(parameters["amount"]), programme.currency, get_language() or "fr")
    periods = ", ".join(_named(names["period"], code) for code in parameters["periods"])
    return _("%(periods)s: a grant of %(amount)s for each period instead of its outcomes") % {
        "periods": periods,
        "amount": amount,
    }


VARIATION_KINDS: tuple[KindEntry, ...] = (
    KindEntry(VariationKind.PRICE_CHANGE, ("metric", "price"), _price_change),
    KindEntry(
        VariationKind.PAUSE,
        (),
        lambda *_a: _("outcomes from this date are not payable until the programme resumes"),
    ),
    KindEntry(VariationKind.RESUME, (), lambda *_a: _("outcomes from this date are payable again")),
    KindEntry(VariationKind.COHORT_REMOVED, ("cohort",), _cohort_removed),
    KindEntry(VariationKind.GRANT_PAYMENTS, ("periods", "amount"), _grant_payments),
    KindEntry(
        VariationKind.EARLY_REDEMPTION,
        (),
        lambda *_a: _(
            "the tranches with a redemption term are owed their year's percentage; "
            "outcomes from this date are not payable"
        ),
    ),
)
KINDS = {entry.kind: entry for entry in VARIATION_KINDS}


def _metric_field(programme: Programme) -> forms.Field:
    codes = Metric.objects.filter(programme=programme).order_by("code")
    return forms.ChoiceField(
        label=gettext_lazy("Metric"),
        required=False,
        choices=[("", "—"), *((m.code, f"{m.name} ({m.code})") for m in codes)],
        help_text=gettext_lazy("For a price change: the rate-card metric whose price changes."),
    )


def _price_field(programme: Programme) -> forms.Field:
    return MoneyField(
        currency=programme.currency,
        label=gettext_lazy("New price"),
        required=False,
        help_text=gettext_lazy("For a price change: the price of one outcome from the date."),
    )


def _cohort_field(programme: Programme) -> forms.Field:
    cohorts = Cohort.objects.filter(programme=programme).order_by("code")
    return forms.ChoiceField(
        label=gettext_lazy("Cohort"),
        required=False,
        choices=[("", "—"), *((c.code, f"{c.name} ({c.code})") for c in cohorts)],
        help_text=gettext_lazy("For a cohort removed: the cohort whose outcomes stop paying."),
    )


def _periods_field(programme: Programme) -> forms.Field:
    periods = MeasurementPeriod.objects.filter(programme=programme).order_by("start_date", "code")
    return forms.MultipleChoiceField(
        label=gettext_lazy("Periods"),
        required=False,
        choices=[(p.code, f"{p.name} ({p.code})") for p in periods],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("For a switch to grant payments: the periods the grant pays."),
    )


def _amount_field(programme: Programme) -> forms.Field:
    return MoneyField(
        currency=programme.currency,
        label=gettext_lazy("Grant for each period"),
        required=False,
        help_text=gettext_lazy("For a switch to grant payments: what the payers owe per period."),
    )


# Parameter name -> its form field (not required here: the service says which kind needs it).
PARAMETER_FIELDS: dict[str, Callable[[Programme], forms.Field]] = {
    "metric": _metric_field,
    "price": _price_field,
    "cohort": _cohort_field,
    "periods": _periods_field,
    "amount": _amount_field,
}


class VariationForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of variation"))
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"),
        widget=DateInput,
        help_text=gettext_lazy("The variation applies to results dated from this day."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(e.kind, VariationKind(e.kind).label) for e in VARIATION_KINDS]
        for name in dict.fromkeys(f for entry in VARIATION_KINDS for f in entry.fields):
            self.fields[name] = PARAMETER_FIELDS[name](programme)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entry = KINDS.get(data.get("kind", ""))
        # Each field of the chosen kind is needed; the others are not sent at all.
        for name in entry.fields if entry else ():
            if data.get(name) in (None, "", []) and name not in self.errors:
                self.add_error(name, _("Required for this kind of variation."))
        return data

    def variation(self) -> dict[str, Any]:
        """Return the service's arguments: the kind's parameters only, from its fields."""
        data = self.cleaned_data
        entry = KINDS[data["kind"]]
        return {
            "kind": entry.kind,
            "effective_date": data["effective_date"],
            "reason": data["reason"],
            "parameters": {name: data.get(name) for name in entry.fields},
        }


def _names(programme: Programme) -> Names:
    return {
        "metric": dict(Metric.objects.filter(programme=programme).values_list("code", "name")),
        "cohort": dict(Cohort.objects.filter(programme=programme).values_list("code", "name")),
        "period": dict(
            MeasurementPeriod.objects.filter(programme=programme).values_list("code", "name")
        ),
    }


def variation_rows(programme: Programme) -> list[dict[str, Any]]:
    """Return the programme's variations in force order, each with what it changed."""
    names = _names(programme)
    rows = ProgrammeVariation.objects.filter(programme=programme).order_by("effective_date", "id")
    return [
        {
            "variation": row,
            "label": VariationKind(row.kind).label,
            "change": KINDS[row.kind].describe(row.parameters, programme, names)
            if row.kind in KINDS
            else "",
        }
        for row in rows
    ]


# The service names a parameter "parameters.<name>": shown at the form field of that name.
_ALIASES = {f"parameters.{name}": name for name in PARAMETER_FIELDS}


@login_required
def variations(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(user=request.user, programme_id=programme_id, action=VARIATION_VIEW)
    posted = request.method == "POST"
    if posted:
        access.require(VARIATION_RECORD)
    programme = access.programme
    records = access.allows(VARIATION_RECORD)
    form = VariationForm(request.POST if posted else None, programme=programme)
    context: dict[str, Any] = {
        "form": form if records else None,
        "records": records,
        "variable": programme.status == ProgrammeStatus.ACTIVE,
        "rows": variation_rows(programme),
    }
    template = "payments/portal/variations.html"
    if posted and "edit" not in request.POST and form.is_valid():
        arguments = form.variation()
        try:
            if "confirm" in request.POST:
                programme_vary(programme=programme, actor=request.user, **arguments)
                messages.success(request, _("The variation is recorded."))
                return redirect("payments_portal:variations", programme.pk)
            # The service's own check first: a refusal is said at its field, before figures.
            preview = variation_preview(programme=programme, **arguments)
        except ValidationError as refusal:
            add_service_errors(form, refusal, **_ALIASES)
        except RuleError as refusal:
            template = "payments/portal/variation_confirm.html"
            context["refused"] = str(refusal)
        else:
            template = "payments/portal/variation_confirm.html"
            context["preview"] = preview
        if template.endswith("confirm.html"):
            context["kind_label"] = VariationKind(arguments["kind"]).label
            context["change"] = KINDS[arguments["kind"]].describe(
                arguments["parameters"], programme, _names(programme)
            )
    return render(request, template, programme_context(access, **context))

"""The forms of the guided programme setup: they parse what is typed, nothing more.

Every rule about what a definition may say is the format's (sib.programme_format), run
on the definition built so far by the views; the forms only turn text into the format's
values (a date, a whole number, an amount in minor units, a decimal string).
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sib.money import CURRENCY_EXPONENTS
from sib.portal.forms import MoneyField
from sib.selectors import organisation_list

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def organisations_of(kind: str) -> list[tuple[str, str]]:
    """Return (slug, name) of the organisations of one kind, for a choice."""
    return [(o.slug, o.name) for o in organisation_list() if kind in o.kinds]


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.CharField(
        label=_("Reference"),
        max_length=80,
        help_text=_("Letters, digits, hyphens and underscores: it names the programme in links."),
    )
    currency = forms.CharField(label=_("Currency (ISO 4217 code)"), max_length=3, initial="EUR")
    start_date = forms.DateField(label=_("Contract start"), widget=DATE)
    end_date = forms.DateField(label=_("Contract end"), widget=DATE)
    contract_cap = forms.CharField(
        label=_("Contract cap"),
        required=False,
        help_text=_("The most all outcome payments may reach. Empty: the cap is unknown."),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The cap is typed in the currency chosen on this same form.
        currency = str(self.data.get("currency") or self.initial.get("currency") or "EUR").upper()
        self.fields["contract_cap"] = MoneyField(
            # A currency the ledger does not know is the format's to refuse, at its field;
            # the cap is read meanwhile with two decimals.
            currency=currency if currency in CURRENCY_EXPONENTS else "EUR",
            label=self.fields["contract_cap"].label,
            required=False,
            help_text=self.fields["contract_cap"].help_text,
        )


class RolesForm(forms.Form):
    """The parties that are one organisation each (or several investors), not payers."""

    intermediary = forms.ChoiceField(label=_("Intermediary"), required=False)
    service_provider = forms.ChoiceField(label=_("Service provider"), required=False)
    evaluator = forms.ChoiceField(label=_("Evaluator organisation"), required=False)
    investors = forms.MultipleChoiceField(
        label=_("Investors"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        none: list[tuple[str, Any]] = [("", _("None"))]
        for name in ("intermediary", "service_provider", "evaluator"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = none + organisations_of(name)
        investors = self.fields["investors"]
        assert isinstance(investors, forms.MultipleChoiceField)
        investors.choices = organisations_of("investor")


class PayerForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Outcome payer"))
    payer_share = forms.CharField(
        label=_("Share (%)"),
        max_length=12,
        help_text=_("A percentage such as 70 or 33.3333, or “rest” for the payer of the rest."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *organisations_of("outcome_payer")]


class CohortForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    planned_size = forms.IntegerField(label=_("Participants planned"), required=False)
    start_date = forms.DateField(label=_("Start"), required=False, widget=DATE)


class PeriodForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    start_date = forms.DateField(label=_("Start"), widget=DATE)
    end_date = forms.DateField(label=_("End"), widget=DATE)


class MetricForm(forms.Form):
    """A metric paid by a rate card: a price per verified outcome."""

    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    definition = forms.CharField(
        label=_("Definition (what the evaluator measures)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    price = forms.CharField(label=_("Price per outcome"))
    max_count = forms.IntegerField(label=_("Most outcomes paid"), required=False)
    cohorts = forms.MultipleChoiceField(label=_("Cohorts"), widget=forms.CheckboxSelectMultiple)
    periods = forms.MultipleChoiceField(label=_("Periods"), widget=forms.CheckboxSelectMultiple)

    def __init__(
        self,
        *args: Any,
        currency: str,
        cohorts: list[tuple[str, str]],
        periods: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price"] = MoneyField(currency=currency, label=_("Price per outcome"))
        for name, choices in (("cohorts", cohorts), ("periods", periods)):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = choices


CAP_TYPES = [
    ("", _("No cap")),
    ("annual_rate", _("Annual rate")),
    ("irr", _("Internal rate of return")),
    ("multiple", _("Multiple of the money drawn")),
]
TRANCHE_KINDS = [
    ("senior_loan", _("Senior loan")),
    ("subordinated_loan", _("Subordinated loan")),
    ("equity", _("Equity")),
    ("recoverable_grant", _("Recoverable grant")),
]


class TrancheForm(forms.Form):
    key = forms.CharField(label=_("Key"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *TRANCHE_KINDS])
    priority = forms.IntegerField(label=_("Priority (1 is repaid first)"))
    cap_type = forms.ChoiceField(label=_("Return cap"), choices=CAP_TYPES, required=False)
    cap_value = forms.CharField(
        label=_("Cap value"),
        required=False,
        max_length=24,
        help_text=_("A fraction for a rate (0.05 is 5 %), a number for a multiple (1.5)."),
    )


class CommitmentForm(forms.Form):
    tranche = forms.CharField(label=_("Tranche key"), max_length=40)
    investor = forms.ChoiceField(label=_("Investor"))
    amount = forms.CharField(label=_("Amount committed"))
    committed_on = forms.DateField(label=_("Committed on"), widget=DATE)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"] = MoneyField(currency=currency, label=_("Amount committed"))
        field = self.fields["investor"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *organisations_of("investor")]


STEP_KINDS = [
    ("principal", _("Principal of a tranche")),
    ("return", _("Return of a tranche")),
    ("investor_success_fee", _("Investor success fee")),
    ("fees", _("Fees")),
    ("residual_to_payer", _("Residual to the payer")),
]


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=[("", "—"), *STEP_KINDS])
    tranche = forms.CharField(label=_("Tranche key"), max_length=40, required=False)
    recipient = forms.CharField(label=_("Recipient"), max_length=80, required=False)
    share = forms.CharField(
        label=_("Share (a fraction: 0.02 is 2 %)"), max_length=24, required=False
    )
    amount = forms.CharField(label=_("Fixed amount"), required=False)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"] = MoneyField(
            currency=currency, label=_("Fixed amount"), required=False
        )


class WaterfallPreviewForm(forms.Form):
    example = forms.CharField(label=_("Example payment"), required=False)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["example"] = MoneyField(
            currency=currency, label=_("Example payment"), required=False
        )


def formset(form: type[forms.Form], *, extra: int = 1, order: bool = False) -> Any:
    """Return a formset class of `form`: rows left empty are not part of the definition."""
    return forms.formset_factory(form, extra=extra, can_order=order, can_delete=True, max_num=200)

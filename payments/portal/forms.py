"""Forms that record money: parsing only; the ledger's services keep the rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import Commitment, TrancheKind
from payments.selectors import commitment_list
from sib.clock import today
from sib.models import Organisation, PartyRole
from sib.portal.forms import IdempotentForm, MoneyField, amount_example
from sib.scoping import ProgrammeAccess
from sib.selectors import programme_parties


class DateInput(forms.DateInput):
    """A browser date picker that shows a date as ISO (what `<input type=date>` reads)."""

    input_type = "date"

    def format_value(self, value: Any) -> str | None:
        return value.isoformat() if hasattr(value, "isoformat") else value


class _CommitmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.investor.name} — {obj.tranche.name}"


class DrawdownForm(IdempotentForm):
    commitment = _CommitmentChoice(
        label=_("Investor and tranche"), queryset=Commitment.objects.none()
    )
    called_on = forms.DateField(label=_("Date called"), widget=DateInput)
    amount = forms.Field(label=_("Amount"))

    def __init__(self, *args: Any, access: ProgrammeAccess, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("called_on", today())
        super().__init__(*args, **kwargs)
        currency = access.programme.currency
        self.fields["commitment"].queryset = commitment_list(access=access).exclude(  # type: ignore[attr-defined]
            tranche__kind=TrancheKind.GUARANTEE
        )
        self.fields["amount"] = MoneyField(
            currency=currency,
            label=_("Amount (%(currency)s)") % {"currency": currency},
            help_text=amount_example(currency),
        )


class PaymentReceivedForm(IdempotentForm):
    payer = forms.ModelChoiceField(label=_("Outcome payer"), queryset=Organisation.objects.none())
    received_on = forms.DateField(label=_("Date received"), widget=DateInput)
    amount = forms.Field(label=_("Amount"))
    advance = forms.BooleanField(
        required=False,
        label=_("The payer pays ahead: keep the part above what it owes as its advance"),
    )
    # Set by the confirmation page: the figures were shown and the user confirmed them.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, access: ProgrammeAccess, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("received_on", today())
        super().__init__(*args, **kwargs)
        currency = access.programme.currency
        payers = programme_parties(programme=access.programme).filter(role=PartyRole.OUTCOME_PAYER)
        self.fields["payer"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=payers.values("organisation")
        ).order_by("name")
        self.fields["amount"] = MoneyField(
            currency=currency,
            label=_("Amount (%(currency)s)") % {"currency": currency},
            help_text=amount_example(currency),
        )


class ScenarioForm(forms.Form):
    percent = forms.DecimalField(
        label=_("Another rate (% of the targets)"),
        min_value=0,
        max_value=300,
        decimal_places=2,
        required=False,
        localize=True,
    )


class JointPaymentForm(IdempotentForm):
    """One payment from one payer settling several payers' dues: a part per payer, blank
    for a payer it does not settle (payments.joint_payments)."""

    paid_by = forms.ModelChoiceField(label=_("Paid by"), queryset=Organisation.objects.none())
    received_on = forms.DateField(label=_("Date received"), widget=DateInput)

    def __init__(self, *args: Any, access: ProgrammeAccess, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("received_on", today())
        super().__init__(*args, **kwargs)
        currency = access.programme.currency
        payers = programme_parties(programme=access.programme).filter(role=PartyRole.OUTCOME_PAYER)
        self.payers = list(
            Organisation.objects.filter(pk__in=payers.values("organisation")).order_by("name")
        )
        self.fields["paid_by"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in self.payers]
        ).order_by("name")
        for payer in self.payers:
            self.fields[self.part_field(payer)] = MoneyField(
                currency=currency,
                required=False,
                label=_("Part settling %(payer)s's dues (%(currency)s)")
                % {"payer": payer.name, "currency": currency},
                help_text=_("Leave blank for a payer this payment does not settle."),
            )

    @staticmethod
    def part_field(payer: Organisation) -> str:
        return f"part_{payer.slug}"

    def parts(self) -> list[tuple[Organisation, int]]:
        """Return (payer, part) for each payer with a part, in the form's order."""
        return [
            (payer, self.cleaned_data[self.part_field(payer)])
            for payer in self.payers
            if self.cleaned_data.get(self.part_field(payer))
        ]

"""Forms of the evaluators' and funders' outcome pages: parsing only, the rules are services'."""

from dataclasses import replace
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from outcomes.models import Cohort, MeasurementPeriod, Metric, ReviewVerdict, Stage
from outcomes.portal.labels import STAGE_LABELS, VERDICT_LABELS
from outcomes.selectors import cohort_list, metric_list, period_list
from outcomes.services import ResultValues
from sib.bounds import MAX_COUNT, MAX_TEXT_CHARS
from sib.models import Programme

STAGE_CHOICES = [(code, STAGE_LABELS[code]) for code in Stage.values]


class _CodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.code})"


class ResultValuesForm(forms.Form):
    value = forms.DecimalField(
        label=_("Value"),
        min_value=0,
        max_digits=20,
        decimal_places=6,
        localize=True,
        help_text=_("A count of participants, or a rate such as 0.45."),
    )
    comparison_value = forms.DecimalField(
        label=_("Comparison group value"),
        min_value=0,
        max_digits=20,
        decimal_places=6,
        required=False,
        localize=True,
    )
    sample_size = forms.IntegerField(
        label=_("Sample size"), min_value=0, max_value=MAX_COUNT, required=False
    )
    comparison_sample_size = forms.IntegerField(
        label=_("Comparison sample size"), min_value=0, max_value=MAX_COUNT, required=False
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    over_planned_size = forms.BooleanField(
        label=_("The count is above 1.5 times the cohort's planned size, and that is right"),
        help_text=_("Say why in the note."),
        required=False,
    )

    def values(self) -> ResultValues:
        data = self.cleaned_data
        return ResultValues(
            value=data["value"],
            comparison_value=data.get("comparison_value"),
            sample_size=data.get("sample_size"),
            comparison_sample_size=data.get("comparison_sample_size"),
            note=data.get("note") or "",
            over_planned_size=bool(data.get("over_planned_size")),
        )


class ResultSubmitForm(ResultValuesForm):
    field_order = ["metric", "cohort", "period", "stage"]

    metric = _CodeChoice(label=_("Metric"), queryset=Metric.objects.none())
    cohort = _CodeChoice(label=_("Cohort"), queryset=Cohort.objects.none())
    period = _CodeChoice(label=_("Period"), queryset=MeasurementPeriod.objects.none())
    stage = forms.ChoiceField(label=_("Stage"), choices=STAGE_CHOICES, initial=Stage.INTERIM)
    evidence = forms.FileField(
        label=_("Evidence (optional)"),
        required=False,
        help_text=_("PDF, image, office or CSV file, at most 20 MB."),
    )
    additional = forms.BooleanField(
        label=_("Additional to the results already in this cell: both count"),
        help_text=_(
            "Only when the cell (metric, cohort, period) already holds a result that this one "
            "does not replace or correct; say why below."
        ),
        required=False,
    )
    additional_reason = forms.CharField(
        label=_("Why it is additional"), required=False, max_length=MAX_TEXT_CHARS
    )
    # Set once the page has shown the cell's other results and the evaluator went on.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def values(self) -> ResultValues:
        values = super().values()
        return replace(
            values,
            additional=bool(self.cleaned_data.get("additional")),
            additional_reason=self.cleaned_data.get("additional_reason") or "",
        )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metric_list(programme=programme).order_by("code")  # type: ignore[attr-defined]
        self.fields["cohort"].queryset = cohort_list(programme=programme).order_by("code")  # type: ignore[attr-defined]
        self.fields["period"].queryset = period_list(programme=programme).order_by("start_date")  # type: ignore[attr-defined]


class ResultImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        allow_empty_file=True,  # an empty file is the import's to report, with the rest
        help_text=_(
            "UTF-8, columns separated by commas or semicolons, one header line. "
            "Participant records: participant_id, metric, cohort, period, date_achieved."
        ),
    )
    decimal_comma = forms.BooleanField(
        label=_("Numbers are written with a decimal comma (12,5)"), required=False
    )
    stage = forms.ChoiceField(
        label=_("Stage of the results a participant file creates"),
        choices=STAGE_CHOICES,
        initial=Stage.INTERIM,
    )
    over_planned_size = forms.BooleanField(
        label=_("Some counts are above 1.5 times their cohort's planned size, and that is right"),
        required=False,
    )


class ImportConfirmForm(forms.Form):
    """The confirmation of a checked file: its job and the SHA-256 the preview showed."""

    job = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Document"), help_text=_("PDF, image, office or CSV file, at most 20 MB.")
    )


class VerifyForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=MAX_TEXT_CHARS
    )
    # Set by the confirmation page: the figures were shown and the lead confirmed them.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RejectForm(forms.Form):
    comment = forms.CharField(
        label=_("Reason for rejecting"),
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class AmendForm(ResultValuesForm):
    field_order = ["reason", "stage"]

    reason = forms.CharField(
        label=_("Reason for the amendment"),
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=STAGE_CHOICES)


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Your decision"),
        choices=[(code, VERDICT_LABELS[code]) for code in ReviewVerdict.values],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (needed to dispute)"),
        required=False,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

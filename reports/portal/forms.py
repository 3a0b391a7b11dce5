"""The report request form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import Language


class ReportRequestForm(forms.Form):
    edition = forms.ChoiceField(label=_("Edition"))
    language = forms.ChoiceField(
        label=_("Language of the report"), choices=[(c, n) for c, n in Language.choices]
    )

    def __init__(self, *args: Any, editions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["edition"].choices = editions  # type: ignore[attr-defined]
        if len(editions) == 1:
            self.fields["edition"].widget = forms.HiddenInput()
            self.fields["edition"].initial = editions[0][0]

"""Free text that the chain keeps and the PDFs print refuses bidi and other control
characters, names the field, and is stored in NFC (sib.user_text), on every entry point."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outcomes import services
from outcomes.models import (
    Cohort,
    DisputeWithdrawal,
    MeasurementPeriod,
    Metric,
    Result,
    ResultDecision,
    ResultReview,
)

pytestmark = pytest.mark.django_db

RLO = "\u202e"
# Reads "Paid 1000 €" on paper, stored (and hashed) as "Paid \u202e€ 0001".
SPOOFED = f"Paid {RLO}€ 0001"


def result_of(cast, *, verify: bool) -> Result:
    programme = cast.programme
    result = services.result_submit(
        programme=programme,
        user=cast.evaluator,
        metric=Metric.objects.get(programme=programme, code="employment-rate"),
        cohort=Cohort.objects.get(programme=programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h1"),
        stage="final",
        values=services.ResultValues(value=Decimal("42.5"), comparison_value=Decimal("30")),
    )
    if verify:
        services.result_verify(result=result, user=cast.lead)
    return result


def disputed(cast) -> Result:
    result = result_of(cast, verify=True)
    services.result_review(
        result=result, user=cast.funder, verdict="disputed", comment="Not matched."
    )
    return result


def api(cast, who, path, body, language="en"):
    return cast.client(who).post(
        f"/api/programmes/{cast.programme.pk}/{path}",
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


# (what is posted, by whom, its body with the free text, the field, what would be written)
ENTRY_POINTS = {
    "result note": (
        lambda cast: None,
        lambda cast, r: (cast.evaluator, "results/submit/", {
            "metric": "employment-rate", "cohort": "c2", "period": "2026-h1",
            "stage": "final", "value": "40", "comparison_value": "30", "note": SPOOFED,
        }),
        "note",
        lambda: Result.objects.filter(cohort__code="c2").exists(),
    ),
    "additional reason": (
        lambda cast: result_of(cast, verify=False),
        lambda cast, r: (cast.evaluator, "results/submit/", {
            "metric": "employment-rate", "cohort": "c1", "period": "2026-h1",
            "stage": "final", "value": "40", "comparison_value": "30",
            "additional": True, "additional_reason": SPOOFED,
        }),
        "additional_reason",
        lambda: Result.objects.filter(additional=True).exists(),
    ),
    "amendment reason": (
        lambda cast: result_of(cast, verify=True),
        lambda cast, r: (cast.lead2, f"results/{r.pk}/amend/", {
            "value": "40", "comparison_value": "30", "reason": SPOOFED,
        }),
        "reason",
        lambda: Result.objects.filter(amends__isnull=False).exists(),
    ),
    "amendment note": (
        lambda cast: result_of(cast, verify=True),
        lambda cast, r: (cast.lead2, f"results/{r.pk}/amend/", {
            "value": "40", "comparison_value": "30", "reason": "Recount.", "note": SPOOFED,
        }),
        "note",
        lambda: Result.objects.filter(amends__isnull=False).exists(),
    ),
    "verification comment": (
        lambda cast: result_of(cast, verify=False),
        lambda cast, r: (cast.lead, f"results/{r.pk}/verify/", {"comment": SPOOFED}),
        "comment",
        lambda: ResultDecision.objects.exists(),
    ),
    "rejection reason": (
        lambda cast: result_of(cast, verify=False),
        lambda cast, r: (cast.lead, f"results/{r.pk}/reject/", {"comment": SPOOFED}),
        "comment",
        lambda: ResultDecision.objects.exists(),
    ),
    "dispute comment": (
        lambda cast: result_of(cast, verify=True),
        lambda cast, r: (cast.funder, f"results/{r.pk}/review/", {
            "verdict": "disputed", "comment": SPOOFED,
        }),
        "comment",
        lambda: ResultReview.objects.exists(),
    ),
    "dispute withdrawal reason": (
        disputed,
        lambda cast, r: (cast.funder, f"results/{r.pk}/dispute/withdraw/", {"reason": SPOOFED}),
        "reason",
        lambda: DisputeWithdrawal.objects.exists(),
    ),
}  # fmt: skip


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_a_right_to_left_override_is_refused_at_its_field_and_nothing_is_written(cast, entry):
    arrange, request, field, written = ENTRY_POINTS[entry]
    result = arrange(cast)
    who, path, body = request(cast, result)
    response = api(cast, who, path, body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors == [
        {
            "field": field,
            "message": f"{field} contains the invisible control character U+202E "
            "(RIGHT-TO-LEFT OVERRIDE), which can make the printed text read differently "
            "from what is stored: remove it.",
        }
    ]
    assert not written()


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202d", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\x1b", "\x85"]
)
def test_every_bidi_control_and_other_control_character_is_refused(cast, char):
    result = result_of(cast, verify=False)
    response = api(cast, cast.lead, f"results/{result.pk}/reject/", {"comment": f"a{char}b"})
    assert response.status_code == 400
    assert f"U+{ord(char):04X}" in response.json()["errors"][0]["message"]


def test_the_refusal_reads_in_french(cast):
    result = result_of(cast, verify=False)
    response = api(cast, cast.lead, f"results/{result.pk}/reject/", {"comment": SPOOFED}, "fr")
    assert response.json()["errors"][0]["message"] == (
        "comment contient le caractère de contrôle invisible U+202E (RIGHT-TO-LEFT "
        "OVERRIDE), qui peut faire lire le texte imprimé autrement que ce qui est "
        "enregistré\u00a0: retirez-le."
    )


def test_text_is_stored_in_nfc_with_newlines_and_tabs_kept(cast):
    result = result_of(cast, verify=True)
    decomposed = "Cohorte re\u0301vise\u0301e\r\n\tdeux sorties compte\u0301es deux fois"
    response = api(
        cast,
        cast.lead2,
        f"results/{result.pk}/amend/",
        {"value": "40", "comparison_value": "30", "reason": decomposed},
    )
    assert response.status_code == 201, response.content
    amendment = Result.objects.get(pk=response.json()["id"])
    assert amendment.amendment_reason == "Cohorte révisée\n\tdeux sorties comptées deux fois"


def upload(cast, content: str):
    return cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", content.encode(), content_type="text/csv")},
        format="multipart",
    )


def test_a_csv_additional_reason_with_a_bidi_control_is_refused_at_its_row(cast):
    head = "metric,cohort,period,stage,value,additional_reason\n"
    response = upload(
        cast,
        head + "in-work-6m,c2,2026-h1,interim,4,\n"
        f"in-work-6m,c2,2026-h1,interim,2,second {RLO}site\n",
    )
    assert response.status_code == 400, response.content
    assert [(e["line"], e["column"], e["rule"]) for e in response.json()["errors"]] == [
        (3, "additional_reason", "control_character")
    ]
    assert not Result.objects.exists()
    # Decomposed accents and CR LF inside a quoted reason: stored as NFC with newlines.
    loaded = upload(
        cast, head + 'in-work-6m,c2,2026-h1,interim,2,"seconde e\u0301quipe\r\nsite B"\n'
    )
    assert loaded.status_code == 201, loaded.content
    assert Result.objects.get().additional_reason == "seconde équipe\nsite B"

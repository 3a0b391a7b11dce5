"""Participant ids: one person, one pseudonym, however the provider's file spells the id.

The hole (issue 12): "PRV-77", with a zero-width space, in lower case, in full width, with
a non-breaking hyphen and with a right-to-left override were six pseudonyms, so six paid
outcomes. New programmes normalise the id before hashing (rule 2); programmes that
existed before keep hashing the raw id (rule 1), so their pseudonyms do not change.
"""

import hashlib
import hmac

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from outcomes.models import ParticipantRecord
from outcomes.pseudonyms import ParticipantIdRefused, normalise, programme_key, pseudonym
from sib.models import Programme, PseudonymRule
from tests.outcomes.test_csv_import import HEADER, upload

pytestmark = pytest.mark.django_db

# The issue's reproduction: six spellings of one provider id.
PRV_77_VARIANTS = (
    "PRV-77",
    "PRV-77\u200b",  # zero-width space
    "prv-77",
    "\uff30\uff32\uff36-77",  # full-width letters
    "PRV\u201177",  # non-breaking hyphen
    "\u202ePRV-77\u202c",  # right-to-left override ... pop directional formatting
)


def rows(*ids: str) -> str:
    return HEADER + "".join(f"{pid},in-work-6m,c1,2026-h1,2026-03-01\n" for pid in ids)


def raw_hmac(programme: Programme, participant_id: str) -> str:
    """Today's pseudonym before the rule existed: HMAC of the id exactly as given."""
    key = programme_key(programme_id=programme.pk)
    return hmac.new(key, participant_id.encode(), hashlib.sha256).hexdigest()


def test_participant_id_variants_from_the_issue_give_one_pseudonym(cast):
    pseudonyms = {
        pseudonym(programme_id=cast.programme.pk, participant_id=pid) for pid in PRV_77_VARIANTS
    }

    assert len(pseudonyms) == 1


def test_participant_id_variants_in_one_file_are_one_participant_listed_six_times(cast):
    response = upload(cast, rows(*PRV_77_VARIANTS))

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["line"], e["column"], e["rule"]) for e in errors] == [
        (line, "participant_id", "duplicate_in_file") for line in range(3, 8)
    ]
    assert not ParticipantRecord.objects.exists()


def test_participant_id_variant_in_a_later_file_is_already_recorded(cast):
    assert upload(cast, rows("PRV-77")).status_code == 201

    for variant in PRV_77_VARIANTS[1:]:
        response = upload(cast, rows(variant))

        assert response.status_code == 400, variant
        assert response.json()["errors"][0]["rule"] == "duplicate_in_database", variant
    assert ParticipantRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("participant_id", "expected"),
    [
        ("  PRV \u00a0\u2003 77 ", "prv 77"),  # white space collapsed, no-break spaces too
        ("PRV\t\n77\u0085", "prv 77"),  # tab, line feed, next line: white space too
        ("Stra\u00dfe-1", "strasse-1"),  # case folding, not only lower()
        ("e\u200b\u0301-1", "\u00e9-1"),  # invisible dropped before NFKC composes
        ("PRV\u221277", "prv-77"),  # minus sign
        ("PRV\u201477", "prv-77"),  # em dash, like every dash
        ("\u2460-A", "1-a"),  # circled digit one
        ("PRV-77\ufe0f", "prv-77"),  # variation selector
    ],
)
def test_participant_id_normalisation_rule(participant_id, expected):
    assert normalise(participant_id) == expected


@given(st.text(max_size=12))
def test_participant_id_normalisation_is_stable_when_applied_twice(text):
    try:
        once = normalise(text)
    except ParticipantIdRefused:
        return
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("participant_id", "rule"),
    [
        ("PRV\x0777", "control_character"),
        ("PRV\x7f77", "control_character"),
        ("PRV\u009b77", "control_character"),  # a C1 control
        ("PRV-\U000e0fff", "unassigned_character"),
        ("\u200b\u2060", "empty_after_normalising"),
        ('"\u202e \u200b"', "empty_after_normalising"),
    ],
)
def test_participant_id_with_control_character_or_nothing_visible_is_refused_naming_its_line(
    cast, participant_id, rule
):
    response = upload(cast, rows("PRV-1", participant_id, "PRV-3"))

    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["line"], error["column"], error["rule"]) == (3, "participant_id", rule)
    assert "participant_id" in error["message"]
    assert not ParticipantRecord.objects.exists()


def test_participant_id_refusal_speaks_the_users_language(cast):
    client = cast.client(cast.evaluator)
    client.credentials(HTTP_ACCEPT_LANGUAGE="fr")

    response = client.post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", rows("PRV\x0777").encode(), "text/csv")},
        format="multipart",
    )

    [error] = response.json()["errors"]
    assert error["message"].startswith("participant_id contient un caractère de contrôle")


def test_new_programme_normalises_participant_ids(cast):
    assert cast.programme.pseudonym_rule == PseudonymRule.NORMALISED
    detail = cast.client(cast.evaluator).get(f"/api/programmes/{cast.programme.pk}/")
    assert detail.json()["pseudonym_rule"] == 2
    assert upload(cast, rows("PRV-77")).status_code == 201
    record = ParticipantRecord.objects.get()
    assert record.pseudonym == raw_hmac(cast.programme, "prv-77")


def test_existing_programme_keeps_raw_pseudonyms_under_rule_1(cast):
    call_command("pseudonym_rule", cast.programme.slug, "--set", "1")

    assert upload(cast, rows("PRV-77", "prv-77")).status_code == 201

    assert set(ParticipantRecord.objects.values_list("pseudonym", flat=True)) == {
        raw_hmac(cast.programme, "PRV-77"),
        raw_hmac(cast.programme, "prv-77"),
    }


@pytest.mark.parametrize(
    ("participant_id", "rule"),
    [
        ("PRV-77\u200b", "invisible_character"),
        ("\u202ePRV-77", "invisible_character"),
        ("PRV\x0777", "control_character"),
    ],
)
def test_rule_1_refuses_an_id_that_would_silently_be_a_second_participant(
    cast, participant_id, rule
):
    call_command("pseudonym_rule", cast.programme.slug, "--set", "1")

    response = upload(cast, rows(participant_id))

    assert response.json()["errors"][0]["rule"] == rule


def test_pseudonym_rule_cannot_change_once_the_programme_holds_records(cast):
    assert upload(cast, rows("PRV-77")).status_code == 201

    with pytest.raises(CommandError, match="keeps that rule"):
        call_command("pseudonym_rule", cast.programme.slug, "--set", "1")
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError, match="pseudonym rule stays 2"), transaction.atomic():
        Programme.objects.filter(pk=cast.programme.pk).update(pseudonym_rule=1)

    cast.programme.refresh_from_db()
    assert cast.programme.pseudonym_rule == PseudonymRule.NORMALISED

"""The format's refusals speak the reader's language: French on a French page, English in
English (issue 14). programme_load answers in English whatever the default language."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from sib.demo import demo_definition
from sib.models import User
from sib.programme_format import programme_definition_errors

pytestmark = pytest.mark.django_db

# What a French message carries and an English one never does.
FRENCH_MARKS = ("\u00a0", "’", "é", "è", "ê", "à", "ç", "«")


def _full_of_errors() -> dict:
    """The demo definition with one refusal (at least) from every validator family."""
    document = demo_definition()
    document["organisations"].append(dict(document["organisations"][0]))
    document["programme"]["currency"] = "FRF"
    document["parties"][0]["payer_share"] = "80"
    document["parties"][2]["payer_share"] = "10"
    document["parties"][3]["payer_cap"] = 100
    document["parties"].append({"organisation": "nobody", "role": "evaluator"})
    document["memberships"].append({"user": "nobody", "role": "evaluator"})
    document["memberships"].append({"user": "lead", "role": "investor"})
    document["facts"] = {"investor_terms": [{"investor": "nobody"}]}
    document["periods"][1]["end_date"] = "2026-12-31"
    document["metrics"][0]["cohorts"].append("2099")
    document["metrics"][0]["periods"].append("2099")
    document["metrics"][1]["max_amount"] = 100
    document["metrics"][1]["mechanism"] = {"kind": "tracked"}
    document["payment_terms"]["indexation"] = {
        "factors": [{"year": 2028, "factor": "1.02"}, {"year": 2027, "factor": "1.03"}]
    }
    senior, junior, guarantee = document["tranches"][:3]
    senior["cap"] = {"type": "multiple", "value": "0.5"}
    senior["commitments"].append({"investor": "nobody", "amount": 1})
    junior["guarantee"] = {"protects": "senior", "cover_percent": "50"}
    junior["coupon"] = {"metric": "in-work-12m"}
    guarantee["guarantee"]["protects"] = "nowhere"
    document["waterfall"][0] = {"kind": "principal", "tranche": "guarantee"}
    document["waterfall"][2] = {"kind": "return", "tranche": "nowhere"}
    document["variations"] = [
        {"kind": "pause", "effective_date": "2040-01-01", "reason": "Travaux"},
    ]
    document["history"]["drawdowns"][0]["investor"] = "nobody"
    document["cohorts"][0]["code"] = "2027"
    return document


def _errors(language: str) -> list[tuple[str, str]]:
    with translation.override(language):
        return programme_definition_errors(_full_of_errors())


@pytest.fixture
def users():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")


def test_every_family_of_refusal_is_met(users):
    paths = {path.split("[")[0].split(".")[0] for path, _message in _errors("en")}
    assert paths >= {
        "organisations",
        "programme",
        "parties",
        "memberships",
        "facts",
        "cohorts",
        "periods",
        "metrics",
        "tranches",
        "waterfall",
        "payment_terms",
        "variations",
        "history",
    }


def test_no_refusal_is_english_only_in_french(users):
    english, french = _errors("en"), _errors("fr")
    assert [path for path, _message in french] == [path for path, _message in english]
    same = [
        (path, message)
        for (path, message), (_path, in_english) in zip(french, english, strict=True)
        if message == in_english
    ]
    assert same == []


def test_no_refusal_in_english_carries_french(users):
    french = [
        (path, message)
        for path, message in _errors("en")
        if any(mark in message for mark in FRENCH_MARKS)
    ]
    assert french == []


def test_programme_load_answers_in_english_under_the_french_default(users, tmp_path):
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(_full_of_errors()), encoding="utf-8")
    User.objects.create_superuser("root", password="pw-123456789")
    with translation.override("fr"), pytest.raises(CommandError) as error:
        call_command("programme_load", str(path), "--manager", "root")
    assert "only outcome payers have a share" in str(error.value)
    assert "'guarantee' is a guarantee: use guarantee_reimbursement" in str(error.value)
    assert not any(mark in str(error.value) for mark in FRENCH_MARKS)

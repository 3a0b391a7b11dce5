"""Privacy of published outputs (issue 12): one test per hole a hostile tester found.

The public edition may be published and read by anyone: it prints no text typed by a
user and no user name (the log gives roles and dates). An investor's statement says
nothing about another investor. The policy is sib.privacy, written in docs/reports.md.
"""

import json
from decimal import Decimal

import pytest

import sib_verify
from outcomes import services as outcomes
from outcomes.models import Cohort, MeasurementPeriod, Metric, Result
from reports.services import report_render
from tests.reports.conftest import GUARANTOR_NAME, INVESTOR_NAMES, SMALL_COUNT, Bond
from tests.reports.support import pdf_lines, pdf_text

REJECTION = "Jean Dupont a appelé : il n’a pas trouvé d’emploi"
DISPUTE = "Ces 4 personnes sont sorties avant la fin du programme"
AMENDMENT = "Mme Khadija Benali comptée deux fois"
USERNAMES = {"lead": "lea.martin.eval", "evaluator": "paul.durand.eval", "funder": "c.roux.etat"}


def _rename(bond: Bond) -> None:
    """Give the bond's people usernames that nothing else in a report could print."""
    for role, username in USERNAMES.items():
        user = getattr(bond, role)
        user.username = username
        user.save(update_fields=["username"])


def _submit(bond: Bond, metric: str, cohort: str, period: str, value: str) -> Result:
    p = bond.programme
    return outcomes.result_submit(
        programme=p,
        user=bond.evaluator,
        metric=Metric.objects.get(programme=p, code=metric),
        cohort=Cohort.objects.get(programme=p, code=cohort),
        period=MeasurementPeriod.objects.get(programme=p, code=period),
        stage="interim",
        values=outcomes.ResultValues(value=Decimal(value)),
    )


def _user_texts(bond: Bond) -> None:
    """Write the three kinds of free text the log used to print: reject, dispute, amend."""
    _rename(bond)
    rejected = _submit(bond, "in-work-6m", "c1", "2026-h2", "12")
    outcomes.result_reject(result=rejected, user=bond.lead, comment=REJECTION)
    c2 = Result.objects.get(programme=bond.programme, cohort__code="c2", period__code="2026-h1")
    outcomes.result_review(result=c2, user=bond.funder, verdict="disputed", comment=DISPUTE)
    c1 = Result.objects.get(
        programme=bond.programme, cohort__code="c1", period__code="2026-h1", amends=None
    )
    outcomes.result_amend(
        result=c1,
        user=bond.lead,
        reason=AMENDMENT,
        stage=None,
        values=outcomes.ResultValues(value=Decimal(43)),
    )


def _forbidden(bond: Bond) -> list[str]:
    return [REJECTION, DISPUTE, AMENDMENT, "Jean Dupont", "Benali", *USERNAMES.values(), "Léa"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_user_comments_and_usernames_never_appear_in_the_public_edition(bond: Bond, lang: str):
    _user_texts(bond)
    pdf = report_render(programme=bond.programme, edition="public", language=lang)
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    for secret in _forbidden(bond):
        assert secret not in flat, secret
        assert secret.encode() not in pdf, secret  # nor in the metadata
    # "Ces 4 personnes" would give a masked count back.
    assert "Ces 4" not in flat


def test_the_manager_edition_still_says_who_and_why(bond: Bond):
    # The check above could fail: the same state's manager edition prints them.
    _user_texts(bond)
    pdf = report_render(programme=bond.programme, edition="manager", language="fr")
    flat = " ".join(pdf_text(pdf).split())
    for text in (REJECTION, DISPUTE, AMENDMENT, "Léa Martin", USERNAMES["funder"]):
        assert text in flat, text


def test_the_public_log_gives_the_role_and_date_of_each_step(bond: Bond):
    _user_texts(bond)
    lines = pdf_lines(report_render(programme=bond.programme, edition="public", language="en"))
    log = lines[lines.index("Verification log") :]
    assert "Role" in log and "By" not in log and "Reason" not in log
    for role in ("Evaluator", "Lead evaluator", "Public funder"):
        assert role in log, role
    for action in ("submitted", "verified", "rejected", "amended", "disputed by payer"):
        assert action in log, action
    assert "neither people's names nor their comments are published" in " ".join(log)


def test_the_same_state_still_gives_the_same_public_bytes(bond: Bond):
    _user_texts(bond)
    first = report_render(programme=bond.programme, edition="public", language="fr")
    assert report_render(programme=bond.programme, edition="public", language="fr") == first


# --- investor statements ---------------------------------------------------------------

# A schedule in which the guarantor made good a senior shortfall: the call names both
# senior investors and what each received, and the guarantor and what it paid.
_CALL = {
    "amount": 4_000_000,
    "on": "2030-12-31",
    "paid_by": [["{slug}-guarantor", 4_000_000]],
    "paid_to": [["{slug}-bank", 2_666_667], ["{slug}-foundation", 1_333_333]],
    "protects": "senior",
    "shortfall": 4_000_000,
    "tranche": "guarantee",
}


def _with_guarantee_call(monkeypatch: pytest.MonkeyPatch, slug: str) -> None:
    from payments import selectors_schedules

    real = selectors_schedules.schedule_document

    def document(**kwargs):  # type: ignore[no-untyped-def]
        doc = real(**kwargs)
        call = json.loads(json.dumps(_CALL).replace("{slug}", slug))
        doc["schedule"]["guarantee_calls"] = [call]
        return doc

    monkeypatch.setattr(selectors_schedules, "schedule_document", document)


def _statement(bond: Bond) -> tuple[int, str]:
    response = bond.client(bond.investor).get(f"/api/programmes/{bond.programme.pk}/statement/")
    return response.status_code, json.dumps(response.json(), ensure_ascii=False)


def test_an_investor_statement_names_no_other_investor_nor_their_guarantee_receipts(
    bond: Bond, monkeypatch: pytest.MonkeyPatch
):
    slug = bond.programme.slug
    _with_guarantee_call(monkeypatch, slug)
    status, body = _statement(bond)  # the bank's investor
    assert status == 200
    for other in ("foundation", "fund", "guarantor"):
        assert f"{slug}-{other}" not in body, other
    for name in (*INVESTOR_NAMES[1:], GUARANTOR_NAME):
        assert name not in body
    # The foundation's receipt, the call's total and the shortfall: total less one's own
    # is the other senior investor's.
    for figure in ("1333333", "4000000"):
        assert figure not in body, figure
    calls = json.loads(body)["proposed"]["guarantee_calls"]
    assert calls == [
        {
            "on": "2030-12-31",
            "tranche": "guarantee",
            "protects": "senior",
            "received": 2_666_667,
            "paid": 0,
        }
    ]


def test_an_investor_statement_shows_no_other_investors_movements(bond: Bond):
    status, body = _statement(bond)
    assert status == 200
    statement = json.loads(body)
    investors = {line["investor"] for line in statement["proposed"]["lines"]}
    assert investors == {f"{bond.programme.slug}-bank"}
    # The foundation drew 150 000,00 € and the fund 100 000,00 €; the bank 312 345,67 €.
    for figure in ("15000000", "10000000", "45000000", "55000000"):
        assert figure not in body, figure
    assert "31234567" in body


def test_a_guarantor_sees_what_it_paid_not_whom_it_paid(bond: Bond, monkeypatch):
    from payments.selectors_schedules import investor_statement

    slug = bond.programme.slug
    _with_guarantee_call(monkeypatch, slug)
    statement = investor_statement(programme=bond.programme, investor=f"{slug}-guarantor")
    assert statement["proposed"]["guarantee_calls"] == [
        {
            "on": "2030-12-31",
            "tranche": "guarantee",
            "protects": "senior",
            "received": 0,
            "paid": 4_000_000,
        }
    ]
    # The fund (junior) has no part in the call: it does not see it at all.
    fund = investor_statement(programme=bond.programme, investor=f"{slug}-fund")
    assert fund["proposed"]["guarantee_calls"] == []


# --- the policy, per role --------------------------------------------------------------


def test_contract_parties_see_the_exact_small_count_and_the_public_edition_masks_it(
    bond: Bond,
):
    url = f"/api/programmes/{bond.programme.pk}/results/?state=verified"
    for user in (bond.manager, bond.evaluator, bond.lead, bond.funder):
        response = bond.client(user).get(url)
        assert response.status_code == 200, user.username
        values = {Decimal(r["value"]) for r in response.json()["results"]}
        assert Decimal(SMALL_COUNT) in values, user.username
    # An investor sees no result at all; the public edition masks the small count.
    assert bond.client(bond.investor).get(url).status_code == 403
    public = pdf_lines(report_render(programme=bond.programme, edition="public", language="en"))
    row = public.index("Cohorte 2")
    assert public[row + 3] == "masked"


def test_every_log_action_has_a_role_and_both_languages_their_words():
    from typing import get_args

    from reports.document import VerificationAction
    from reports.rendering.log import ACTION_ROLES, LOG_LABELS

    assert set(ACTION_ROLES) == set(get_args(VerificationAction))
    for role in ACTION_ROLES.values():
        assert f"log_role_{role}" in LOG_LABELS["fr"]


# --- the verification bundle -------------------------------------------------------------


def test_the_bundle_carries_the_user_text_its_hashes_cover_and_no_username(bond: Bond):
    # The bundle is for contract parties who verify the ledger, never published
    # (docs/security.md): the chain's hashes cover comments and reasons verbatim, so the
    # bundle must carry them for a funder to recompute every hash offline. User names
    # are not chained: only users' internal ids are.
    _user_texts(bond)
    response = bond.client(bond.funder).get(
        f"/api/programmes/{bond.programme.pk}/verification-bundle/"
    )
    assert response.status_code == 200
    bundle = json.loads(b"".join(response.streaming_content))
    canonical = " ".join(entry["canonical"] for entry in bundle["entries"])
    for text in (REJECTION, DISPUTE, AMENDMENT):
        assert text in canonical, text
    flat = json.dumps(bundle, ensure_ascii=False)
    for name in (*USERNAMES.values(), "Léa", "Martin"):
        assert name not in flat, name
    assert sib_verify.bundle_verify(bundle).ok
    assert (
        bond.client(bond.investor)
        .get(f"/api/programmes/{bond.programme.pk}/verification-bundle/")
        .status_code
        == 403
    )

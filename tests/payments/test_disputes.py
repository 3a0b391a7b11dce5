"""Disputes hold money: a disputed result's amount is not due until the dispute ends, by a
verified amendment or withdrawn by the funder who raised it (or a funder of the same
payer); and each payer disputes its own share only.

Figures: "in work at 12 months" pays 2 500 € a participant, so 4 participants are
10 000 €; the State pays 70 %, the département 30 % (tests/payments/schedule_support).
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from outcomes import services as outcome_services
from outcomes.chain_kinds import REVIEW, WITHDRAWAL, canonical_of
from outcomes.disputes import dispute_withdraw
from outcomes.models import DisputeWithdrawal
from outcomes.signals import outcome_facts_changed
from payments.ledger import trial_balance
from payments.models import LedgerTransaction, TransactionKind
from payments.position import programme_position
from sib.chain_verification import chain_verify
from sib.exceptions import Conflict
from sib.models import ChainEntry, Membership, Organisation, User
from sib.money import format_money
from sib.services import membership_revoke
from tests.payments.schedule_support import jardins

pytestmark = pytest.mark.django_db

TEN_THOUSAND = 1_000_000  # cents


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def funder(deal, name: str, payer: str | None) -> User:
    user = User.objects.create(username=f"{deal.programme.slug}-{name}")
    Membership.objects.create(
        user=user,
        programme=deal.programme,
        role="public_funder",
        organisation=Organisation.objects.get(slug=payer) if payer else None,
    )
    return user


def dispute(result, user):
    return outcome_services.result_review(
        result=result, user=user, verdict="disputed", comment="these counts look high"
    )


def payer(deal, slug: str):
    return programme_position(programme=deal.programme).payer(slug)


def assert_books_hold(deal) -> None:
    for debit, credit in trial_balance(programme_id=deal.programme.pk).values():
        assert debit == credit
    totals = programme_position(programme=deal.programme).totals
    assert totals["due"] - totals["received"] == totals["outstanding"]
    assert chain_verify(programme_id=deal.programme.pk).ok


@pytest.fixture
def disputed():
    """A verified 10 000 € result, disputed by a funder bound to no payer (holds all)."""
    deal = jardins("disputes")
    deal.result_ = deal.result("work-12m", "c1", "2026", 4)
    deal.funder = funder(deal, "funder", None)
    deal.review = dispute(deal.result_, deal.funder)
    return deal


# --- 1. withdrawal ------------------------------------------------------------------------


def test_a_disputed_10_000_result_is_not_due(disputed):
    position = programme_position(programme=disputed.programme)
    assert position.totals["due"] == TEN_THOUSAND
    assert position.totals["disputed"] == TEN_THOUSAND
    assert position.totals["payable"] == 0
    assert_books_hold(disputed)


def test_withdrawing_the_dispute_makes_the_amount_due_again(disputed):
    withdrawal = dispute_withdraw(
        review=disputed.review, user=disputed.funder, reason="recount confirmed the four"
    )

    position = programme_position(programme=disputed.programme)
    assert (position.totals["disputed"], position.totals["payable"]) == (0, TEN_THOUSAND)
    assert (payer(disputed, "etat").payable, payer(disputed, "departement-13").payable) == (
        700_000,
        300_000,
    )
    release = LedgerTransaction.objects.filter(
        programme=disputed.programme, kind=TransactionKind.DISPUTE_HOLD
    ).latest("id")
    assert "withdrawn" in release.description
    assert ChainEntry.objects.filter(
        programme=disputed.programme, kind=WITHDRAWAL, object_id=str(withdrawal.pk)
    ).exists()
    assert_books_hold(disputed)


def test_position_dashboard_and_api_agree_after_the_withdrawal(disputed):
    dispute_withdraw(review=disputed.review, user=disputed.funder, reason="recount confirmed")
    totals = programme_position(programme=disputed.programme).totals

    api = APIClient()
    api.force_authenticate(disputed.funder)
    body = api.get(f"/api/programmes/{disputed.programme.pk}/position/").json()
    # The same figures; those of the lone guarantor are not the funder's (sib.privacy).
    held = ("guarantee_called", "guarantee_paid", "distributed")
    assert body["totals"] == {**totals, **dict.fromkeys(held)}

    client = Client()
    client.force_login(disputed.manager)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("payments_portal:dashboard", args=[disputed.programme.pk])
    ).content.decode()
    for key in ("due", "still_to_pay"):
        assert f'data-figure="{key}">{format_money(totals[key], "EUR", "en")}<' in page


def test_the_withdrawal_through_the_api_answers_201_then_409(disputed):
    api = APIClient()
    api.force_authenticate(disputed.funder)
    url = f"/api/programmes/{disputed.programme.pk}/results/{disputed.result_.pk}/dispute/withdraw/"

    first = api.post(url, {"reason": "recount confirmed"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["review"] == disputed.review.pk
    assert programme_position(programme=disputed.programme).totals["disputed"] == 0

    second = api.post(url, {"reason": "again"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 409
    assert "already been withdrawn" in second.json()["detail"]
    assert DisputeWithdrawal.objects.count() == 1


def test_the_evaluator_and_a_non_funder_cannot_withdraw(disputed):
    api = APIClient()
    url = f"/api/programmes/{disputed.programme.pk}/results/{disputed.result_.pk}/dispute/withdraw/"
    for user in (disputed.lead, disputed.evaluator, disputed.manager):
        api.force_authenticate(user)
        assert api.post(url, {"reason": "mine"}, format="json").status_code == 403
        with pytest.raises(PermissionDenied):
            dispute_withdraw(review=disputed.review, user=user, reason="mine")
    assert programme_position(programme=disputed.programme).totals["disputed"] == TEN_THOUSAND


def test_a_funder_of_another_payer_cannot_withdraw_but_one_of_the_same_payer_can():
    deal = jardins("disputes-payers")
    result = deal.result("work-12m", "c1", "2026", 4)
    review = dispute(result, funder(deal, "etat-a", "etat"))
    with pytest.raises(PermissionDenied):
        dispute_withdraw(review=review, user=funder(deal, "dept", "departement-13"), reason="x")
    dispute_withdraw(review=review, user=funder(deal, "etat-b", "etat"), reason="colleague")
    assert payer(deal, "etat").disputed == 0


def test_a_second_withdrawal_is_refused_409(disputed):
    dispute_withdraw(review=disputed.review, user=disputed.funder, reason="recount confirmed")
    with pytest.raises(Conflict, match="already been withdrawn"):
        dispute_withdraw(review=disputed.review, user=disputed.funder, reason="again")


def test_a_withdrawal_needs_a_reason(disputed):
    with pytest.raises(ValidationError) as refused:
        dispute_withdraw(review=disputed.review, user=disputed.funder, reason="  ")
    assert "reason" in refused.value.message_dict


def test_an_acceptance_or_a_resolved_dispute_cannot_be_withdrawn(disputed):
    other = funder(disputed, "other", None)
    accepted = outcome_services.result_review(
        result=disputed.result_, user=other, verdict="accepted", comment=""
    )
    with pytest.raises(Conflict, match="not a dispute"):
        dispute_withdraw(review=accepted, user=other, reason="x")

    amendment = outcome_services.result_amend(
        result=disputed.result_,
        user=disputed.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=3),
    )
    outcome_services.result_verify(result=amendment, user=disputed.lead)
    with pytest.raises(Conflict, match="already resolved"):
        dispute_withdraw(review=disputed.review, user=disputed.funder, reason="x")


def test_the_database_refuses_a_withdrawal_by_someone_else(disputed):
    params = [disputed.review.pk, disputed.evaluator.pk]
    with pytest.raises(IntegrityError, match="neither the funder"), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outcomes_dispute_withdrawal (review_id, withdrawn_by_id, reason, "
            "withdrawn_at) VALUES (%s, %s, 'x', now())",
            params,
        )


def test_a_withdrawal_without_its_chain_entry_cannot_commit(disputed):
    with pytest.raises(IntegrityError, match="no chain entry"), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outcomes_dispute_withdrawal (review_id, withdrawn_by_id, reason, "
            "withdrawn_at) VALUES (%s, %s, 'x', now())",
            [disputed.review.pk, disputed.funder.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# --- 2. each payer disputes its own share -------------------------------------------------


def test_a_payer_disputing_holds_its_own_share_only():
    deal = jardins("disputes-share")
    result = deal.result("work-12m", "c1", "2026", 4)
    dispute(result, funder(deal, "dept", "departement-13"))

    etat, dept = payer(deal, "etat"), payer(deal, "departement-13")
    assert (dept.due, dept.disputed, dept.payable) == (300_000, 300_000, 0)
    assert (etat.due, etat.disputed, etat.payable) == (700_000, 0, 700_000)
    deal.receive("etat", 700_000, deal.programme.start_date.replace(year=2027))
    with pytest.raises(ValidationError, match="in dispute"):
        deal.receive("departement-13", 300_000, deal.programme.start_date.replace(year=2027))
    assert_books_hold(deal)


def test_two_payers_disputing_hold_both_shares_and_each_withdrawal_releases_its_own():
    deal = jardins("disputes-both")
    result = deal.result("work-12m", "c1", "2026", 4)
    etat_funder, dept_funder = funder(deal, "etat", "etat"), funder(deal, "dept", "departement-13")
    etat_review = dispute(result, etat_funder)
    dispute(result, dept_funder)
    assert programme_position(programme=deal.programme).totals["disputed"] == TEN_THOUSAND

    dispute_withdraw(review=etat_review, user=etat_funder, reason="agreed")
    etat, dept = payer(deal, "etat"), payer(deal, "departement-13")
    assert (etat.disputed, dept.disputed) == (0, 300_000)
    assert_books_hold(deal)


# --- the portal: a link on the result's page, then a confirmation with the figures --------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_the_funder_withdraws_from_the_portal_after_seeing_the_figures(disputed):
    deal, client = disputed, _client(disputed.funder)
    detail = reverse("outcomes_portal:result-detail", args=[deal.programme.pk, deal.result_.pk])
    url = reverse("payments_portal:dispute-withdraw", args=[deal.programme.pk, deal.result_.pk])
    assert url in client.get(detail).content.decode()

    page = client.get(url).content.decode()
    m = lambda amount: format_money(amount, "EUR", "en")  # noqa: E731
    assert f'data-figure="released">{m(700_000)}<' in page  # the State's share
    assert f'data-figure="released">{m(300_000)}<' in page  # the département's
    assert DisputeWithdrawal.objects.count() == 0  # showing the figures writes nothing

    response = client.post(url, {"reason": "recount confirmed the four"})
    assert response.status_code == 302 and response["Location"] == detail
    assert programme_position(programme=deal.programme).totals["disputed"] == 0
    after = client.get(detail).content.decode()
    assert "data-withdrawn" in after and url not in after


def test_the_portal_refuses_the_withdrawal_to_others(disputed):
    deal = disputed
    url = reverse("payments_portal:dispute-withdraw", args=[deal.programme.pk, deal.result_.pk])
    for user in (deal.evaluator, deal.lead, deal.manager, funder(deal, "dept", "departement-13")):
        response = _client(user).post(url, {"reason": "mine"})
        assert response.status_code == 403, user
    assert DisputeWithdrawal.objects.count() == 0


def test_the_portal_asks_for_a_reason(disputed):
    deal = disputed
    url = reverse("payments_portal:dispute-withdraw", args=[deal.programme.pk, deal.result_.pk])
    response = _client(deal.funder).post(url, {"reason": ""})
    assert response.status_code == 200
    assert DisputeWithdrawal.objects.count() == 0


# --- 3. the payer a dispute holds is fixed when it is raised --------------------------------


def next_fact(deal) -> None:
    """What any new outcome fact does: the ledger books what is due again, per payer."""
    outcome_facts_changed.send(
        sender=Membership,
        programme=deal.programme,
        on=deal.programme.start_date,
        actor=None,
        cause="a later fact",
    )


def test_revoking_the_disputing_funders_role_keeps_the_hold_on_its_payer():
    """The département disputes: 3 000 € (30 %) held from it. Its funder then leaves the
    programme. The hold stays the département's: the State still owes its 7 000 €, not 0.
    """
    deal = jardins("disputes-revoked")
    result = deal.result("work-12m", "c1", "2026", 4)
    dept_funder = funder(deal, "dept", "departement-13")
    review = dispute(result, dept_funder)
    assert review.payer.slug == "departement-13"

    membership_revoke(
        membership=Membership.objects.get(user=dept_funder, role="public_funder"), actor=None
    )
    next_fact(deal)  # anything that makes the ledger book what is due again

    etat, dept = payer(deal, "etat"), payer(deal, "departement-13")
    assert (etat.disputed, etat.payable) == (0, 700_000)
    assert (dept.disputed, dept.payable) == (300_000, 0)
    assert_books_hold(deal)


def test_moving_the_funder_to_another_payer_does_not_move_its_dispute():
    deal = jardins("disputes-moved")
    result = deal.result("work-12m", "c1", "2026", 4)
    user = funder(deal, "mover", "departement-13")
    dispute(result, user)
    Membership.objects.filter(user=user).update(organisation=Organisation.objects.get(slug="etat"))
    next_fact(deal)
    assert payer(deal, "departement-13").disputed == 300_000
    assert payer(deal, "etat").disputed == 0


def test_the_database_refuses_a_review_naming_another_payer_than_the_funders():
    deal = jardins("disputes-forged-payer")
    result = deal.result("work-12m", "c1", "2026", 4)
    user = funder(deal, "dept", "departement-13")
    params = [result.pk, user.pk, Organisation.objects.get(slug="etat").pk]
    with pytest.raises(IntegrityError, match="payer"), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outcomes_result_review (result_id, verdict, reviewer_id, comment, "
            "reviewed_at, payer_id, payer_recorded) VALUES (%s, 'disputed', %s, 'x', now(), "
            "%s, true)",
            params,
        )


def test_the_payer_is_part_of_the_chained_review():
    deal = jardins("disputes-chained-payer")
    result = deal.result("work-12m", "c1", "2026", 4)
    review = dispute(result, funder(deal, "dept", "departement-13"))
    canonical = canonical_of(REVIEW, review.pk)
    assert f'"payer_id":{review.payer_id}' in canonical.replace(" ", "")


# --- 4. "disputed" means a dispute that holds money -------------------------------------------


def test_the_api_flags_a_result_disputed_only_while_its_dispute_is_open(disputed):
    deal = disputed
    api = APIClient()
    api.force_authenticate(deal.manager)

    def flag(result) -> bool:
        url = reverse("api:result-detail", args=[deal.programme.pk, result.pk])
        return api.get(url).json()["disputed"]

    assert flag(deal.result_) is True
    amendment = outcome_services.result_amend(
        result=deal.result_,
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=3),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    # The amendment resolved the dispute: the superseded result holds nothing any more.
    assert programme_position(programme=deal.programme).totals["disputed"] == 0
    assert flag(deal.result_) is False
    assert flag(amendment) is False

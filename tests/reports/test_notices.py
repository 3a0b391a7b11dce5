"""Outcome payment notices: one per payer, its lines add up to the position, built like reports.

The bond (tests.reports.conftest) has two payers, the State 70 % and the département 30 %.
Here the State is also owed for two more results, disputes one of them and pays part of
the other, so its notice has settled, partly settled, disputed and outstanding dues.
"""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

import sib_verify
from outcomes import services as outcomes
from outcomes.models import Result
from payments import services as payments
from payments.credit_refunds import credit_refund_record
from payments.position import programme_position
from reports import document as doc
from reports.models import Report, ReportStatus
from reports.notices import NoticeStale, notice_data
from reports.rendering import render_report
from reports.rendering.notice_labels import NOTICE_LABELS
from reports.selectors.state import chain_state
from reports.services import report_build, report_render, report_request, report_verify_file
from sib import clock
from sib.models import Membership, User
from sib.outbox import OutboxMessage
from tests.reports.conftest import Bond, make_bond
from tests.reports.support import first_page_ink, money, pdf_lines, pdf_text, value_after

DISPUTE_REASON = "Deux participants comptés deux fois selon nos fichiers"

LABELS = {
    "fr": {
        "due": "Paiements dus (résultats vérifiés)",
        "disputed": "dont contestés (retenus jusqu’à résolution)",
        "received": "Paiements reçus",
        "outstanding": "Reste dû",
        "payable": "À payer maintenant (reste dû hors montants contestés)",
        "disputed_flag": "contesté",
    },
    "en": {
        "due": "Outcome payments due (verified results)",
        "disputed": "of which disputed (held until resolved)",
        "received": "Payments received",
        "outstanding": "Outstanding",
        "payable": "To pay now (outstanding less disputed amounts)",
        "disputed_flag": "disputed",
    },
}


# A result more for a cell of disputed_bond: the ledger moves on (outcomes.cells: declared).
LATE = {"additional": True, "additional_reason": "late forms"}


@pytest.fixture
def disputed_bond(db) -> Bond:
    bond = make_bond(slug="notices")
    bond.verify("in-work-6m", "c1", "2026-h2", "13")  # State: 13 x 3 000 € x 70 % = 27 300 €
    held = bond.verify("in-work-6m", "c2", "2026-h2", "9")  # State: 18 900 €, disputed below
    outcomes.result_review(
        result=held, user=bond.funder, verdict="disputed", comment=DISPUTE_REASON
    )
    payments.payment_received_record(
        programme=bond.programme,
        payer=bond.orgs["etat"],
        amount=1_000_000,
        received_on=timezone.localdate(),
        actor=bond.manager,
    )
    return bond


def _data(bond: Bond, payer: str, lang: str = "fr"):  # type: ignore[no-untyped-def]
    return notice_data(
        programme=bond.programme,
        payer=bond.orgs[payer],
        language=lang,
        state=chain_state(programme=bond.programme),
    )


def _issued(bond: Bond, payer: str, lang: str = "fr") -> Report:
    report, _ = report_request(
        programme=bond.programme,
        edition="payer_notice",
        language=lang,
        user=None,
        payer=bond.orgs[payer],
    )
    report_build(report_id=report.pk)
    return Report.objects.with_pdf().select_related("payer").get(pk=report.pk)


# --- the figures ----------------------------------------------------------------------------


@pytest.mark.parametrize("payer", ["etat", "dept"])
def test_the_lines_add_up_to_the_positions_due_for_the_payer_to_the_cent(
    disputed_bond: Bond, payer: str
):
    data = _data(disputed_bond, payer)
    position = programme_position(programme=disputed_bond.programme).payer(
        disputed_bond.orgs[payer].slug
    )
    assert position.due > 0
    assert sum(line.amount for line in data.lines) == position.due
    figures = data.figures
    assert (figures.due, figures.disputed, figures.received, figures.outstanding) == (
        position.due,
        position.disputed,
        position.received,
        position.outstanding,
    )


def test_a_line_is_held_on_the_notice_of_the_payer_that_disputes_it_only(disputed_bond: Bond):
    # The State's funder disputes: its share is held; the département still owes its own.
    etat, dept = _data(disputed_bond, "etat"), _data(disputed_bond, "dept")
    assert [line.disputed for line in etat.lines].count(True) == 1
    assert not any(line.disputed for line in dept.lines)
    assert (etat.figures.disputed, dept.figures.disputed) == (1_890_000, 0)


def test_the_states_notice_has_the_expected_dues_settled_oldest_first(disputed_bond: Bond):
    data = _data(disputed_bond, "etat")
    assert [(line.amount, line.settled, line.disputed) for line in data.lines] == [
        (8_820_000, 8_820_000, False),  # c1 2026 S1, paid in July
        (1_470_000, 1_470_000, False),  # c2 2026 S1, paid in October
        (2_730_000, 1_000_000, False),  # c1 2026 S2, partly paid today
        (1_890_000, 0, True),  # c2 2026 S2, disputed: held, never settled
    ]
    f = data.figures
    assert (f.due, f.disputed, f.received, f.outstanding, f.payable) == (
        14_910_000,
        1_890_000,
        11_290_000,
        3_620_000,
        1_730_000,
    )
    assert [(p.amount, p.reversal) for p in data.payments] == [
        (8_820_000, False),
        (1_470_000, False),
        (1_000_000, False),
    ]


def test_a_reversed_payment_is_listed_with_its_reversal(disputed_bond: Bond):
    data = _data(disputed_bond, "dept")
    assert [(p.amount, p.reversal) for p in data.payments] == [
        (3_780_000, False),
        (630_000, False),
        (-630_000, True),
    ]
    assert sum(p.amount for p in data.payments) == data.figures.received


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_pdf_prints_the_positions_due_received_and_outstanding(disputed_bond: Bond, lang: str):
    pdf = report_render(
        programme=disputed_bond.programme,
        edition="payer_notice",
        language=lang,
        payer=disputed_bond.orgs["etat"],
    )
    lines = pdf_lines(pdf)
    position = programme_position(programme=disputed_bond.programme).payer(
        disputed_bond.orgs["etat"].slug
    )
    label = LABELS[lang]
    assert value_after(lines, label["due"]) == money(position.due, lang)
    assert value_after(lines, label["disputed"]) == money(position.disputed, lang)
    assert value_after(lines, label["received"]) == money(position.received, lang)
    assert value_after(lines, label["outstanding"]) == money(position.still_to_pay, lang)
    assert value_after(lines, label["payable"]) == money(position.payable, lang)
    assert label["disputed_flag"] in lines
    head = chain_state(programme=disputed_bond.programme).head
    assert head in lines


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_notice_tells_its_payer_how_to_check_it_offline_not_a_server_command(
    disputed_bond: Bond, lang: str
):
    """A notice goes to a public funder, who holds no shell on the server: it names the
    offline verifier, the notice's own file name and a fingerprint taken from the
    contract, never `manage.py`."""
    data = _data(disputed_bond, "etat", lang)
    text = pdf_text(render_report(data))
    assert "manage.py" not in text
    assert NOTICE_LABELS[lang]["notice_offline_check"] in text
    command = f"python -m sib_verify bundle.json {data.filename} --certificate-sha256 FINGERPRINT"
    assert command in " ".join(text.split())


def test_the_notice_prints_no_user_text_and_no_user_names(disputed_bond: Bond):
    text = pdf_text(
        report_render(
            programme=disputed_bond.programme,
            edition="payer_notice",
            language="fr",
            payer=disputed_bond.orgs["etat"],
        )
    )
    assert "Département" not in text  # the other payer is not named either
    for forbidden in (DISPUTE_REASON, "Recorded twice", "Léa", "Martin"):
        assert forbidden not in text
    for user in User.objects.filter(username__startswith="notices-"):
        assert user.username not in text


def test_a_notice_whose_results_changed_after_its_state_refuses_to_build(disputed_bond: Bond):
    state = chain_state(programme=disputed_bond.programme)
    disputed_bond.verify("in-work-6m", "c1", "2026-h2", "1", **LATE)
    with pytest.raises(NoticeStale, match="ask for the notice again"):
        notice_data(
            programme=disputed_bond.programme,
            payer=disputed_bond.orgs["etat"],
            language="fr",
            state=state,
        )


def test_a_notice_built_after_its_results_changed_fails_and_asking_again_gives_a_new_one(
    disputed_bond: Bond,
):
    bond = disputed_bond
    asked, queued = report_request(
        programme=bond.programme,
        edition="payer_notice",
        language="fr",
        user=None,
        payer=bond.orgs["etat"],
    )
    assert queued
    bond.verify("in-work-6m", "c1", "2026-h2", "1", **LATE)  # before the worker gets to it
    built = report_build(report_id=asked.pk)
    assert built is not None and built.status == ReportStatus.FAILED
    assert "ask for the notice again" in built.failure
    again, queued = report_request(
        programme=bond.programme,
        edition="payer_notice",
        language="fr",
        user=None,
        payer=bond.orgs["etat"],
    )
    assert queued and again.pk != asked.pk
    assert report_build(report_id=again.pk).status == ReportStatus.READY  # type: ignore[union-attr]


# --- issuing -------------------------------------------------------------------------------


def test_a_notice_is_queued_through_the_outbox_built_signed_and_verifiable(disputed_bond: Bond):
    client = disputed_bond.client(disputed_bond.funder)
    base = f"/api/programmes/{disputed_bond.programme.pk}/notices/"
    before = OutboxMessage.objects.count()
    response = client.post(base + "request/", {"payer": "notices-etat", "language": "en"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["edition"], body["payer"], body["status"]) == (
        "payer_notice",
        "notices-etat",
        "queued",
    )
    assert OutboxMessage.objects.count() == before + 1
    again = client.post(base + "request/", {"payer": "notices-etat", "language": "en"})
    assert (again.status_code, again.json()["id"]) == (200, body["id"])

    report = report_build(report_id=body["id"])
    assert report is not None and report.status == ReportStatus.READY, report and report.failure
    assert report.signed_at is not None
    download = client.get(base + f"{body['id']}/download/")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == report.sha256
    assert download["Content-Disposition"].endswith(
        f'notices-notice-notices-etat-en-{report.chain_head[:12]}.pdf"'
    )
    check = report_verify_file(content=download.content, programme=disputed_bond.programme)
    assert check.ok, check.problems
    listed = client.get(base).json()["results"]
    assert [n["id"] for n in listed] == [body["id"]]


def test_a_funders_bundle_lists_its_notice_only_and_verifies_it_offline(disputed_bond: Bond):
    bond = disputed_bond
    etat, dept = _issued(bond, "etat"), _issued(bond, "dept")
    response = bond.client(bond.funder).get(
        f"/api/programmes/{bond.programme.pk}/verification-bundle/"
    )
    bundle = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    listed = {r["sha256"] for r in bundle["reports"]}
    assert etat.sha256 in listed and dept.sha256 not in listed
    assert etat.pdf is not None
    verdict = sib_verify.bundle_verify(bundle, report=bytes(etat.pdf))
    assert verdict.ok, verdict.problems


def test_the_same_state_payer_and_language_is_one_notice_and_payers_do_not_collide(
    disputed_bond: Bond,
):
    etat = _issued(disputed_bond, "etat")
    dept = _issued(disputed_bond, "dept")
    assert etat.chain_head == dept.chain_head and etat.pk != dept.pk
    assert dept.status == ReportStatus.READY, dept.failure
    public, _ = report_request(
        programme=disputed_bond.programme, edition="public", language="fr", user=None
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        # NULL payers compare equal: a report state is still built once.
        Report.objects.create(
            programme=disputed_bond.programme,
            edition="public",
            language="fr",
            chain_head=public.chain_head,
            chain_seq=public.chain_seq,
            mask_threshold=10,
        )


def test_the_database_refuses_a_notice_without_payer_and_a_report_with_one(disputed_bond: Bond):
    common = {
        "programme": disputed_bond.programme,
        "language": "fr",
        "chain_head": "d" * 64,
        "chain_seq": 1,
        "mask_threshold": 10,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(edition="payer_notice", **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(edition="public", payer=disputed_bond.orgs["etat"], **common)


def test_the_report_request_api_does_not_take_the_notice_edition(disputed_bond: Bond):
    response = disputed_bond.client(disputed_bond.manager).post(
        f"/api/programmes/{disputed_bond.programme.pk}/reports/request/",
        {"edition": "payer_notice", "language": "fr"},
    )
    assert response.status_code == 400


# --- who may -------------------------------------------------------------------------------


def test_a_funder_gets_its_own_payers_notice_only(disputed_bond: Bond):
    bond = disputed_bond
    dept = _issued(bond, "dept")
    client = bond.client(bond.funder)  # the State's funder
    pid = bond.programme.pk
    refused = client.post(
        f"/api/programmes/{pid}/notices/request/", {"payer": "notices-dept", "language": "fr"}
    )
    assert refused.status_code == 403
    assert client.get(f"/api/programmes/{pid}/notices/{dept.pk}/download/").status_code == 403
    # Nor through the reports' own endpoints.
    assert client.get(f"/api/programmes/{pid}/reports/{dept.pk}/download/").status_code == 403
    assert client.get(f"/api/programmes/{pid}/reports/{dept.pk}/").status_code == 403
    assert client.get(f"/api/programmes/{pid}/notices/").json()["results"] == []
    # The fund manager gets any payer's.
    manager = bond.client(bond.manager)
    assert manager.get(f"/api/programmes/{pid}/notices/{dept.pk}/download/").status_code == 200
    assert [
        n["payer"] for n in manager.get(f"/api/programmes/{pid}/notices/").json()["results"]
    ] == ["notices-dept"]


def test_a_funder_membership_naming_no_payer_gets_no_notice(disputed_bond: Bond):
    bond = disputed_bond
    Membership.objects.filter(user=bond.funder).update(organisation=None)
    response = bond.client(bond.funder).post(
        f"/api/programmes/{bond.programme.pk}/notices/request/",
        {"payer": "notices-etat", "language": "fr"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["evaluator", "lead", "investor"])
def test_evaluators_and_investors_get_no_notice(disputed_bond: Bond, role: str):
    bond = disputed_bond
    etat = _issued(bond, "etat")
    client = bond.client(getattr(bond, role))
    pid = bond.programme.pk
    assert client.get(f"/api/programmes/{pid}/notices/").status_code == 403
    assert client.get(f"/api/programmes/{pid}/notices/{etat.pk}/download/").status_code == 403
    assert client.get(f"/api/programmes/{pid}/reports/{etat.pk}/download/").status_code == 403


# --- portal --------------------------------------------------------------------------------


def test_the_funders_payments_page_offers_its_own_payers_notice_and_requests_it(
    disputed_bond: Bond, client
):
    bond = disputed_bond
    client.force_login(bond.funder)
    page = client.get(f"/programmes/{bond.programme.pk}/money/outcome-payments/")
    assert page.status_code == 200, page.content[:500]
    html = page.content.decode()
    assert 'value="notices-etat"' in html
    assert 'value="notices-dept"' not in html
    response = client.post(
        f"/programmes/{bond.programme.pk}/notices/request/",
        {"payer": "notices-etat", "language": "fr"},
    )
    assert response.status_code == 302
    notice = Report.objects.get(edition="payer_notice", payer=bond.orgs["etat"])
    assert response["Location"].endswith(f"/reports/{notice.pk}/")
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "Avis de paiement" in detail.content.decode() or "Payment notice" in (
        detail.content.decode()
    )
    refused = client.post(
        f"/programmes/{bond.programme.pk}/notices/request/",
        {"payer": "notices-dept", "language": "fr"},
    )
    assert refused.status_code == 403


# --- the document --------------------------------------------------------------------------


def _plain_data(**changes):  # type: ignore[no-untyped-def]
    line = doc.NoticeLine(
        metric='<img src="http://example.invalid/x.png"/> Emploi',
        cohort="C1",
        period="2026 S1",
        stages=("interim",),
        verified_on=datetime.date(2026, 7, 1),
        result_ids=(3,),
        count=4,
        amount=1_200_000,
        settled=1_200_000,
    )
    values = {
        "programme": doc.Programme(
            name="Bond <b>x</b>",
            slug="bond",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2030, 12, 31),
            currency="EUR",
            parties=(),
        ),
        "payer": "Payeur & associés",
        "payer_slug": "payeur",
        "payer_share_bp": 3333,
        "language": "fr",
        "report_date": datetime.date(2026, 12, 1),
        "lines": (line,),
        "payments": (doc.NoticePayment(on=datetime.date(2026, 8, 1), amount=1_200_000),),
        "figures": doc.NoticeFigures(1_200_000, 0, 1_200_000, 0, 0, 0, 0),
        "chain_head": doc.ChainHead(hash="e" * 64, entry_count=9),
    }
    return doc.NoticeData(**{**values, **changes})


def test_notice_data_refuses_lines_that_do_not_add_up_to_the_due():
    with pytest.raises(ValueError, match="do not add up"):
        _plain_data(figures=doc.NoticeFigures(1_200_001, 0, 0, 0, 0, 1_200_001, 1_200_001))


def test_the_same_notice_data_gives_the_same_bytes_and_markup_prints_literally(monkeypatch):
    fetched: list[str] = []
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: fetched.append(a[0]))
    pdf = render_report(_plain_data())
    assert pdf == render_report(_plain_data())
    text = " ".join(pdf_text(pdf).split())  # a long cell wraps at spaces
    assert '<img src="http://example.invalid/x.png"/> Emploi' in text
    assert "Bond <b>x</b>" in text
    assert "Payeur & associés" in text and "33,33 %" in text
    assert fetched == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_first_page_of_a_notice_is_not_blank(disputed_bond: Bond, lang: str):
    pdf = report_render(
        programme=disputed_bond.programme,
        edition="payer_notice",
        language=lang,
        payer=disputed_bond.orgs["etat"],
    )
    assert first_page_ink(pdf) > 0.01


def test_the_report_command_rebuilds_a_notice_and_needs_its_payer(disputed_bond: Bond, tmp_path):
    out = tmp_path / "notice.pdf"
    slug = disputed_bond.programme.slug
    call_command(
        "report", slug, "--edition", "payer_notice", "--payer", "notices-etat", "-o", str(out)
    )
    assert "Avis de paiement aux résultats" in pdf_text(out.read_bytes())
    with pytest.raises(CommandError, match="--payer"):
        call_command("report", slug, "--edition", "payer_notice", "-o", str(out))
    past = chain_state(programme=disputed_bond.programme).head
    disputed_bond.verify("in-work-6m", "c1", "2026-h2", "1", **LATE)
    with pytest.raises(CommandError, match="ask for the notice again"):
        call_command(
            "report", slug, "--edition", "payer_notice", "--payer", "notices-etat",
            "--at", past, "-o", str(out),
        )  # fmt: skip


def test_an_advance_is_printed_with_the_positions_figure(disputed_bond: Bond):
    bond = disputed_bond
    payments.payment_received_record(
        programme=bond.programme,
        payer=bond.orgs["dept"],
        amount=5_000_000,  # more than the département owes: recorded as an advance
        received_on=timezone.localdate(),
        actor=bond.manager,
        advance=True,
    )
    position = programme_position(programme=bond.programme).payer(bond.orgs["dept"].slug)
    assert position.advance > 0
    data = _data(bond, "dept", "en")
    assert sum(line.amount for line in data.lines) == position.due
    lines = pdf_lines(render_report(data))
    assert value_after(lines, "Advance received, not yet applied") == money(position.advance, "en")
    # Outstanding is what it still has to pay: nothing; the advance is not counted again.
    assert position.outstanding < 0
    assert value_after(lines, "Outstanding") == money(0, "en")
    # The advance is not also printed as a credit owed back to the payer.
    assert "Credit owed to the payer" not in lines


def test_a_restatement_below_what_was_paid_is_printed_as_a_credit(db):
    bond = make_bond(slug="credit")
    first = Result.objects.get(
        programme=bond.programme, metric__code="in-work-6m", cohort__code="c1", amends=None
    )
    amendment = outcomes.result_amend(
        result=first,
        user=bond.evaluator,
        reason="Douze sorties comptées à tort",
        stage=None,
        values=outcomes.ResultValues(value=Decimal(30)),
    )
    outcomes.result_verify(result=amendment, user=bond.lead)
    position = programme_position(programme=bond.programme).payer(bond.orgs["etat"].slug)
    assert position.credit == 2_520_000 and position.advance == 0  # 12 x 3 000 € x 70 %
    data = notice_data(
        programme=bond.programme,
        payer=bond.orgs["etat"],
        language="fr",
        state=chain_state(programme=bond.programme),
    )
    assert sum(line.amount for line in data.lines) == position.due
    assert amendment.pk in data.lines[0].result_ids + data.lines[1].result_ids
    assert first.pk not in {i for line in data.lines for i in line.result_ids}
    lines = pdf_lines(render_report(data))
    assert value_after(lines, "Crédit dû au payeur") == money(2_520_000, "fr")
    # Nothing left to pay: the credit stands on its own line, not again as −25 200 €.
    assert value_after(lines, "Reste dû") == money(0, "fr")
    assert "Douze sorties comptées à tort" not in pdf_text(render_report(data))


def test_a_credit_refunded_is_printed_on_its_own_line_and_the_credit_falls(db):
    bond = make_bond(slug="credit-refunded")
    first = Result.objects.get(
        programme=bond.programme, metric__code="in-work-6m", cohort__code="c1", amends=None
    )
    amendment = outcomes.result_amend(
        result=first,
        user=bond.evaluator,
        reason="Douze sorties comptées à tort",
        stage=None,
        values=outcomes.ResultValues(value=Decimal(30)),
    )
    outcomes.result_verify(result=amendment, user=bond.lead)  # a credit of 25 200 €
    credit_refund_record(
        programme=bond.programme,
        payer=bond.orgs["etat"],
        amount=1_000_000,
        refunded_on=clock.today(),
        reason="virement de retour",
        actor=None,
    )
    data = _data(bond, "etat")
    assert (data.figures.refunded, data.figures.credit) == (1_000_000, 1_520_000)
    lines = pdf_lines(render_report(data))
    assert value_after(lines, "Crédit remboursé au payeur (déduit des paiements reçus)") == money(
        1_000_000, "fr"
    )
    assert value_after(lines, "Crédit dû au payeur") == money(1_520_000, "fr")

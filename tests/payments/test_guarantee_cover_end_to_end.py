"""A guarantee written as real deals write it, "50 % of the senior lenders' principal
loss", loaded with `programme_load`, computed with `schedule --json`, dumped back with
`programme_dump`, read on the portal and in the manager report in French and English.

Hand calculation (the demo's history, docs/programme-format.md "Example"): the senior
lenders drew 400 000 € + 200 000 € = 600 000 €; the State's one payment of 34 720 € went
to senior principal (the waterfall's first step). The programme is terminated on
2029-06-30, so the guarantee is called that day on the senior shortfall
600 000 € - 34 720 € = 565 280 €:
- 50 % and no limit, the guarantor committed 300 000 €: 282 640 € called;
- 50 % at most 250 000 € (committed 250 000 €): 250 000 € called, the limit binds.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from payments.statements import statement_of
from reports.services import report_render
from sib.demo import demo_definition
from sib.models import Programme, User
from tests.reports.support import pdf_text

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
SHORTFALL = 56_528_000  # 565 280,00 €


def covered_deal(guarantee: dict, committed: int) -> dict:
    document = demo_definition()
    document["programme"].update(
        status="terminated",
        termination_date="2029-06-30",
        termination_reason="The provider ceased trading.",
    )
    [first_loss] = [t for t in document["tranches"] if t["kind"] == "guarantee"]
    first_loss["guarantee"] = {"protects": "senior", **guarantee}
    first_loss["commitments"][0]["amount"] = committed
    return document


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def load(tmp_path: Path, document: dict, name: str = "deal.json") -> None:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    call_command("programme_load", str(path), manager="root", stdout=StringIO())


def schedule_json(slug: str = SLUG) -> dict:
    out = StringIO()
    call_command("schedule", slug, json=True, stdout=out)
    return json.loads(out.getvalue())


def the_call(slug: str = SLUG) -> dict:
    [call] = schedule_json(slug)["schedule"]["guarantee_calls"]
    return call


def test_half_the_loss_is_called_on_the_termination_date(manager, tmp_path):
    """50 % x 565 280,00 € = 282 640,00 €, within the 300 000 € committed."""
    load(tmp_path, covered_deal({"cover_percent": "50"}, committed=30_000_000))
    call = the_call()
    assert (call["on"], call["protects"], call["shortfall"]) == ("2029-06-30", "senior", SHORTFALL)
    assert call["amount"] == 28_264_000
    assert call["paid_by"] == [["fondation-garantie", 28_264_000]]
    assert sum(amount for _, amount in call["paid_to"]) == 28_264_000


def test_the_limit_binds_below_half_the_loss(manager, tmp_path):
    """50 % x 565 280,00 € = 282 640,00 €, above the 250 000,00 € limit: 250 000,00 €."""
    load(
        tmp_path,
        covered_deal({"cover_percent": "50", "cover_limit": 25_000_000}, committed=25_000_000),
    )
    assert the_call()["amount"] == 25_000_000


def test_each_investor_statement_shows_its_side_of_the_call(manager, tmp_path):
    """The guarantor paid 282 640 €; the bank and the foundation received their shares of
    it, pro rata to what each was short, and together all of it."""
    load(tmp_path, covered_deal({"cover_percent": "50"}, committed=30_000_000))
    document = schedule_json()
    [paid] = statement_of(document, "fondation-garantie", ())["proposed"]["guarantee_calls"]
    assert (paid["paid"], paid["received"]) == (28_264_000, 0)
    received = [
        statement_of(document, lender, ())["proposed"]["guarantee_calls"][0]["received"]
        for lender in ("banque-solidaire", "fondation-terre")
    ]
    assert sum(received) == 28_264_000 and received[0] > received[1] > 0


def test_programme_dump_keeps_the_cover_and_a_copy_calls_the_same(manager, tmp_path):
    load(
        tmp_path,
        covered_deal({"cover_percent": "50", "cover_limit": 25_000_000}, committed=25_000_000),
    )
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    [first_loss] = [t for t in dumped["tranches"] if t["kind"] == "guarantee"]
    assert first_loss["guarantee"] == {
        "protects": "senior",
        "cover_percent": "50",
        "cover_limit": 25_000_000,
    }
    dumped["programme"]["slug"] = "jardins-copy"
    load(tmp_path, dumped, "copy.json")
    out = StringIO()
    call_command("programme_dump", "jardins-copy", stdout=out)
    assert json.loads(out.getvalue()) == dumped
    assert the_call("jardins-copy")["amount"] == the_call()["amount"] == 25_000_000


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        ("fr", "couvre 50\u00a0% de la perte en principal, au plus 250\u202f000,00\u00a0€"),
        ("en", "covers 50\u00a0% of the principal loss, at most €250,000.00"),
    ],
)
def test_the_tranches_page_says_the_cover(manager, tmp_path, lang, wording):
    load(
        tmp_path,
        covered_deal({"cover_percent": "50", "cover_limit": 25_000_000}, committed=25_000_000),
    )
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = lang
    programme = Programme.objects.get(slug=SLUG)
    url = reverse("payments_portal:investors", kwargs={"programme_id": programme.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert wording in response.content.decode()


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        ("fr", "50 % de la perte en principal de Prêts seniors"),
        ("en", "50% of the principal loss of Prêts seniors"),
    ],
)
def test_the_manager_report_says_the_cover_in_its_waterfall(manager, tmp_path, lang, wording):
    load(tmp_path, covered_deal({"cover_percent": "50"}, committed=30_000_000))
    programme = Programme.objects.get(slug=SLUG)
    text = " ".join(
        pdf_text(report_render(programme=programme, edition="manager", language=lang)).split()
    )
    assert wording in text

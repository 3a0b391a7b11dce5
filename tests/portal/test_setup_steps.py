"""The guided programme setup: a definition built step by step, the format's rules at
each field, nothing written before "Create the draft", and the same contract as the
equivalent upload (docs/portal.md, `portal:programme-steps`)."""

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from sib.models import Programme, ProgrammeStatus, User
from sib.programme_format import programme_definition_load
from tests.portal.conftest import PASSWORD
from tests.portal.language import page_findings
from tests.portal.setup_steps_support import (
    COMMITMENTS,
    METRICS,
    STEP_DATA,
    TRANCHES,
    UPLOADED,
    formset,
    organisations,
    url,
    walk,
)
from tests.portal.test_language_crawler import ALLOWED

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    organisations()
    return User.objects.create_user("admin", password=PASSWORD, is_staff=True)


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _field_errors(response: Any, part: int, row: int | None, field: str) -> list[str]:
    shown = response.context["parts"][part][1]
    form = shown if row is None else shown.forms[row]
    return list(form.errors.get(field, []))


def _bad(step: str, key: str, value: Any, prefix: str | None = None) -> dict[str, Any]:
    data = dict(STEP_DATA[step])
    data[f"{prefix}-0-{key}" if prefix else key] = value
    return data


# step, POST data with one wrong value, (part, row, field) showing it, English, French.
REFUSALS = [
    (
        "programme",
        _bad("programme", "slug", "in work"),
        (0, None, "slug"),
        "'in work' is not a code",
        "'in work' n’est pas un code",
    ),
    (
        "programme",
        _bad("programme", "end_date", "2025-12-31"),
        (0, None, "end_date"),
        "must be after start_date",
        "doit être postérieure à start_date",
    ),
    (
        "programme",
        _bad("programme", "currency", "FRF"),
        (0, None, "currency"),
        "'FRF' is not a currency in use",
        "'FRF' n’est pas une devise en usage",
    ),
    (
        "parties",
        _bad("parties", "payer_share", "33.33333", "payers"),
        (0, 0, "payer_share"),
        "has more than 4 decimal places",
        "a plus de 4 décimales",
    ),
    (
        "parties",
        _bad("parties", "payer_share", "150", "payers"),
        (0, 0, "payer_share"),
        'a percentage string in (0, 100], e.g. "70", or "rest"',
        'un pourcentage écrit en texte, dans ]0, 100], par exemple "70", ou "rest"',
    ),
    (
        "periods",
        _bad("periods", "start_date", "2026-06-01", "periods")
        | {"periods-0-end_date": "2026-01-31"},
        (0, 0, "end_date"),
        "must not be before start_date",
        "ne doit pas précéder start_date",
    ),
    (
        "tranches",
        {
            **STEP_DATA["tranches"],
            **formset("tranches", [TRANCHES[0], {**TRANCHES[0], "key": "junior"}]),
        },
        (0, 1, "priority"),
        "another tranche has priority 1",
        "une autre tranche a déjà le rang 1",
    ),
    (
        "waterfall",
        {**formset("steps", [{"kind": "principal", "tranche": "junior"}]), "example": ""},
        (0, 0, "tranche"),
        "unknown tranche 'junior'",
        "tranche inconnue 'junior'",
    ),
    (
        "cohorts",
        _bad("cohorts", "start_date", "2031-03-01", "cohorts"),
        (0, 0, "start_date"),
        "2031-03-01 is outside the contract",
        "2031-03-01 est hors du contrat",
    ),
    (
        "periods",
        _bad("periods", "end_date", "2035-12-31", "periods"),
        (0, 0, "end_date"),
        "2035-12-31 is outside the contract",
        "2035-12-31 est hors du contrat",
    ),
    (
        "metrics",
        _bad("metrics", "code", "in work", "metrics"),
        (0, 0, "code"),
        "'in work' is not a code",
        "'in work' n’est pas un code",
    ),
    (
        "tranches",
        _bad("tranches", "cap_value", "five", "tranches"),
        (0, 0, "cap_value"),
        "'five' is not a number",
        "'five' n’est pas un nombre",
    ),
    (
        "tranches",
        _bad("tranches", "tranche", "junior", "commitments"),
        (1, 0, "tranche"),
        "No tranche above has the key junior.",
        "Aucune tranche ci-dessus n’a la clé junior.",
    ),
    (
        "waterfall",
        {
            **formset(
                "steps",
                [
                    {"kind": "principal", "tranche": "senior", "ORDER": "1"},
                    {"kind": "investor_success_fee", "tranche": "senior", "share": "half"},
                ],
            ),
            "example": "",
        },
        (0, 1, "share"),
        "'half' is not a number",
        "'half' n’est pas un nombre",
    ),
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("step", "data", "where", "english", "french"),
    REFUSALS,
    ids=[f"{refusal[0]}-{refusal[2][2]}" for refusal in REFUSALS],
)
def test_each_step_refuses_at_the_field_in_the_users_language(
    staff: User,
    step: str,
    data: dict[str, Any],
    where: tuple,
    english: str,
    french: str,
    language: str,
):
    client = _client(staff, language)
    walk(client, until=step)
    response = client.post(url(step), {**data, "action": "next"})
    assert response.status_code == 200
    errors = _field_errors(response, *where)
    expected = english if language == "en" else french
    assert any(expected in message for message in errors), errors
    assert not Programme.objects.exists()


def test_the_path_makes_the_same_contract_as_the_equivalent_upload(staff: User):
    client = _client(staff)
    walk(client)
    assert not Programme.objects.exists(), "nothing is written before the review"
    review = client.get(url("review"))
    assert review.context["errors"] == []
    response = client.post(url("review"), {"action": "create"})
    stepped = Programme.objects.get(slug="jardins")
    assert response.status_code == 302
    assert response["Location"] == f"/programmes/{stepped.pk}/activation/"
    assert stepped.status == ProgrammeStatus.DRAFT
    stepped_dump = _dump("jardins")

    uploaded = json.loads(json.dumps(UPLOADED))
    uploaded["programme"]["slug"] = "jardins-upload"
    programme_definition_load(uploaded, creator=staff)
    upload_dump = _dump("jardins-upload")
    upload_dump["programme"]["slug"] = "jardins"
    assert stepped_dump == upload_dump


def _dump(slug: str) -> dict[str, Any]:
    out = StringIO()
    call_command("programme_dump", slug, stdout=out)
    return json.loads(out.getvalue())


def test_a_refusal_at_creation_lists_its_path_and_writes_nothing(staff: User):
    client = _client(staff)
    walk(client)
    # Another programme takes the reference between the first step and the last.
    programme_definition_load(json.loads(json.dumps(UPLOADED)), creator=staff)
    response = client.post(url("review"), {"action": "create"})
    assert response.status_code == 200
    assert [path for path, _message in response.context["errors"]] == ["programme.slug"]
    assert Programme.objects.count() == 1


def test_the_metrics_preview_shows_the_rate_card(staff: User):
    client = _client(staff, "fr")
    walk(client, until="metrics")
    response = client.post(url("metrics"), {**STEP_DATA["metrics"], "action": "preview"})
    card = response.context["preview"]
    assert card["cohorts"] == [("2026", "Cohorte 2026")]
    assert card["lines"][0]["prices"] == [300000]
    assert "3\u202f000,00\xa0€" in response.content.decode() or "3 000,00" in (
        response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    )
    assert 'id="rate-card"' in response.content.decode()


def test_the_waterfall_preview_runs_the_engine_on_an_example_payment(staff: User):
    client = _client(staff)
    walk(client, until="waterfall")
    data = {**STEP_DATA["waterfall"], "example": "800000", "action": "preview"}
    page = client.post(url("waterfall"), data).content.decode()
    # 600 000 € drawn on 2026-01-01 at 5 % simple a year, paid on 2030-12-31 (1 825 days).
    assert 'data-step="0" data-paid="60000000"' in page
    assert 'data-step="1" data-paid="15000000"' in page
    assert 'data-step="2" data-paid="0"' in page
    assert not Programme.objects.exists()


def test_a_commitment_amount_is_read_in_the_pages_language(staff: User):
    client = _client(staff, "fr")
    walk(client, until="tranches")
    rows = [{**COMMITMENTS[0], "amount": "600 000,00"}]
    data = {**STEP_DATA["tranches"], **formset("commitments", rows), "action": "next"}
    assert client.post(url("tranches"), data).status_code == 302
    document = client.session["programme_setup"]
    assert document["tranches"][0]["commitments"][0]["amount"] == 60000000


def test_a_metric_offers_only_the_cohorts_and_periods_set_up(staff: User):
    client = _client(staff)
    walk(client, until="metrics")
    rows = [{**METRICS[0], "cohorts": ["2099"]}]
    response = client.post(url("metrics"), {**formset("metrics", rows), "action": "next"})
    assert _field_errors(response, 0, 0, "cohorts")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_the_right_to_open_programmes_is_refused(method: str):
    user = User.objects.create_user("someone", password=PASSWORD)
    for step in ("programme", "review"):
        response = getattr(_client(user), method)(url(step))
        assert response.status_code == 403
    assert _client(user).get("/programmes/new/steps/").status_code == 403


def test_a_user_given_the_right_to_open_programmes_walks_the_path():
    organisations()
    user = User.objects.create_user("opener", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="add_programme"))
    client = _client(user)
    assert client.get("/programmes/new/steps/").status_code == 302
    walk(client)
    assert client.post(url("review"), {"action": "create"}).status_code == 302
    assert Programme.objects.get().name == "Jardins solidaires"


def test_an_anonymous_visitor_is_sent_to_log_in():
    response = Client().get(url("programme"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_later_step_before_the_programme_leads_to_the_first(staff: User):
    response = _client(staff).get(url("metrics"))
    assert response.status_code == 302
    assert response["Location"] == url("programme")


def test_the_upload_page_links_to_the_guided_path(staff: User):
    page = _client(staff).get("/programmes/new/").content.decode()
    assert 'href="/programmes/new/steps/programme/"' in page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_of_the_path_speaks_the_users_language(staff: User, language: str):
    client = _client(staff, language)
    walk(client)
    pages = {step: client.get(url(step)).content.decode() for step in [*STEP_DATA, "review"]}
    for step, action in (("metrics", "preview"), ("waterfall", "preview")):
        data = {**STEP_DATA[step], "action": action}
        pages[f"{step} preview"] = client.post(url(step), data).content.decode()
    findings = [
        finding
        for step, page in pages.items()
        for finding in page_findings(
            page, url=step, role="staff", language=language, allowed=frozenset(ALLOWED)
        )
    ]
    assert findings == [], [str(finding) for finding in findings]


# Values a person (or a hostile post) may type: each refused at its field, never a 500.
HOSTILE = [
    ("programme", _bad("programme", "currency", "XYZ"), (0, None, "currency")),
    ("programme", _bad("programme", "name", "Jardins\x00"), (0, None, "name")),
    (
        "programme",
        _bad("programme", "contract_cap", "10000000000000000"),
        (0, None, "contract_cap"),
    ),
    ("cohorts", _bad("cohorts", "planned_size", "-3", "cohorts"), (0, 0, "planned_size")),
    ("tranches", _bad("tranches", "priority", str(10**20), "tranches"), (0, 0, "priority")),
    ("tranches", _bad("tranches", "cap_value", "1e30", "tranches"), (0, 0, "cap_value")),
]


@pytest.mark.parametrize(("step", "data", "where"), HOSTILE)
def test_a_hostile_value_is_refused_at_its_field(
    staff: User, step: str, data: dict[str, Any], where: tuple
):
    client = _client(staff, "fr")
    walk(client, until=step)
    response = client.post(url(step), {**data, "action": "next"})
    assert response.status_code == 200
    assert _field_errors(response, *where)
    assert not Programme.objects.exists()


def test_a_waterfall_the_engine_cannot_read_previews_nothing_and_says_why(staff: User):
    client = _client(staff)
    walk(client, until="waterfall")
    rows = [{"kind": "principal", "tranche": "nope", "ORDER": "1"}]
    data = {**formset("steps", rows), "example": "abc", "action": "preview"}
    response = client.post(url("waterfall"), data)
    assert response.status_code == 200
    assert 'id="waterfall-preview"' not in response.content.decode()
    assert _field_errors(response, 0, 0, "tranche")
    assert _field_errors(response, 1, None, "example")

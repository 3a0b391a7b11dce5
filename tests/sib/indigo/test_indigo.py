"""INDIGO project records in and out (docs/indigo.md): every field with a place here is
mapped, every other one is listed by its JSON path, nothing the record lacks is invented,
and a record exported, imported and exported again is the same record.

The fixtures are synthetic records shaped like the INDIGO data standard's project schema:
`rich` (most lists and facts), `minimal` (what the format requires and nothing else) and
`unknowns` (a cap, a contract day and an organisation's name that the record does not give).
"""

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sib.bounds import document_errors
from sib.demo import demo_definition
from sib.facts import programme_facts
from sib.indigo.exporter import programme_indigo_export
from sib.indigo.importer import indigo_convert, indigo_import
from sib.models import Organisation, Programme, ProgrammeStatus, User
from sib.programme_format import DefinitionError, programme_definition_load, schema_errors
from sib.programme_format.schema import facts_errors

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def record(name):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def creator():
    return User.objects.create_superuser("root", password="pw-123456789")


def test_rich_record_loads_as_a_draft_with_its_facts_and_parties(creator):
    result = indigo_import(bundle=record("rich"), creator=creator)
    programme = result.programme
    assert programme.slug == "indigo-poj-9001"
    assert programme.status == ProgrammeStatus.DRAFT
    assert programme.currency == "GBP"
    # 3,250,000.50 GBP in pence, not rounded.
    assert programme.contract_cap == 325000050
    assert str(programme.start_date) == "2021-03-15"
    assert str(programme.end_date) == "2025-03-31"
    facts = programme_facts(programme=programme)
    assert facts["country"] == "GB"
    assert facts["policy_sector"] == "Employment and training"
    # A date known to the month stays a month.
    assert facts["dates"]["all_contracts_signed"] == "2021-04"
    # "7.5%" is the decimal string 0.075, never a float.
    assert facts["target_irr"] == "0.075"
    assert facts["investment_total"] == {"min": 150000000, "max": 200000000}
    assert facts["beneficiaries"] == {"targeted": 1200, "engaged": 1034, "unit": "Individual"}
    assert facts["investor_terms"][1]["commitment"] == {"min": 30000000, "max": 80000000}
    assert facts["investor_terms"][0]["maximum_return"] == "12.5"
    # The intermediary's several roles, in full.
    assert [
        r.get("function") for r in facts["organisation_roles"] if r["role"] == "intermediary"
    ] == [
        "Capital raise",
        "Performance management",
        "Data platform",
    ]
    parties = {
        (p.organisation.slug, p.role) for p in programme.parties.select_related("organisation")
    }
    # Outcome payers without a share are no parties: INDIGO records no share.
    assert ("indigo-org-9001", "outcome_payer") not in parties
    assert ("indigo-org-9003", "investor") in parties
    assert ("indigo-org-9006", "intermediary") in parties
    assert result.conversion.to_complete == [
        "parties: the share of outcome payer 'indigo-org-9001': INDIGO records none",
        "parties: the share of outcome payer 'indigo-org-9002': INDIGO records none",
    ]


def test_every_field_not_mapped_is_listed_by_its_json_path():
    unmapped = indigo_convert(record("rich")).unmapped
    assert unmapped == [
        "project.public",
        "project.data.alternative_names.value",
        "project.data.stage_development.status",
        "project.data.dates.outcomes_contract_signed.status",
        "project.data.dates.notes",
        "project.data.overall_project_finance.total_investment_commitment.amount_usd.min.value",
        "project.data.overall_project_finance.maximum_potential_outcome_payment_v2.amount_usd.value",
        "project.data.investment_details.internal_rate_of_return.latest.value",
        "project.data.purpose_and_classifications.social_challenge.value",
        "project.data.delivery_locations[0].lat_lng.lat.value",
        "project.data.delivery_locations[0].lat_lng.lng.value",
        "project.data.sources[0].id",
        "project.data.outcome_payment_commitments[0].maximum_potential_outcome_payment.currency.value",
        "project.data.outcome_payment_commitments[0].maximum_potential_outcome_payment.amount.value",
        "project.data.investments[0].id",
        "project.data.investments[1].id",
        "project.data.service_provisions[0].id",
        "project.data.outcome_metrics[0].id",
        "project.data.outcome_metrics[0].definition.value",
        "organisations[2].data.website.value",
    ]


def test_minimal_record_loads_and_says_it_names_no_payer(creator):
    result = indigo_import(bundle=record("minimal"), creator=creator)
    assert result.programme.contract_cap == 90000000
    assert result.conversion.unmapped == []
    assert result.conversion.to_complete == ["parties: the record names no outcome payer"]


def test_unknown_cap_day_and_name_are_never_invented_and_nothing_is_loaded(creator):
    result = indigo_import(bundle=record("unknowns"), creator=creator)
    assert result.programme is None
    assert not Programme.objects.exists()
    assert not Organisation.objects.exists()
    missing = result.conversion.missing
    # No cap in the record: unknown (null, as the format allows), not missing; said.
    assert not any(line.startswith("programme.contract_cap") for line in missing)
    assert result.conversion.document["programme"]["contract_cap"] is None
    assert result.conversion.to_complete[0].startswith("programme.contract_cap: not in the record")
    assert missing[0] == (
        "programme.start_date: dates.outcomes_contract_signed.value is '2019-06': not a full "
        "date (YYYY-MM-DD): a contract date needs the day"
    )
    assert any(line.startswith("organisations: the name of INDIGO-ORG-9099") for line in missing)
    # What does not fit is listed with its reason, not guessed: "7" may be 7 % or 0.07.
    unmapped = result.conversion.unmapped
    assert (
        "project.data.investment_details.internal_rate_of_return.target.value (not a "
        'percentage written like "7.5%")'
    ) in unmapped
    assert (
        "project.data.jurisdiction.jurisdiction.value (not a two-letter ISO 3166 country code)"
    ) in unmapped
    assert "facts" in result.conversion.document
    assert "country" not in result.conversion.document["facts"]


def test_a_record_without_a_cap_loads_as_a_draft_whose_cap_is_unknown(creator):
    bundle = record("minimal")
    del bundle["data"]["overall_project_finance"]["maximum_potential_outcome_payment_v2"]["amount"]
    result = indigo_import(bundle=bundle, creator=creator)
    assert result.programme is not None
    assert result.programme.status == ProgrammeStatus.DRAFT
    assert result.programme.contract_cap is None
    assert "programme.contract_cap: not in the record; unknown until someone supplies it" in (
        result.conversion.to_complete
    )


def test_an_amount_finer_than_the_minor_unit_is_listed_not_rounded():
    bundle = record("minimal")
    bundle["data"]["overall_project_finance"]["maximum_potential_outcome_payment_v2"]["amount"] = {
        "value": 900000.125
    }
    conversion = indigo_convert(bundle)
    assert "contract_cap" not in conversion.document["programme"]
    assert conversion.unmapped == [
        "data.overall_project_finance.maximum_potential_outcome_payment_v2.amount.value "
        "(900000.125 EUR is finer than the minor unit)"
    ]
    assert "programme.contract_cap: not in the record" in conversion.missing


@pytest.mark.parametrize("name", ["rich", "minimal"])
def test_export_import_export_gives_the_same_record(creator, name):
    first = indigo_import(bundle=record(name), creator=creator).programme
    exported = programme_indigo_export(programme=first).record
    second = indigo_import(bundle=exported, creator=creator, slug=f"{name}-again").programme
    again = programme_indigo_export(programme=second).record
    assert json.dumps(again, sort_keys=False) == json.dumps(exported, sort_keys=False)
    assert programme_facts(programme=second) == programme_facts(programme=first)


def test_export_writes_the_record_in_indigo_shape(creator):
    programme = indigo_import(bundle=record("rich"), creator=creator).programme
    data = programme_indigo_export(programme=programme).record["project"]["data"]
    assert data["investment_details"]["internal_rate_of_return"]["target"] == {"value": "7.5%"}
    cap = data["overall_project_finance"]["maximum_potential_outcome_payment_v2"]
    assert cap == {"currency": {"value": "GBP"}, "amount": {"value": 3250000.5}}
    assert data["intermediary_services"][2] == {
        "organisation_id": {"value": "INDIGO-ORG-9006"},
        "organisation_role_category": {"value": "Other"},
        "other_role_description": {"value": "Data platform"},
    }


def test_a_mapped_document_the_format_refuses_is_refused_whole(creator):
    indigo_import(bundle=record("minimal"), creator=creator)
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        indigo_import(bundle=record("rich"), creator=creator, slug="indigo-poj-9002")
    assert (
        dict(error.value.errors)["programme.slug"] == "a programme 'indigo-poj-9002' already exists"
    )
    assert Programme.objects.count() == 1
    assert not Organisation.objects.exists()


def test_commands_import_list_what_was_not_mapped_and_export(creator, tmp_path):
    out = io.StringIO()
    call_command("indigo_import", str(FIXTURES / "rich.json"), stdout=out)
    text = out.getvalue()
    assert "Not mapped (20):\n  project.public\n" in text
    assert "To complete before activation (the programme stays a draft) (2):" in text
    assert text.endswith("Loaded programme indigo-poj-9001 (draft).\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("indigo_export", "indigo-poj-9001", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["project"]["id"] == "INDIGO-POJ-9001"
    assert err.getvalue() == ""


def test_import_command_says_what_is_missing_and_writes_the_definition_to_complete(
    creator, tmp_path
):
    output = tmp_path / "to-complete.json"
    with pytest.raises(CommandError) as error:
        call_command(
            "indigo_import", str(FIXTURES / "unknowns.json"), "--output", str(output),
            stdout=io.StringIO(),
        )  # fmt: skip
    assert "Nothing was loaded" in str(error.value)
    assert "programme.start_date" in str(error.value)
    written = json.loads(output.read_text(encoding="utf-8"))
    assert written["programme"]["currency"] == "DKK"
    assert written["programme"]["contract_cap"] is None


HOSTILE = [
    None, "", " ", "x" * 201, "y" * 10_001, -1, 1e20, 1.5, 0.001, 1e-13, True, [], {},
    "2019-13-01", "2019-02-30", "ftp://example.org", "nul\u0000", 10**16, "12.5%", "999%",
    "INDIGO ORG 1",
]  # fmt: skip


def _leaf_paths(node, path=()):
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*path, i))]
    return [path]


RICH_LEAVES = _leaf_paths(record("rich"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(RICH_LEAVES), st.sampled_from(HOSTILE)), max_size=6))
def test_whatever_a_record_holds_what_is_mapped_fits_the_format(changes):
    """A hostile value anywhere is listed (not mapped, or missing), never a traceback, and
    never half-mapped: the document passes the format's checks but for what is missing."""
    bundle = copy.deepcopy(record("rich"))
    for path, value in changes:
        node = bundle
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    with translation.override("en"):
        conversion = indigo_convert(bundle)
        document = conversion.document
        schema_refusals = schema_errors(document)
    assert document_errors(document) == []
    refused = [(p, message) for p, message in schema_refusals if message != "required"]
    assert refused == []
    if "facts" in document:
        assert facts_errors(document["facts"]) == []


def test_a_programme_set_up_here_exports_says_what_indigo_cannot_hold_and_round_trips(creator):
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    programme = programme_definition_load(demo_definition(), creator=creator)
    out, err = io.StringIO(), io.StringIO()
    call_command("indigo_export", programme.slug, stdout=out, stderr=err)
    exported = json.loads(out.getvalue())
    data = exported["project"]["data"]
    assert "id" not in exported["project"]  # no INDIGO identifier is made up
    assert data["dates"] == {
        "outcomes_contract_signed": {"value": "2026-01-01"},
        "anticipated_completion_date": {"value": "2030-12-31"},
    }
    assert data["overall_project_finance"]["maximum_potential_outcome_payment_v2"] == {
        "currency": {"value": "EUR"},
        "amount": {"value": 1500000},
    }
    assert [item["organisation_id"]["value"] for item in data["outcome_payment_commitments"]] == [
        "departement-13",
        "etat",
    ]
    assert "Not exported: parties: the share of 'etat' (70 %)" in err.getvalue()
    assert "Not exported: metrics: INDIGO's project record has no field for it" in err.getvalue()
    again = indigo_import(bundle=exported, creator=creator, slug="demo-again").programme
    assert again.status == ProgrammeStatus.DRAFT
    assert programme_indigo_export(programme=again).record == exported


def test_payer_splits_and_caps_are_listed_as_not_exported(creator):
    """INDIGO records who pays, not how much of which cohort nor up to what: both listed."""
    document = demo_definition()
    del document["history"], document["memberships"]
    document["programme"]["status"] = "draft"
    document["parties"][1]["payer_cap"] = 30_000_000
    document["payer_shares"] = [
        {"cohorts": ["2026"], "shares": [{"payer": "departement-13", "share": "100"}]}
    ]
    programme = programme_definition_load(document, creator=creator)
    export = programme_indigo_export(programme=programme)
    assert "payer_shares[0]" in export.not_exported
    assert "parties: the cap of 'departement-13' (30000000)" in export.not_exported


def test_a_payer_of_the_rest_is_listed_as_not_exported(creator):
    """INDIGO has no field for who pays the rest: the State's "rest" is listed, not lost."""
    document = demo_definition()
    del document["history"], document["memberships"]
    document["programme"]["status"] = "draft"
    for party in document["parties"]:
        if party["organisation"] == "etat":
            party["payer_share"] = "rest"
    programme = programme_definition_load(document, creator=creator)
    export = programme_indigo_export(programme=programme)
    assert "parties: 'etat' pays the rest" in export.not_exported
    assert "parties: the share of 'departement-13' (30 %)" in export.not_exported
    payers = export.record["project"]["data"]["outcome_payment_commitments"]
    assert [item["organisation_id"]["value"] for item in payers] == ["departement-13", "etat"]

"""The OpenAPI links: from what an operation returns to where it is read or acted on."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_link_names_an_operation_and_fills_its_path(schema):
    by_id = {operation["operationId"]: path for path, _, operation in operations(schema)}
    links = [
        link
        for _, _, operation in operations(schema)
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]

    assert len(links) >= 20
    for link in links:
        target = by_id[link["operationId"]]
        path_parameters = {part[1:-1] for part in target.split("/") if part.startswith("{")}
        assert set(link["parameters"]) == path_parameters, link


def test_a_submitted_result_links_to_its_detail_and_a_drawdown_to_its_reversal(schema):
    paths = schema["paths"]
    submitted = paths["/api/programmes/{programme_id}/results/submit/"]["post"]["responses"]
    drawn = paths["/api/programmes/{programme_id}/drawdowns/create/"]["post"]["responses"]

    assert submitted["201"]["links"]["Retrieve"] == {
        "operationId": "result_retrieve",
        "parameters": {
            "programme_id": "$request.path.programme_id",
            "result_id": "$response.body#/id",
        },
    }
    # Created (201) or replayed under its Idempotency-Key (200): the same transaction.
    for code in ("201", "200"):
        assert drawn[code]["links"]["Reverse"]["parameters"]["transaction_id"] == (
            "$response.body#/transaction"
        )
    assert "links" not in submitted["400"]

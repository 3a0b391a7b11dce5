"""The other results of a cell as the submit and verify pages list them (outcomes.cells)."""

from typing import Any

from outcomes.cells import CellResult, refusal_for
from outcomes.models import Result
from outcomes.portal import forms
from outcomes.portal.labels import CELL_EFFECT_LABELS, STAGE_LABELS, STATE_LABELS
from outcomes.selectors_portal import CellNeighbour, cell_neighbours
from sib.portal.labels import label
from sib.scoping import ProgrammeAccess


def cell_rows(in_cell: list[CellNeighbour]) -> list[dict[str, Any]]:
    """Return the cell's other results as the warning lists them: stage, state, effect."""
    return [
        {
            "result": n.result,
            "stage": label(STAGE_LABELS, n.result.stage),
            "state": label(STATE_LABELS, str(n.result.state)),  # type: ignore[attr-defined]
            "effect": label(CELL_EFFECT_LABELS, n.effect),
            "effect_code": n.effect,
        }
        for n in in_cell
    ]


def submit_probe(access: ProgrammeAccess, form: forms.ResultSubmitForm) -> Result:
    """Return the result the valid submit form would make, unsaved: what the page shows
    of it before it is made (its cell, what verifying it would pay)."""
    data = form.cleaned_data
    values = form.values()
    return Result(
        programme=access.programme,
        metric=data["metric"],
        cohort=data["cohort"],
        period=data["period"],
        stage=data["stage"],
        value=values.value,
        comparison_value=values.comparison_value,
        sample_size=values.sample_size,
        comparison_sample_size=values.comparison_sample_size,
        additional=values.additional,
    )


def cell_to_confirm(access: ProgrammeAccess, form: forms.ResultSubmitForm) -> list[Any]:
    """Return the cell's live results to show before submitting, when the rule allows the
    submission and the evaluator has not seen them yet (a refusal goes to the service)."""
    data = form.cleaned_data
    if data.get("confirmed"):
        return []
    probe = submit_probe(access, form)
    in_cell = cell_neighbours(result=probe)
    live = [
        CellResult(n.result.pk, (0, 0, 0), n.result.stage, n.result.from_participants)
        for n in in_cell
    ]
    refused = refusal_for(
        live, stage=data["stage"], from_participants=False, additional=bool(data["additional"])
    )
    return cell_rows(in_cell) if refused is None else []

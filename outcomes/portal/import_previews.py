"""What the import page shows of a checked file before it is confirmed: per cell (metric ×
cohort × period), what the file brings and what it does to the results the cell holds;
for a viewer who sees outcome payments, what verifying all of it would make each payer owe.

Read inside the check's transaction (outcomes.import_checks), while the file's results
exist there as submitted results; the check rolls them back afterwards. The cells are
read by the same rule as the submit page (outcomes.cells through cell_neighbours), the
money by the same engine run (outcomes.signals.import_preview), never a copy of either.
Evaluators, who import, see no money (outcomes.portal.previews says why).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outcomes.models import Result, ResultState
from outcomes.portal.cells import cell_rows
from outcomes.portal.labels import STAGE_LABELS
from outcomes.selectors_portal import cell_neighbours
from outcomes.signals import import_preview
from sib.permissions import Action
from sib.portal.labels import label
from sib.scoping import ProgrammeAccess

# What the cell holds before the file: the status line of its row on the preview.
CELL_STATUS_LABELS: dict[str, Promise] = {
    "new": _("New cell: it holds no result yet."),
    "verified": _("The cell holds verified results: what this one does to each is listed."),
    "submitted": _("The cell holds results awaiting verification; none is verified yet."),
}


@dataclass
class ImportPreview:
    """The preview of a checked file: one row per result it makes, and the totals."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    results: int = 0
    records: int = 0
    cells_verified: int = 0
    previews: list[str] = field(default_factory=list)


def _cell(result: Result) -> dict[str, Any]:
    # The file's own results are not "already in the cell": only those made before it.
    live = [n for n in cell_neighbours(result=result) if n.result.batch_id != result.batch_id]
    verified = [n for n in live if n.result.state == ResultState.VERIFIED]  # type: ignore[attr-defined]
    status = "verified" if verified else "submitted" if live else "new"
    return {
        "metric": result.metric,
        "cohort": result.cohort,
        "period": result.period,
        "stage": label(STAGE_LABELS, result.stage),
        "value": result.value,
        "records": int(result.value) if result.from_participants else None,
        "status": status,
        "status_label": label(CELL_STATUS_LABELS, status),
        "in_cell": cell_rows(verified),
    }


def import_inspector(access: ProgrammeAccess) -> Callable[[list[Result]], ImportPreview]:
    """Return the reader the check runs over the results the file would make."""

    def inspect(results: list[Result]) -> ImportPreview:
        preview = ImportPreview(cells=[_cell(result) for result in results])
        preview.results = len(results)
        preview.records = sum(
            int(r.value) for r in results if r.from_participants and r.value is not None
        )
        preview.cells_verified = sum(1 for cell in preview.cells if cell["status"] == "verified")
        if access.allows(Action.PAYMENT_VIEW) and results:
            preview.previews = [
                html
                for _receiver, html in import_preview.send(
                    sender=Result, programme=access.programme, results=results
                )
                if html
            ]
        return preview

    return inspect

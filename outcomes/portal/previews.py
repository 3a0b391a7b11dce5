"""What the result pages show before a result counts: the verified results of its cell it
meets, and what verifying it would pay.

Outcomes cannot import payments (imports flow one way), so the payment figures are asked
of the apps above through outcomes.signals.decision_preview (payments.portal.previews
answers); each answer is safe HTML. Nothing here writes.

The money is shown to those whose role sees outcome payments (`payment.view`: fund
managers), never to evaluators: they measure and verify outcomes independently of what
the outcomes pay (DOMAIN.md), so their pages say what a result does to its cell, not what
it costs whom.
"""

from typing import Any

from outcomes.cells import require_cell_free
from outcomes.models import Result
from outcomes.portal.cells import cell_rows, submit_probe
from outcomes.portal.forms import ResultSubmitForm
from outcomes.selectors_portal import cell_neighbours
from outcomes.signals import decision_preview
from sib.permissions import Action
from sib.scoping import ProgrammeAccess


def payment_previews(*, access: ProgrammeAccess, result: Result) -> list[str]:
    """Return what the apps above say verifying `result` (saved or not) would change, for
    a viewer whose role sees outcome payments; nothing for anyone else."""
    if not access.allows(Action.PAYMENT_VIEW):
        return []
    programme = access.programme
    return [
        html
        for _receiver, html in decision_preview.send(
            sender=Result, programme=programme, result=result
        )
        if html
    ]


def before_verification(*, access: ProgrammeAccess, result: Result) -> dict[str, Any]:
    """Return the page context shown before `result` is verified: the cell's verified
    results, each with what verifying `result` does to it, and the payment previews."""
    return {
        "in_cell": cell_rows(cell_neighbours(result=result, verified_only=True)),
        "previews": payment_previews(access=access, result=result),
    }


def before_submission(*, access: ProgrammeAccess, form: ResultSubmitForm) -> dict[str, Any]:
    """Return what the submit page shows of the result the valid `form` would make, before
    it is made: the cell's live results, each with what it does to them (its submitter, an
    evaluator, sees no money). Raises the service's own Conflict when the cell refuses it
    (outcomes.cells).
    """
    probe = submit_probe(access, form)
    metric, cohort, period = probe.metric, probe.cohort, probe.period
    require_cell_free(
        metric_id=metric.pk,
        cohort_id=cohort.pk,
        period_id=period.pk,
        codes=(metric.code, cohort.code, period.code),
        stage=probe.stage,
        additional=probe.additional,
    )
    return {"in_cell": cell_rows(cell_neighbours(result=probe))}

"""The checks of a tranche's measured-rate terms, its coupon and its redemption.

Kept apart from payments.services (tranche_create calls them) so that both the API and
programme_load refuse the same terms with the same messages.
"""

from typing import Any

from django.utils.translation import gettext as _

from outcomes.absolute_mechanisms import BandedRateMechanism
from outcomes.models import Metric
from outcomes.rule_json import RuleError
from payments.engine.coupon import CouponCap
from payments.engine.redemption import RedemptionTerms
from payments.models import CapType, TrancheKind
from sib.models import PartyRole, Programme, ProgrammeParty


def _banded_rate(programme: Programme, code: str) -> bool:
    metric = Metric.objects.filter(programme=programme, code=code).first()
    return metric is not None and (metric.mechanism or {}).get("kind") == BandedRateMechanism.kind


def coupon_errors(
    coupon: dict[str, Any] | None, *, programme: Programme, kind: str, cap_type: str
) -> dict[str, str]:
    """Return what refuses a tranche's coupon: a guarantee or a cap with it, bad terms, a
    metric that is not one of the programme's banded rates."""
    if coupon is None:
        return {}
    if kind == TrancheKind.GUARANTEE:
        return {"coupon": _("A guarantee has no coupon.")}
    if cap_type != CapType.NONE:
        return {"coupon": _("A tranche with a coupon has no other return cap.")}
    try:
        terms = CouponCap.from_dict(coupon, "coupon")
    except RuleError as exc:
        return {"coupon": str(exc)}
    if not _banded_rate(programme, terms.metric):
        return {
            "coupon.metric": _("A coupon reads the rate of a banded-rate metric of this programme.")
        }
    return {}


def redemption_errors(
    redemption: dict[str, Any] | None, *, programme: Programme, kind: str
) -> dict[str, str]:
    """Return what refuses a tranche's redemption: a guarantee with it, bad terms, a metric
    that is not a banded rate, a payer that is not one of the programme's outcome payers."""
    if redemption is None:
        return {}
    if kind == TrancheKind.GUARANTEE:
        return {"redemption": _("A guarantee has no principal to redeem.")}
    try:
        terms = RedemptionTerms.from_dict(redemption, "redemption")
    except RuleError as exc:
        return {"redemption": str(exc)}
    if not _banded_rate(programme, terms.metric):
        return {
            "redemption.metric": _(
                "A redemption reads the rate of a banded-rate metric of this programme."
            )
        }
    if not ProgrammeParty.objects.filter(
        programme=programme, organisation__slug=terms.payer, role=PartyRole.OUTCOME_PAYER
    ).exists():
        return {"redemption.payer": redemption_payer_message(terms.payer)}
    return {}


def redemption_payer_message(payer: str) -> str:
    """Say that a redemption's payer must be an outcome payer: another party (a donor, a
    foundation) would owe a due no position, notice or report shows, and whose payment
    payment_check refuses."""
    return _(
        "'%(party)s' is not an outcome payer of the programme: a redemption's payer must "
        "be one of its outcome payers."
    ) % {"party": payer}

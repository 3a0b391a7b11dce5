"""Disputes: a public funder withdraws the dispute it raised (services, one transaction each).

A dispute (`ResultReview` with verdict "disputed", outcomes.services.result_review) holds
its payer's share of the result apart from what is due (payments.accrual). It ends when an
amendment of the result is verified, or when it is withdrawn here: by the funder who
raised it, or by another funder bound to the same payer. The withdrawal is a fact of its
own (`DisputeWithdrawal`: insert-only, chained), and the accrual books the release in the
same transaction, so the amount is due again the moment the withdrawal commits.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from outcomes import chain_kinds
from outcomes.models import (
    DisputeWithdrawal,
    Result,
    ResultReview,
    ResultState,
    ReviewVerdict,
)
from outcomes.selectors import dispute_payer_id, result_state
from outcomes.signals import outcome_facts_changed
from sib.chain import chain_append
from sib.db.refusals import database_rule
from sib.exceptions import Conflict
from sib.models import Membership, Role, User
from sib.user_text import user_text


def may_withdraw(*, review: ResultReview, user: User) -> bool:
    """Whether `user` may withdraw the dispute: its author, or a funder of the payer whose
    share it holds (the guard of outcomes migration 0011 keeps the same rule)."""
    membership = Membership.objects.filter(
        user=user, programme_id=review.result.programme_id, role=Role.PUBLIC_FUNDER
    ).first()
    if membership is None:
        return False
    if review.reviewer_id == user.pk:
        return True
    held = dispute_payer_id(review=review)
    return held is not None and membership.organisation_id == held


def dispute_to_withdraw(*, result: Result, user: User) -> ResultReview | None:
    """Return the dispute of `result` that `user` would withdraw, or None if not disputed.

    Their own dispute first; else an open dispute of a funder of the same payer; else
    one they may withdraw but already withdrawn (the service answers 409); else any
    dispute (the service refuses it: 403).
    """
    disputes = list(
        ResultReview.objects.filter(result=result, verdict=ReviewVerdict.DISPUTED)
        .annotate(withdrawn=Exists(DisputeWithdrawal.objects.filter(review=OuterRef("pk"))))
        .select_related("result")
        .order_by("id")
    )

    def rank(review: ResultReview) -> tuple[int, int]:
        if review.reviewer_id == user.pk:
            return (0, 0)
        if may_withdraw(review=review, user=user):
            return (1, int(review.withdrawn))  # type: ignore[attr-defined]
        return (2, 0)

    return min(disputes, key=rank, default=None)


@transaction.atomic
def dispute_withdraw(*, review: ResultReview, user: User, reason: str) -> DisputeWithdrawal:
    """Withdraw a funder's dispute of a verified result; its amount becomes due again.

    Refused: no reason (400); a user who is not the funder who raised it nor a funder of
    the same payer (403); a review that is not a dispute, a dispute already withdrawn or
    already resolved by a verified amendment (409). The database keeps the first two
    rules as well (migration 0008) and the one-withdrawal rule by a unique key.
    """
    reason = user_text(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": _("Withdrawing a dispute needs a reason.")})
    result = review.result
    if not may_withdraw(review=review, user=user):
        raise PermissionDenied(
            _(
                "Only the funder who raised this dispute, or a funder of the same payer, "
                "may withdraw it."
            )
        )
    if review.verdict != ReviewVerdict.DISPUTED:
        raise Conflict(
            _("This review is an acceptance, not a dispute: there is nothing to withdraw."),
            code="not_a_dispute",
        )
    if DisputeWithdrawal.objects.filter(review=review).exists():
        raise Conflict(_("This dispute has already been withdrawn."), code="already_withdrawn")
    if result_state(result=result) != ResultState.VERIFIED:
        raise Conflict(
            _("This dispute is already resolved: an amendment of the result was verified."),
            code="dispute_resolved",
        )
    try:
        # A savepoint: losing a race to a second withdrawal (the one-to-one key) leaves the
        # caller's transaction usable for the 409 it answers.
        with transaction.atomic():
            withdrawal = DisputeWithdrawal.objects.create(
                review=review, withdrawn_by=user, reason=reason
            )
    except IntegrityError as exc:
        if DisputeWithdrawal.objects.filter(review=review).exists():
            raise Conflict(
                _("This dispute has already been withdrawn."), code="already_withdrawn"
            ) from exc
        # The guard trigger's rule (a path that skipped the checks above): named, not parsed.
        rule, _sqlstate = database_rule(exc)
        raise Conflict(
            _("The database refused the withdrawal by its rule %(rule)s."),
            code=rule or "dispute_withdrawal_refused",
            params={"rule": rule or "?"},
        ) from exc
    chain_append(
        programme=result.programme,
        kind=chain_kinds.WITHDRAWAL,
        object_id=withdrawal.pk,
        canonical=chain_kinds.canonical_of(chain_kinds.WITHDRAWAL, withdrawal.pk),
    )
    # The held share goes back to what the payer owes, booked in this transaction.
    outcome_facts_changed.send(
        sender=DisputeWithdrawal,
        programme=result.programme,
        on=timezone.localdate(withdrawal.withdrawn_at),
        actor=user,
        cause=f"dispute of result #{result.pk} withdrawn",
    )
    return withdrawal

"""The portal page recording a joint payment: one payment from one payer that settles the
dues of several (payments.joint_payments), with the part of each payer."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from payments.joint_payments import FIELD, JointPart, joint_payment_record
from payments.portal.forms import JointPaymentForm
from payments.portal.views import _access, _record
from payments.position import programme_position
from sib.permissions import Action
from sib.portal.views import AuthenticatedRequest, programme_context


@login_required
def joint_payment_record_page(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    form = JointPaymentForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parts = form.parts()
        if not parts:
            form.add_error(None, _("A joint payment settles the dues of at least one payer."))
        else:

            def perform() -> tuple[int, dict[str, Any]]:
                tx = joint_payment_record(
                    programme=access.programme,
                    paid_by=data["paid_by"],
                    parts=[JointPart(payer, part) for payer, part in parts],
                    received_on=data["received_on"],
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                )
                messages.success(
                    request, _("Payment recorded. The schedule is recomputed with it.")
                )
                return 201, {"transaction": tx.pk}

            body = {
                "paid_by": data["paid_by"].slug,
                "received_on": data["received_on"].isoformat(),
                "settles": [{"payer": payer.slug, "amount": part} for payer, part in parts],
            }
            # A refusal names the part by its place among the parts given: shown beside
            # that payer's field.
            aliases = {
                f"{FIELD}[{i}].{name}": form.part_field(payer)
                for i, (payer, _part) in enumerate(parts)
                for name in ("amount", "payer")
            }
            done = _record(
                request,
                access,
                form,
                "portal:joint_payment_received_record",
                body,
                perform,
                aliases=aliases,
            )
            if done:
                return done
    position = programme_position(programme=access.programme)
    return render(
        request,
        "payments/portal/joint_payment_record.html",
        programme_context(access, form=form, position=position),
    )

"""API for outcome payments, schedules, scenarios and investor statements.

One class per operation; every one resolves its programme through sib.scoping. Public
funders see outcome payments (what they owe) but no investor position; an investor sees
only the statement of its own organisation.

A schedule, a scenario and a statement are sent as the canonical JSON bytes the worker
stored at the chain head (payments.selectors_schedules), with `ETag` the SHA-256 of the
body and 304 Not Modified for a client that holds it (sib.api.conditional).
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from payments.schedule_builder import schedule_document
from payments.selectors_schedules import Served, investor_statement_served, schedule_served
from sib.api.conditional import json_bytes_response
from sib.api.scoped import ProgrammeApi
from sib.api.throttling import ScopedThrottle
from sib.models import PartyRole, Role
from sib.permissions import Action


class OutcomePaymentListApi(ProgrammeApi):
    action_required = Action.PAYMENT_VIEW

    @extend_schema(
        operation_id="outcome_payment_list",
        responses=OpenApiTypes.OBJECT,
        description="Outcome payments of the verified results, by metric, cohort, period "
        "and payer, with what is not payable and the cap headroom (docs/schedule-json.md).",
    )
    def get(self, request: Request, programme_id: int) -> Response:
        document = schedule_document(programme=self.access(request, programme_id).programme)
        return Response(
            {
                "chain_head": document["chain_head"],
                "contract_version": document["contract_version"],
                "currency": document["currency"],
                **document["outcome_payments"],
            }
        )


# The stored documents' conditional GET, as OpenAPI says it.
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the document you hold: 304 if it is still the current one.",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    location=OpenApiParameter.HEADER,
    response=[200, 304],
    description="SHA-256 of the body (hex, quoted).",
)
STORED_DOCUMENT = {
    200: OpenApiResponse(OpenApiTypes.OBJECT, description="The document."),
    304: OpenApiResponse(description="Not modified: the ETag sent is the current one."),
}


def served(request: Request, document: Served) -> HttpResponse:
    return json_bytes_response(request, sha256=document.sha256, read=document.read)


def holds_none(request: Request) -> bool:
    """Whether the client holds no version (no If-None-Match): it will be sent the bytes,
    so they are read with the digest, in one query."""
    return not request.headers.get("If-None-Match")


class ScheduleRetrieveApi(ProgrammeApi):
    action_required = Action.SCHEDULE_RUN

    @extend_schema(
        operation_id="schedule_retrieve",
        parameters=[IF_NONE_MATCH, ETAG],
        responses=STORED_DOCUMENT,
        description="The actual schedule at the chain head (docs/schedule-json.md).",
    )
    def get(self, request: Request, programme_id: int) -> HttpResponse:
        programme = self.access(request, programme_id).programme
        return served(request, schedule_served(programme=programme, with_bytes=holds_none(request)))


class ScheduleScenarioRetrieveApi(ProgrammeApi):
    action_required = Action.SCHEDULE_RUN
    throttle_classes = [ScopedThrottle]
    throttle_scope = "scenarios"

    @extend_schema(
        operation_id="schedule_scenario_retrieve",
        parameters=[IF_NONE_MATCH, ETAG],
        responses=STORED_DOCUMENT,
        description="A projection at `percent` % of targets; never posted to the ledger.",
    )
    def get(self, request: Request, programme_id: int, percent: int) -> HttpResponse:
        programme = self.access(request, programme_id).programme
        document = schedule_served(
            programme=programme, percent=Decimal(percent), with_bytes=holds_none(request)
        )
        return served(request, document)


class InvestorStatementApi(ProgrammeApi):
    @extend_schema(
        operation_id="investor_statement_retrieve",
        parameters=[
            OpenApiParameter("investor", str, description="Fund managers: the investor's slug."),
            IF_NONE_MATCH,
            ETAG,
        ],
        responses=STORED_DOCUMENT,
    )
    def get(self, request: Request, programme_id: int) -> HttpResponse:
        access = self.access(request, programme_id)
        if access.allows(Action.COMMITMENT_VIEW_ALL):
            slug = request.query_params.get("investor", "")
            if not slug:
                raise serializers.ValidationError({"investor": "Name the investor (its slug)."})
            if not access.programme.parties.filter(
                organisation__slug=slug, role=PartyRole.INVESTOR
            ).exists():
                # An unknown investor is a mistake to report, not an empty statement.
                raise serializers.ValidationError(
                    {"investor": f"{slug!r} is not an investor of this programme."}
                )
        elif access.allows(Action.COMMITMENT_VIEW_OWN):
            organisations = [
                m.organisation
                for m in access.memberships
                if m.role == Role.INVESTOR and m.organisation
            ]
            if not organisations:
                raise PermissionDenied("Your investor membership names no organisation.")
            slug = organisations[0].slug
            asked = request.query_params.get("investor")
            if asked and asked != slug:
                raise Http404  # another investor's statement does not exist for you
        else:
            raise PermissionDenied("Your role on this programme does not allow statements.")
        document = investor_statement_served(
            programme=access.programme, investor=slug, with_bytes=holds_none(request)
        )
        return served(request, document)

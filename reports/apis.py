"""API for evaluation reports: request, poll, download, publish, verify; public downloads.

Who may do what (sib.permissions): fund managers request and download both editions and
publish public ones; public funders request and download public editions; evaluators
download public editions; investors download nothing but published public editions. A
published public edition is also served without login (`PublishedReport*Api`).
"""

import base64
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import notices as selectors_notices
from reports import services
from reports.bundle import bundle_export, bundle_filename
from reports.models import REPORT_EDITIONS, Edition, Language, Report, ReportStatus
from reports.selectors.stored import report_get, report_list, report_published
from sib.api.schema import RETURNED_ID, SAME_PROGRAMME, link
from sib.api.scoped import ProgrammeApi
from sib.api.throttling import ScopedThrottle
from sib.exceptions import Conflict
from sib.permissions import Action
from sib.scoping import ProgrammeAccess

PDF = "application/pdf"
_PDF_RESPONSE = {
    (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The report PDF."),
}


def can_download(access: ProgrammeAccess, report: Report) -> bool:
    """Return whether the user's roles on the programme let them download `report`."""
    if report.edition == Edition.PAYER_NOTICE:
        payers = selectors_notices.notice_payers(access=access)
        return payers.filter(pk=report.payer_id or 0).exists()
    if report.edition == Edition.MANAGER:
        return access.allows(Action.REPORT_DOWNLOAD_MANAGER)
    return (
        report.published
        or access.allows(Action.REPORT_DOWNLOAD_PUBLIC)
        or access.allows(Action.REPORT_REQUEST_PUBLIC)
    )


def visible_editions(access: ProgrammeAccess) -> list[str]:
    """Return the editions whose unpublished reports the user may see."""
    editions = []
    if access.allows(Action.REPORT_DOWNLOAD_PUBLIC) or access.allows(Action.REPORT_REQUEST_PUBLIC):
        editions.append(Edition.PUBLIC.value)
    if access.allows(Action.REPORT_DOWNLOAD_MANAGER):
        editions.append(Edition.MANAGER.value)
    return editions


def bundle_response(access: ProgrammeAccess) -> StreamingHttpResponse:
    """Return the programme's verification bundle (reports.bundle) as a JSON download."""
    head, chunks = bundle_export(
        programme=access.programme,
        editions=visible_editions(access),
        notice_payer_ids=selectors_notices.notice_payers(access=access).values_list(
            "pk", flat=True
        ),
    )
    response = StreamingHttpResponse(chunks, content_type="application/json")
    filename = bundle_filename(access.programme, head)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Chain-Head"] = head
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(report: Report, *, public: bool = False) -> HttpResponse:
    """Return the report's PDF with its name, length and SHA-256 in the headers."""
    assert report.pdf is not None
    pdf = bytes(report.pdf)
    response = HttpResponse(pdf, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Content-Length"] = str(len(pdf))
    digest = base64.b64encode(bytes.fromhex(report.sha256)).decode()
    # RFC 9530 (Repr-Digest), its predecessor RFC 3230 (Digest), and plain hex for people.
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["Digest"] = f"SHA-256={digest}"
    response["X-Content-SHA256"] = report.sha256
    response["X-Chain-Head"] = report.chain_head
    response["ETag"] = f'"{report.sha256}"'
    # The manager edition holds investor positions: no shared cache may keep it.
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


class ReportOutputSerializer(serializers.ModelSerializer):
    # Null unless the report is a payer's notice.
    payer: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    download_url = serializers.SerializerMethodField()
    published_url = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Report
        fields = [
            "id",
            "programme",
            "edition",
            "language",
            "chain_head",
            "chain_seq",
            "status",
            "progress",
            "failure",
            "sha256",
            "size",
            "signed_at",
            "mask_threshold",
            "payer",
            "published",
            "published_at",
            "requested_at",
            "started_at",
            "finished_at",
            "download_url",
            "published_url",
        ]

    def get_download_url(self, report: Report) -> str | None:
        if report.status != ReportStatus.READY:
            return None
        return reverse(
            "api:report-download",
            kwargs={"programme_id": report.programme_id, "report_id": report.pk},
        )

    def get_published_url(self, report: Report) -> str | None:
        if not report.published:
            return None
        return reverse(
            "api:report-published-at",
            kwargs={
                "programme_slug": report.programme.slug,
                "language": report.language,
                "chain_head": report.chain_head,
            },
        )


class _ReportApi(ProgrammeApi):
    def report(
        self, request: Request, programme_id: int, report_id: int, *, with_pdf: bool = False
    ) -> tuple[ProgrammeAccess, Report]:
        access = self.access(request, programme_id)
        try:
            report = report_get(programme=access.programme, report_id=report_id, with_pdf=with_pdf)
        except Report.DoesNotExist:
            raise Http404 from None
        if not can_download(access, report):
            raise PermissionDenied("Your role on this programme does not give this report.")
        return access, report


class ReportListApi(ProgrammeApi):
    @extend_schema(operation_id="report_list", responses=ReportOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        reports = report_list(programme=access.programme, editions=visible_editions(access))
        if not visible_editions(access):
            # Investors see the published public editions only.
            reports = report_list(programme=access.programme, editions=[Edition.PUBLIC]).filter(
                published=True
            )
        return self.paginate(request, reports, ReportOutputSerializer)


class ReportRequestApi(ProgrammeApi):
    # Both rights holders (fund managers, public funders) hold the public one.
    action_required = Action.REPORT_REQUEST_PUBLIC
    throttle_classes = [ScopedThrottle]
    throttle_scope = "reports"

    class InputSerializer(serializers.Serializer):
        # A payment notice is asked for per payer (`NoticeRequestApi`).
        edition = serializers.ChoiceField(
            choices=[(e.value, e.label) for e in REPORT_EDITIONS], default=Edition.PUBLIC
        )
        language = serializers.ChoiceField(choices=Language.choices, default=Language.FR)

    response_links = {
        "Retrieve": link("report_retrieve", programme_id=SAME_PROGRAMME, report_id=RETURNED_ID),
        "Download": link("report_download", programme_id=SAME_PROGRAMME, report_id=RETURNED_ID),
        "Publish": link("report_publish", programme_id=SAME_PROGRAMME, report_id=RETURNED_ID),
    }

    @extend_schema(
        operation_id="report_request",
        request=InputSerializer,
        responses={
            202: OpenApiResponse(ReportOutputSerializer, description="A build was queued."),
            200: OpenApiResponse(ReportOutputSerializer, description="This state exists."),
        },
        description="Ask for the report of the programme's current ledger state. The same "
        "state, edition and language is built once: asking again returns the same report. "
        "Poll `report_retrieve` until `status` is `ready` (or `failed`).",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edition = data.validated_data["edition"]
        if edition == Edition.MANAGER:
            access.require(Action.REPORT_REQUEST_MANAGER)
        report, queued = services.report_request(
            programme=access.programme,
            edition=edition,
            language=data.validated_data["language"],
            user=request.user,  # type: ignore[arg-type]
        )
        return Response(
            ReportOutputSerializer(report).data,
            status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK,
        )


class ReportDetailApi(_ReportApi):
    @extend_schema(operation_id="report_retrieve", responses=ReportOutputSerializer)
    def get(self, request: Request, programme_id: int, report_id: int) -> Response:
        _, report = self.report(request, programme_id, report_id)
        return Response(ReportOutputSerializer(report).data)


class ReportDownloadApi(_ReportApi):
    read_conflicts = True  # 409 while the report is queued or building (sib.api.schema)

    @extend_schema(operation_id="report_download", responses=_PDF_RESPONSE)
    def get(self, request: Request, programme_id: int, report_id: int) -> Any:
        _, report = self.report(request, programme_id, report_id, with_pdf=True)
        if report.status != ReportStatus.READY:
            raise Conflict(
                gettext_lazy("The report is %(status)s, not ready yet."),
                code="report_not_ready",
                params={"status": report.status},
            )
        return pdf_response(report)


class ReportPublishApi(_ReportApi):
    action_required = Action.REPORT_PUBLISH

    @extend_schema(operation_id="report_publish", request=None, responses=ReportOutputSerializer)
    def post(self, request: Request, programme_id: int, report_id: int) -> Response:
        _, report = self.report(request, programme_id, report_id)
        report = services.report_publish(report=report, user=request.user)  # type: ignore[arg-type]
        return Response(ReportOutputSerializer(report).data)


class ReportVerifyApi(ProgrammeApi):
    action_required = Action.LEDGER_VERIFY
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()

    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        summary = serializers.CharField()
        sha256 = serializers.CharField()
        chain_head = serializers.CharField()
        programme = serializers.CharField(source="programme.slug", allow_null=True)
        in_chain = serializers.BooleanField()
        chain_seq = serializers.IntegerField(allow_null=True)
        ledger_ok = serializers.BooleanField(allow_null=True)
        ledger_entries = serializers.IntegerField(allow_null=True)
        ledger_head = serializers.CharField(allow_null=True)
        first_break = serializers.CharField()
        issued_report = serializers.IntegerField(source="issued_report.pk", allow_null=True)
        issued = serializers.BooleanField()
        signature_ok = serializers.BooleanField()
        signature_problem = serializers.CharField()
        problems = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        operation_id="report_verify",
        request={"multipart/form-data": InputSerializer},
        responses=OutputSerializer,
        description="Upload a report PDF: say whether it carries this ledger's signature over "
        "every byte, whether it is byte for byte a report issued here, whether the chain head "
        "it prints is a state of this programme's ledger and whether the ledger still "
        "verifies. `ok` only when all hold; `problems` names each that does not.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        limit = settings.SIB_MAX_REPORT_BYTES  # also the request's cap (sib.request_limits)
        if upload.size > limit:
            raise serializers.ValidationError({"file": f"At most {limit:,} bytes."})
        result = services.report_verify_file(content=upload.read(), programme=access.programme)
        return Response(self.OutputSerializer(result).data)


class VerificationBundleApi(ProgrammeApi):
    # The contract parties who check reports against the ledger: the fund manager and the
    # public funders. The bundle carries every money movement (sib.permissions).
    action_required = Action.BUNDLE_DOWNLOAD

    @extend_schema(
        operation_id="verification_bundle",
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The verification bundle (docs/security.md)."
            )
        },
        description="Download the programme's verification bundle: its chain entries with the "
        "canonical records they cover, the signed checkpoints (the current head is signed "
        "now), the signing certificate and the issued reports' SHA-256. Check a report "
        "against it offline with `python -m sib_verify bundle.json report.pdf`.",
    )
    def get(self, request: Request, programme_id: int) -> Any:
        return bundle_response(self.access(request, programme_id))


class _PublishedApi(APIView):
    # Published reports are public documents: no login, no session, no CSRF.
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def published(self, slug: str, language: str, chain_head: str | None = None) -> Report:
        try:
            return report_published(slug=slug, language=language, chain_head=chain_head)
        except Report.DoesNotExist:
            raise Http404 from None


class PublishedReportLatestApi(_PublishedApi):
    @extend_schema(operation_id="report_published_latest", responses=_PDF_RESPONSE, auth=[])
    def get(self, request: Request, programme_slug: str, language: str) -> Any:
        response = pdf_response(self.published(programme_slug, language), public=True)
        # "latest" changes when a newer state is published: revalidate every time.
        response["Cache-Control"] = "public, no-cache"
        return response


class PublishedReportAtApi(_PublishedApi):
    @extend_schema(operation_id="report_published_at", responses=_PDF_RESPONSE, auth=[])
    def get(self, request: Request, programme_slug: str, language: str, chain_head: str) -> Any:
        response = pdf_response(self.published(programme_slug, language, chain_head), public=True)
        # One chain head, one document, forever.
        response["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


# --- payment notices -----------------------------------------------------------------------


class _NoticeApi(ProgrammeApi):
    """Fund managers: every payer's notice; a public funder: its own payer's only."""

    def notice_access(self, request: Request, programme_id: int) -> ProgrammeAccess:
        access = self.access(request, programme_id)
        if not (
            access.allows(Action.PAYMENT_NOTICE_ANY) or access.allows(Action.PAYMENT_NOTICE_OWN)
        ):
            raise PermissionDenied(gettext("Your role on this programme gives no payment notice."))
        return access


class NoticeListApi(_NoticeApi):
    @extend_schema(operation_id="notice_list", responses=ReportOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.notice_access(request, programme_id)
        notices = selectors_notices.notice_list(
            programme=access.programme, payers=selectors_notices.notice_payers(access=access)
        )
        return self.paginate(request, notices, ReportOutputSerializer)


class NoticeRequestApi(_NoticeApi):
    class InputSerializer(serializers.Serializer):
        payer = serializers.SlugField(help_text="The outcome payer's organisation slug.")
        language = serializers.ChoiceField(choices=Language.choices, default=Language.FR)

    response_links = {
        "Download": link("notice_download", programme_id=SAME_PROGRAMME, notice_id=RETURNED_ID),
    }

    @extend_schema(
        operation_id="notice_request",
        request=InputSerializer,
        responses={
            202: OpenApiResponse(ReportOutputSerializer, description="A build was queued."),
            200: OpenApiResponse(ReportOutputSerializer, description="This state exists."),
        },
        description="Ask for a payer's outcome payment notice at the programme's current "
        "ledger state: the verified results behind what it owes, what it paid, what is "
        "disputed and outstanding, and the chain head. Built once per state, payer and "
        "language; poll `report_retrieve` until `status` is `ready`, then download it.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.notice_access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payer = (
            selectors_notices.notice_payers(access=access)
            .filter(slug=data.validated_data["payer"])
            .first()
        )
        if payer is None:
            raise PermissionDenied(gettext("You may not ask for this payer's notice."))
        report, queued = services.report_request(
            programme=access.programme,
            edition=Edition.PAYER_NOTICE,
            language=data.validated_data["language"],
            user=request.user,  # type: ignore[arg-type]
            payer=payer,
        )
        return Response(
            ReportOutputSerializer(report).data,
            status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK,
        )


class NoticeDownloadApi(_NoticeApi):
    read_conflicts = True  # 409 while the notice is queued or building (sib.api.schema)

    @extend_schema(operation_id="notice_download", responses=_PDF_RESPONSE)
    def get(self, request: Request, programme_id: int, notice_id: int) -> Any:
        access = self.notice_access(request, programme_id)
        try:
            notice = report_get(programme=access.programme, report_id=notice_id, with_pdf=True)
        except Report.DoesNotExist:
            raise Http404 from None
        if notice.edition != Edition.PAYER_NOTICE:
            raise Http404
        if not can_download(access, notice):
            raise PermissionDenied(gettext("This notice is addressed to another payer."))
        if notice.status != ReportStatus.READY:
            raise Conflict(
                gettext_lazy("The notice is %(status)s, not ready yet."),
                code="notice_not_ready",
                params={"status": notice.status},
            )
        return pdf_response(notice)

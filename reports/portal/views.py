"""Portal pages for reports: outcomes achieved (with charts), request, follow, download.

The outcomes page shows what the public report prints at the ledger's current state
(reports.selectors.report.report_data, masked the same way); the charts are the report's own
builders (reports.rendering.charts) drawn as SVG. Permissions are the API's
(reports.apis.can_download, visible_editions) on sib.scoping.
"""

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from outcomes.selectors import open_disputes
from payments import returns
from payments.schedule_builder import schedule_document
from reports import services
from reports.apis import bundle_response, can_download, pdf_response, visible_editions
from reports.models import Edition, Language, Report, ReportStatus
from reports.notices import notice_payers
from reports.portal.forms import ReportRequestForm
from reports.rendering.charts import (
    achieved_vs_target_chart,
    cumulative_payments_chart,
    drawing_to_svg,
)
from reports.rendering.masking import CountMask, hidden_results
from reports.selectors import stored
from reports.selectors.report import report_data
from reports.selectors.state import chain_state
from reports.selectors_portal import published_report_list
from sib.models import Programme
from sib.permissions import Action
from sib.portal.labels import label
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access

STATUS_LABELS = {
    ReportStatus.QUEUED: gettext_lazy("Waiting for the worker"),
    ReportStatus.BUILDING: gettext_lazy("Being built"),
    ReportStatus.READY: gettext_lazy("Ready"),
    ReportStatus.FAILED: gettext_lazy("Failed"),
}
EDITION_LABELS = {
    Edition.PUBLIC: gettext_lazy("Public"),
    Edition.MANAGER: gettext_lazy("Fund manager"),
    Edition.PAYER_NOTICE: gettext_lazy("Payment notice"),
}
# A report page's title: whole phrases, so that each language agrees them.
EDITION_TITLES = {
    Edition.PUBLIC: gettext_lazy("Report — public edition"),
    Edition.MANAGER: gettext_lazy("Report — fund manager edition"),
    Edition.PAYER_NOTICE: gettext_lazy("Payment notice"),
}


def _lang() -> str:
    language = (get_language() or "fr")[:2]
    return language if language in Language.values else Language.FR


def _svg_data_uri(drawing: Any) -> str:
    return (
        "data:image/svg+xml;base64," + base64.b64encode(drawing_to_svg(drawing).encode()).decode()
    )


def _svg(drawing: Any) -> HttpResponse:
    response = HttpResponse(drawing_to_svg(drawing), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class MetricView:
    name: str
    code: str
    definition: str
    mechanism: str
    rows: list[dict[str, Any]]
    chart: str | None


@login_required
def outcomes_achieved(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.OUTCOME_VIEW
    )
    lang = _lang()
    state = chain_state(programme=access.programme)
    data = report_data(
        programme=access.programme, edition=Edition.PUBLIC, language=lang, state=state
    )
    mask = CountMask(data.mask_threshold)
    hidden = hidden_results(data.metrics, mask)
    metrics = []
    for section in data.metrics:
        secret = [(section.code, row) in hidden for row in range(len(section.results))]
        rows = [
            {
                "cohort": r.cohort,
                "period": r.period,
                "achieved": _("masked") if masked else mask.count(r.achieved, lang),
                "target": r.target,
            }
            for r, masked in zip(section.results, secret, strict=True)
        ]
        chart = None
        if section.results:
            # The latest period per cohort, as the report's chart.
            pairs = zip(section.results, secret, strict=True)
            latest = {r.cohort: (r, masked) for r, masked in pairs}
            chart = _svg_data_uri(
                achieved_vs_target_chart(
                    [f"{r.cohort} ({r.period})" for r, _m in latest.values()],
                    [r.achieved for r, _m in latest.values()],
                    [r.target for r, _m in latest.values()],
                    lang=lang,
                    mask=mask,
                    legend=(_("Achieved"), _("Target")),
                    hidden=[masked for _r, masked in latest.values()],
                    hidden_text=_("masked"),
                )
            )
        rows += [
            {
                "cohort": c.cohort,
                "period": "",
                "achieved": mask.rate(c.treated_successes, c.treated_size, lang) or _("masked"),
                "target": mask.rate(c.comparison_successes, c.comparison_size, lang) or _("masked"),
                "comparison": True,
            }
            for c in section.comparisons
        ]
        metrics.append(
            MetricView(
                section.name, section.code, section.definition, section.mechanism, rows, chart
            )
        )
    return render(
        request,
        "reports/portal/outcomes.html",
        programme_context(
            access,
            metrics=metrics,
            summary=data.summary,
            mask_threshold=data.mask_threshold,
            can_review=access.allows(Action.RESULT_ACCEPT),
            # Counted above like any verified result, while a payer holds its share.
            disputed={d.result.pk: d.result for d in open_disputes(programme=access.programme)},
        ),
    )


CATEGORY_LABELS: dict[str, Promise] = {
    "no_repayment": gettext_lazy("No repayment yet"),
    "some_repayment": gettext_lazy("Partly repaid (below the capital drawn)"),
    "principal_repaid": gettext_lazy("Capital repaid, no net return yet"),
    "positive_return": gettext_lazy("Capital repaid with a positive return"),
}


@login_required
def investor_returns(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Investor repayment in aggregate, exactly as the public report prints it: no names."""
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.INVESTOR_AGGREGATE_VIEW
    )
    state = chain_state(programme=access.programme)
    data = report_data(
        programme=access.programme, edition=Edition.PUBLIC, language=_lang(), state=state
    )
    repayment = data.investor_repayment
    return render(
        request,
        "reports/portal/investor_returns.html",
        programme_context(
            access,
            repayment=repayment,
            category=label(CATEGORY_LABELS, repayment.category),
            principal_outstanding=repayment.capital_drawn - repayment.principal_repaid,
        ),
    )


def _report_rows(reports: Any) -> list[dict[str, Any]]:
    return [
        {
            "report": r,
            "status": label(STATUS_LABELS, r.status),  # type: ignore[arg-type]
            "edition": label(EDITION_LABELS, r.edition),  # type: ignore[arg-type]
        }
        for r in reports
    ]


def _visible_reports(access: ProgrammeAccess) -> Any:
    editions = visible_editions(access)
    if editions:
        return stored.report_list(programme=access.programme, editions=editions)
    # Investors see the published public editions only (as in the API).
    return stored.report_list(programme=access.programme, editions=[Edition.PUBLIC]).filter(
        published=True
    )


@login_required
def report_list(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(user=request.user, programme_id=programme_id)
    editions = [Edition.PUBLIC] if access.allows(Action.REPORT_REQUEST_PUBLIC) else []
    if access.allows(Action.REPORT_REQUEST_MANAGER):
        editions.append(Edition.MANAGER)
    form = None
    if editions:
        form = ReportRequestForm(
            request.POST or None,
            editions=[(e, label(EDITION_LABELS, e)) for e in editions],  # type: ignore[arg-type]
            initial={"language": _lang()},
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Your role on this programme does not allow requesting reports.")
        if form.is_valid():
            edition = form.cleaned_data["edition"]
            if edition == Edition.MANAGER:
                access.require(Action.REPORT_REQUEST_MANAGER)
            report, queued = services.report_request(
                programme=access.programme,
                edition=edition,
                language=form.cleaned_data["language"],
                user=request.user,
            )
            messages.success(
                request,
                _("The report is being built.") if queued else _("This report already exists."),
            )
            return HttpResponseRedirect(
                reverse(
                    "reports_portal:report-detail",
                    kwargs={"programme_id": programme_id, "report_id": report.pk},
                )
            )
    return render(
        request,
        "reports/portal/report_list.html",
        programme_context(
            access,
            form=form,
            rows=_report_rows(_visible_reports(access)[:100]),
            can_download_bundle=access.allows(Action.BUNDLE_DOWNLOAD),
        ),
    )


@login_required
def notice_request(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Ask for a payer's payment notice (the form of `{% notice_links %}`); follow it."""
    # The programme first: a stranger learns nothing (404), a member is told to post.
    access = programme_access(user=request.user, programme_id=programme_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    payer = notice_payers(access=access).filter(slug=request.POST.get("payer", "")).first()
    if payer is None:
        raise PermissionDenied(_("You may not ask for this payer's notice."))
    language = request.POST.get("language", _lang())
    report, queued = services.report_request(
        programme=access.programme,
        edition=Edition.PAYER_NOTICE,
        language=language if language in Language.values else _lang(),
        user=request.user,
        payer=payer,
    )
    messages.success(
        request,
        _("The notice is being built.") if queued else _("This notice already exists."),
    )
    return HttpResponseRedirect(
        reverse(
            "reports_portal:report-detail",
            kwargs={"programme_id": programme_id, "report_id": report.pk},
        )
    )


@login_required
def verification_bundle(request: AuthenticatedRequest, programme_id: int) -> StreamingHttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.BUNDLE_DOWNLOAD
    )
    return bundle_response(access)


def _report(access: ProgrammeAccess, report_id: int, *, with_pdf: bool = False) -> Report:
    try:
        report = stored.report_get(
            programme=access.programme, report_id=report_id, with_pdf=with_pdf
        )
    except Report.DoesNotExist:
        raise Http404 from None
    if not can_download(access, report):
        raise PermissionDenied("Your role on this programme does not give this report.")
    return report


@login_required
def report_detail(request: AuthenticatedRequest, programme_id: int, report_id: int) -> HttpResponse:
    access = programme_access(user=request.user, programme_id=programme_id)
    report = _report(access, report_id)
    if request.method == "POST":
        access.require(Action.REPORT_PUBLISH)
        try:
            services.report_publish(report=report, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The report is published: anyone can download it."))
        return HttpResponseRedirect(request.path)
    can_publish = (
        access.allows(Action.REPORT_PUBLISH)
        and report.edition == Edition.PUBLIC
        and report.status == ReportStatus.READY
        and not report.published
    )
    return render(
        request,
        "reports/portal/report_detail.html",
        programme_context(
            access,
            report=report,
            row=_report_rows([report])[0],
            edition_title=label(EDITION_TITLES, report.edition),  # type: ignore[arg-type]
            finished=report.status in {ReportStatus.READY, ReportStatus.FAILED},
            poll_url=reverse(
                "api:report-detail", kwargs={"programme_id": programme_id, "report_id": report.pk}
            ),
            can_publish=can_publish,
            status_labels={code: str(text) for code, text in STATUS_LABELS.items()},
        ),
    )


@login_required
def report_download(
    request: AuthenticatedRequest, programme_id: int, report_id: int
) -> HttpResponse:
    access = programme_access(user=request.user, programme_id=programme_id)
    report = _report(access, report_id, with_pdf=True)
    if report.status != ReportStatus.READY:
        raise Http404
    return pdf_response(report)


@login_required
def chart_payments(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.PAYMENT_VIEW
    )
    document = schedule_document(programme=access.programme)
    by_day: dict[str, int] = {}
    for payment in document["schedule"]["payments"]:
        by_day[payment["on"]] = by_day.get(payment["on"], 0) + payment["amount"]
    cumulative, total = [], 0
    for amount in by_day.values():
        total += amount
        cumulative.append(total)
    return _svg(
        cumulative_payments_chart(
            [_short_date(day) for day in by_day],
            cumulative,
            access.programme.contract_cap,
            currency=access.programme.currency,
            lang=_lang(),
            legend=(_("Received, cumulated"), _("Cap on outcome payments")),
        )
    )


@login_required
def chart_schedule(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.SCHEDULE_RUN
    )
    # Returned to date, as the table beside it: the distributions the ledger records to
    # lenders (payments.returns), not the waterfall's proposal.
    by_day: dict[str, int] = {}
    drawn = 0
    for investor in returns.investor_returns(programme=access.programme, by_investor=True):
        drawn += investor.drawn
        for m in investor.movements:
            if m.principal_repaid or m.return_paid:
                day = m.on.isoformat()
                by_day[day] = by_day.get(day, 0) + m.principal_repaid + m.return_paid
    cumulative, total = [], 0
    for day in sorted(by_day):
        total += by_day[day]
        cumulative.append(total)
    return _svg(
        cumulative_payments_chart(
            [_short_date(day) for day in sorted(by_day)],
            cumulative,
            drawn,
            currency=access.programme.currency,
            lang=_lang(),
            legend=(_("Returned to investors, cumulated"), _("Capital drawn")),
        )
    )


def _short_date(iso: str) -> str:

    return date_format(date.fromisoformat(iso), "SHORT_DATE_FORMAT")


def published_list(request: HttpRequest, programme_slug: str) -> HttpResponse:
    reports = list(published_report_list(slug=programme_slug))
    if not reports:
        raise Http404
    programme: Programme = reports[0].programme
    return render(
        request, "reports/portal/published_list.html", {"programme": programme, "reports": reports}
    )

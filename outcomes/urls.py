"""Outcome routes, under /api/programmes/<programme_id>/ (included by sib.api.urls)."""

from django.urls import path

from outcomes import apis, apis_disputes, apis_evidence

programme = "programmes/<int:programme_id>/"
result = f"{programme}results/<int:result_id>/"

urlpatterns = [
    path(f"{programme}cohorts/", apis.CohortListApi.as_view(), name="cohort-list"),
    path(f"{programme}cohorts/create/", apis.CohortCreateApi.as_view(), name="cohort-create"),
    path(f"{programme}periods/", apis.PeriodListApi.as_view(), name="period-list"),
    path(f"{programme}periods/create/", apis.PeriodCreateApi.as_view(), name="period-create"),
    path(f"{programme}metrics/", apis.MetricListApi.as_view(), name="metric-list"),
    path(f"{programme}metrics/create/", apis.MetricCreateApi.as_view(), name="metric-create"),
    path(f"{programme}results/", apis.ResultListApi.as_view(), name="result-list"),
    path(f"{programme}results/submit/", apis.ResultSubmitApi.as_view(), name="result-submit"),
    path(f"{programme}results/import/", apis.ResultImportApi.as_view(), name="results-import"),
    path(result, apis.ResultDetailApi.as_view(), name="result-detail"),
    path(f"{result}verify/", apis.ResultVerifyApi.as_view(), name="result-verify"),
    path(f"{result}reject/", apis.ResultRejectApi.as_view(), name="result-reject"),
    path(f"{result}amend/", apis.ResultAmendApi.as_view(), name="result-amend"),
    path(f"{result}review/", apis.ResultReviewApi.as_view(), name="result-review"),
    path(
        f"{result}dispute/withdraw/",
        apis_disputes.DisputeWithdrawApi.as_view(),
        name="result-dispute-withdraw",
    ),
    path(f"{result}evidence/", apis.EvidenceUploadApi.as_view(), name="result-evidence-upload"),
    path(
        f"{result}evidence/<int:evidence_id>/",
        apis_evidence.EvidenceDownloadApi.as_view(),
        name="result-evidence-download",
    ),
    path(
        f"{programme}participants/",
        apis.ParticipantRecordListApi.as_view(),
        name="participant-record-list",
    ),
]

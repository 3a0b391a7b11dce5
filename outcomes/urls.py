"""Outcome routes, under /api/programmes/<programme_id>/ (included by sib.api.urls)."""

from django.urls import path

from outcomes.apis import definitions, disputes, evidence, imports, participants, results

programme = "programmes/<int:programme_id>/"
result = f"{programme}results/<int:result_id>/"

urlpatterns = [
    path(f"{programme}cohorts/", definitions.CohortListApi.as_view(), name="cohort-list"),
    path(
        f"{programme}cohorts/create/", definitions.CohortCreateApi.as_view(), name="cohort-create"
    ),
    path(f"{programme}periods/", definitions.PeriodListApi.as_view(), name="period-list"),
    path(
        f"{programme}periods/create/", definitions.PeriodCreateApi.as_view(), name="period-create"
    ),
    path(f"{programme}metrics/", definitions.MetricListApi.as_view(), name="metric-list"),
    path(
        f"{programme}metrics/create/", definitions.MetricCreateApi.as_view(), name="metric-create"
    ),
    path(f"{programme}results/", results.ResultListApi.as_view(), name="result-list"),
    path(f"{programme}results/submit/", results.ResultSubmitApi.as_view(), name="result-submit"),
    path(f"{programme}results/import/", imports.ResultImportApi.as_view(), name="results-import"),
    path(
        f"{programme}results/import/queued/",
        imports.ResultImportQueueApi.as_view(),
        name="results-import-queue",
    ),
    path(
        f"{programme}results/import/jobs/<int:job_id>/",
        imports.ImportJobDetailApi.as_view(),
        name="results-import-job",
    ),
    path(result, results.ResultDetailApi.as_view(), name="result-detail"),
    path(f"{result}verify/", results.ResultVerifyApi.as_view(), name="result-verify"),
    path(f"{result}reject/", results.ResultRejectApi.as_view(), name="result-reject"),
    path(f"{result}amend/", results.ResultAmendApi.as_view(), name="result-amend"),
    path(f"{result}review/", results.ResultReviewApi.as_view(), name="result-review"),
    path(
        f"{result}dispute/withdraw/",
        disputes.DisputeWithdrawApi.as_view(),
        name="result-dispute-withdraw",
    ),
    path(f"{result}evidence/", evidence.EvidenceUploadApi.as_view(), name="result-evidence-upload"),
    path(
        f"{result}evidence/<int:evidence_id>/",
        evidence.EvidenceDownloadApi.as_view(),
        name="result-evidence-download",
    ),
    path(
        f"{programme}participants/",
        participants.ParticipantRecordListApi.as_view(),
        name="participant-record-list",
    ),
]

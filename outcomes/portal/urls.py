"""Portal routes of the outcome pages (included by sib.portal.urls)."""

from django.urls import path

from outcomes.portal import disputes, evidence, imports, views

app_name = "outcomes_portal"

programme = "programmes/<int:programme_id>/"
urlpatterns = [
    path(f"{programme}results/", views.result_list, name="result-list"),
    path(f"{programme}results/submit/", views.result_submit, name="result-submit"),
    path(f"{programme}results/import/", imports.result_import, name="result-import"),
    path(
        f"{programme}results/import/confirm/",
        imports.result_import_confirm,
        name="result-import-confirm",
    ),
    path(f"{programme}results/queue/", views.verification_queue_page, name="verification-queue"),
    path(f"{programme}results/verified/", views.acceptance_list, name="acceptance-list"),
    path(f"{programme}results/disputes/", disputes.open_disputes_page, name="open-disputes"),
    path(f"{programme}results/<int:result_id>/", views.result_detail, name="result-detail"),
    path(
        f"{programme}results/<int:result_id>/evidence/<int:evidence_id>/",
        evidence.evidence_download,
        name="evidence-download",
    ),
]

# Sections of the programme home these pages open (sib.portal.sections).
SECTION_PAGES = {
    "submit": "outcomes_portal:result-submit",
    "import": "outcomes_portal:result-import",
    "submissions": "outcomes_portal:result-list",
    "verification": "outcomes_portal:verification-queue",
    "acceptance": "outcomes_portal:acceptance-list",
    "disputes": "outcomes_portal:open-disputes",
}

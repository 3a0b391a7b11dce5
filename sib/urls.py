from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from sib.health import healthz
from sib.source import source

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("source/", source, name="source"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, which the Content-Security-Policy allows.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("sib.api.urls")),
    path("", include("sib.portal.urls")),
]

handler400 = "sib.errors.bad_request"
handler404 = "sib.errors.page_not_found"
handler500 = "sib.errors.server_error"

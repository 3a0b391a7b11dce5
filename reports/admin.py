from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "programme", "edition", "language", "status", "chain_seq", "published")
    list_filter = ("edition", "language", "status", "published")
    search_fields = ("programme__slug", "chain_head", "sha256")
    # Reports are built by the worker; the admin only looks.
    readonly_fields = [f.name for f in Report._meta.fields if f.name != "pdf"]
    exclude = ("pdf",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

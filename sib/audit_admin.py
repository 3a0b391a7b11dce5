"""The admin's page of audit events (django-pghistory), without the facet counts it breaks."""

from django.contrib import admin
from pghistory.admin import EventsAdmin


class AuditEventsAdmin(EventsAdmin):
    # pghistory 3.9's changelist does not accept the `exclude_parameters` that Django's
    # facet counts pass to it, so "Show counts" answered 500; the page shows none.
    show_facets = admin.ShowFacets.NEVER

"""Request throttles per user and scope, for the operations that cost the server most.

    class ReportRequestApi(ProgrammeApi):
        throttle_classes = [ScopedThrottle]
        throttle_scope = "reports"

Scopes and their rates are settings (SIB_THROTTLE_RATES, README "Configuration"): report
requests, imports, scenario computations and verifications. Over the rate: 429 problem
details with Retry-After. Counts live in Django's cache, which is per process unless
CACHES names a shared one: the rate is then per process, an upper bound per server.
"""

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

SCOPES = ("reports", "imports", "scenarios", "verify")


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, its rates read from the settings at each request.

    DRF binds THROTTLE_RATES when its module is imported; reading them here lets an
    operator's setting (and a test's) apply without a second copy.
    """

    def get_rate(self) -> str | None:
        return settings.SIB_THROTTLE_RATES.get(self.scope) if self.scope else None

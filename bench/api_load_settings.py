"""Settings of bench/api_load.py: the project's own, with the bare view's URLconf on top.

Only the URLconf differs, so the bare view passes through exactly the middleware, logging
and database settings the API does (production when SIB_ENV=production, as the bench sets).
"""

from sib.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_load_urls"

import os

from django.core.wsgi import get_wsgi_application

from sib.database import ensure_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")
# A no-op when DATABASE_URL is set (every deployment); the embedded server otherwise.
ensure_started()
application = get_wsgi_application()

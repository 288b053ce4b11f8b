"""Settings from the environment. Implements OPS-2.

Every value comes from an environment variable (django-environ) with an
embedded default that runs on a fresh machine without services: SQLite in
WAL mode under var/, kombu's filesystem broker under var/broker, mails as
files under var/mail/. Production and CI set DATABASE_URL and REDIS_URL.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "testserver", "[::1]"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_or_default(name: str, default: str) -> str:
    """A variable that is set but blank (``DATABASE_URL=`` in a compose file or CI) means the default."""
    return env.str(name, default="").strip() or default


DEBUG = env("DEBUG")
DEVELOPMENT_SECRET_KEY = "dev-insecure-9f3c7a1e2b4d6f8a0c2e4a6b8d0f2a4c6e8a0b2d4f6a8c0e2"
SECRET_KEY = env_or_default("SECRET_KEY", DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    # Production must never sign sessions, password-reset and grant links with the published development key.
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value when DEBUG is off.")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin: translatable catalogue fields (tenants/translation.py)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "csp",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "accounts",
    "tenants",
    "delegations",
    "licenses",
    "support",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.HtmxChangedMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "portal.middleware.ActiveAccountMiddleware",
    "portal.middleware.DomainErrorMiddleware",
    "portal.middleware.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url_config(env_or_default("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the one
    # writer, IMMEDIATE takes the write lock at BEGIN so no transaction has to
    # upgrade a read lock mid-way (that upgrade is what answers "database is locked").
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests too use a file (WAL, busy timeout), not Django's shared-cache in-memory database: there a real
    # Celery worker thread and the test thread hit table locks that fail at once ("database table is
    # locked"). One file per process, so parallel runs in one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_portal_{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles a plan to machine code once its estimated cost is high: for the tenant
        # list sorted by a count that took ~110 ms, longer than the query itself runs (bench/). Short web
        # queries never gain from it.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
    "portal.access.backend.AuthorityBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)


# The client's address behind reverse proxies (portal.clientip): without either setting X-Forwarded-For is
# ignored. TRUSTED_PROXIES: the proxies' addresses or networks; PROXY_COUNT: how many proxies append to it.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# django-axes: lock out after repeated failures per (user, client address). The user is the normalised
# e-mail (case and surrounding blanks do not make a new user), the address comes from portal.clientip.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username"
AXES_CLIENT_IP_CALLABLE = "portal.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Two-factor authentication (accounts.twofactor): required for members of these account kinds (vendor staff
# and partner users by default), optional for the others.
PORTAL_2FA_REQUIRED_KINDS = env.list("PORTAL_2FA_REQUIRED_KINDS", default=["vendor", "partner"])
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Partner Portal")

# --- i18n (UI-1) ------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# django-modeltranslation: the catalogue's names and descriptions in both languages (name_de, name_en);
# ``name`` reads the active language, falling back to German, then English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "de"
MODELTRANSLATION_LANGUAGES = ("de", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("de", "en")
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- E-mail ---------------------------------------------------------------
if env_or_default("EMAIL_URL", ""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # Mails land as files in var/mail/: a demo user opens links from them there.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# The product's name, the same in every language: header, page titles, admin, mails (UI-1).
PORTAL_NAME = env.str("PORTAL_NAME", default="Partnerportal")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{PORTAL_NAME} <portal@vendor.example>")
# Absolute links in mails. ``make run`` sets it from PORT, so links follow the port the portal serves on.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.str('PORT', default='8000')}")

# --- Cache / Celery -------------------------------------------------------
REDIS_URL = env_or_default("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_or_default("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport reads half-written messages and kills the worker; portal.broker's
    # subclass writes and claims atomically (registered as portalfs:// in portal/celery.py).
    CELERY_BROKER_URL = "portalfs://" + CELERY_BROKER_URL.removeprefix("filesystem://")
if CELERY_BROKER_URL.startswith("portalfs://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The default 1 s poll caps a worker at ~concurrency tasks per second: a queue of periodic jobs
        # outgrows that. Listing a directory ten times a second costs next to nothing.
        "polling_interval": 0.1,
    }
# A task's message is acknowledged after it ran, and put back when its worker process dies (all tasks are
# idempotent: outbox tasks claim their row, periodic jobs are set-based); a worker takes one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Hard limit for every task unless it sets its own (the consistency check does, see below): a task killed
# there fails, and the outbox takes its job back after the lease (limit + 60 s).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=False
)  # the screenshot demo runs jobs inline
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs; django_celery_beat's DatabaseScheduler copies these into its tables at start.
# One entry per job, grouped by app (each app's section below its own comment).
CELERY_BEAT_SCHEDULE: dict = {
    # portal
    "purge-idempotency-records": {"task": "portal.tasks.purge_idempotency_records", "schedule": 3600.0},
    "portal-sweep-outbox": {"task": "portal.tasks.sweep_outbox", "schedule": 60.0},
    "portal-purge-outbox": {"task": "portal.tasks.purge_outbox", "schedule": 3600.0},
    # tenants
    "tenants-complete-ended-services": {
        "task": "tenants.complete_ended_services",
        "schedule": 600.0,  # every 10 minutes; ends what passed its end date (idempotent, set-based)
    },
    "tenants-fail-stale-check-runs": {
        "task": "tenants.fail_stale_check_runs",
        "schedule": 900.0,
    },
    # delegations
    "delegations-expire-grants": {"task": "delegations.tasks.expire_grants", "schedule": 60.0},
    "delegations-send-reminders": {"task": "delegations.tasks.send_reminders", "schedule": 300.0},
    "delegations-lapse-requests": {"task": "delegations.tasks.lapse_requests", "schedule": 3600.0},
    # licenses: renewals (SUB-4) and expiries (SUB-2, demos) through the outbox, hourly
    "licenses-schedule-jobs": {"task": "licenses.tasks.schedule_jobs", "schedule": 3600.0},
    # support
    # reports (REP-4): yesterday's new licences every night, last month's statement on the 1st
    "reports-deliver-new-licenses": {
        "task": "reports.tasks.schedule_license_deliveries",
        "schedule": crontab(hour=2, minute=15),
    },
    "reports-deliver-statements": {
        "task": "reports.tasks.schedule_statement_deliveries",
        "schedule": crontab(day_of_month="1", hour=3, minute=0),
    },
}
# --- Reports and delivery (REP-4) ----------------------------------------------------------------------------
# Webhook URLs that resolve to loopback, link-local, private or reserved addresses are refused (SSRF) unless
# this is set (development, the tests' local receiver).
REPORTS_WEBHOOK_ALLOW_PRIVATE = env.bool("REPORTS_WEBHOOK_ALLOW_PRIVATE", default=False)
REPORTS_WEBHOOK_TIMEOUT = env.float("REPORTS_WEBHOOK_TIMEOUT", default=10.0)
# A webhook is retried for about a day: 60 s, 120 s, … capped at 4 h, with jitter, 16 retries (portal.outbox).
REPORTS_WEBHOOK_MAX_RETRIES = 16
IDEMPOTENCY_STALE_SECONDS = env.int("IDEMPOTENCY_STALE_SECONDS", default=120)
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=48)
HEALTH_WORKER_TIMEOUT = env.float("HEALTH_WORKER_TIMEOUT", default=2.0)
# /health/ reuses a worker's ping answer this long (a ping is a broadcast message: not one per request).
HEALTH_WORKER_CACHE_SECONDS = env.float("HEALTH_WORKER_CACHE_SECONDS", default=5.0)

# --- Tenants: consistency check (TEN-7) -------------------------------------
# Our inbound mail hosts: a domain's MX must point to one of them (or a sub-domain of one).
PORTAL_MX_TARGETS = env.list("PORTAL_MX_TARGETS", default=["mx.portal-vendor.example"])
# The MX checker: dnspython in production; a deterministic, network-free one for development and tests.
PORTAL_DNS_CHECKER = env.str(
    "PORTAL_DNS_CHECKER",
    default="tenants.dns.DeterministicChecker" if DEBUG else "tenants.dns.DnsPythonChecker",
)
PORTAL_DNS_TIMEOUT = env.float("PORTAL_DNS_TIMEOUT", default=5.0)
PORTAL_DNS_CHECK_DELAY = env.float("PORTAL_DNS_CHECK_DELAY", default=0.0)  # seconds per domain (demos)
PORTAL_CHECK_STALE_MINUTES = env.int("PORTAL_CHECK_STALE_MINUTES", default=30)

# --- Licences (LIC-6): the Ed25519 key that signs check-in answers ----------------------------------------
# PEM (PKCS#8) of the private key, from the environment in production; without it a development key is made
# once under var/ (refused when DEBUG is off).
LICENSE_SIGNING_KEY = env.str("LICENSE_SIGNING_KEY", default="")
LICENSE_SIGNING_DEV_KEY_ALLOWED = env.bool("LICENSE_SIGNING_DEV_KEY_ALLOWED", default=DEBUG)
LICENSE_SIGNING_KEY_FILE = env.str(
    "LICENSE_SIGNING_KEY_FILE", default=str(BASE_DIR / "var" / "license-signing-key.pem")
)
LICENSE_CHECK_IN_INTERVAL_HOURS = env.float("LICENSE_CHECK_IN_INTERVAL_HOURS", default=24.0)

# --- Background jobs: the transactional outbox (portal.outbox) and the broker's redelivery ------------------
OUTBOX_MAX_RETRIES = env.int("OUTBOX_MAX_RETRIES", default=8)  # attempts after the first, per job
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=2.0)  # 2, 4, 8, … with jitter
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=300.0)
# A job handed over but not claimed this long after it was due is handed over again by the sweep.
OUTBOX_HANDOVER_GRACE = env.int("OUTBOX_HANDOVER_GRACE", default=300)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=14)  # done jobs and side-effect keys
# Publishing from the relay: a couple of quick tries, then the job waits for the sweep (the request goes on).
OUTBOX_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# The longest task is the consistency check (hard limit: the stale time). Redis redelivers a message that was
# not acknowledged within the visibility timeout; it must outlast every task (else a running task is handed
# out twice) but not by much (a message popped by a worker that died waits that long; the outbox sweep takes
# such jobs back after OUTBOX_HANDOVER_GRACE anyway).
LONGEST_TASK_SECONDS = max(CELERY_TASK_TIME_LIMIT, PORTAL_CHECK_STALE_MINUTES * 60)
BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=LONGEST_TASK_SECONDS + 300)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}

# --- REST framework (API-1) -----------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an unauthenticated call answer 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Bounded JSON (depth, NUL characters); forms as DRF has them.
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "portal.parsers.Metadata",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # The one table of rates (portal.ratelimit): "<what>_<per whom>", per requester and per target.
    "DEFAULT_THROTTLE_RATES": {
        "delegation_request_user": env.str("THROTTLE_DELEGATION_USER", default="10/hour"),
        "delegation_request_account": env.str("THROTTLE_DELEGATION_ACCOUNT", default="30/hour"),
        "management_request_user": env.str("THROTTLE_MANAGEMENT_USER", default="10/hour"),
        "management_request_account": env.str("THROTTLE_MANAGEMENT_ACCOUNT", default="30/hour"),
        "management_request_target": env.str("THROTTLE_MANAGEMENT_TARGET", default="10/day"),
        "invitation_user": env.str("THROTTLE_INVITATION_USER", default="30/hour"),
        "invitation_target": env.str("THROTTLE_INVITATION_TARGET", default="5/hour"),
        "password_reset_target": env.str("THROTTLE_PASSWORD_RESET_TARGET", default="5/hour"),
        "password_reset_client": env.str("THROTTLE_PASSWORD_RESET_CLIENT", default="20/hour"),
        # LIC-6 check-in (no log-in: the key is the credential): per licence key and per client address.
        "license_check_in_key": env.str("THROTTLE_LICENSE_CHECK_IN_KEY", default="120/hour"),
        "license_check_in_client": env.str("THROTTLE_LICENSE_CHECK_IN_CLIENT", default="3000/hour"),
    },
}
# API tokens (django-rest-knox, accounts.tokens): hashed, expiring, revocable; "Authorization: Token …".
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("API_TOKEN_TTL_HOURS", default=24 * 30)),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_PREFIX": "pp_",  # recognisable for secret scanners
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Portal API",
    "DESCRIPTION": "Accounts, tenants, booked services, delegated access, licences and support entitlement.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status": name each choice set once so the schema has stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "BookedServiceStatusEnum": "tenants.models.ServiceStatus",
        "CheckRunStatusEnum": "tenants.models.CheckStatus",
        "TicketStatusEnum": "support.models.TicketStatus",
        "LicenseKindEnum": "licenses.models.Kind",
        "DestinationKindEnum": "reports.models.DestinationKind",
    },
}

# --- Content-Security-Policy (django-csp; issue 10 §3) ----------------------------------------------------------
# Scripts and styles only from our static files (htmx, static/js/portal.js, the CSS): no inline scripts, event
# handler attributes or style elements in any template. The printable offer (also WeasyPrint's input, which
# must be self-contained) carries its <style> with the request's nonce. Images may be data: URLs (Swagger UI).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Production hardening (manage.py check --deploy stays silent) ---------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

# Test flag: in CI, tests that need PostgreSQL/Redis/a worker fail instead of skipping.
PORTAL_REQUIRE_SERVICES = env.bool("PORTAL_REQUIRE_SERVICES", default=False)

# Uniqueness of User.email is a case-insensitive UniqueConstraint(Lower("email")), which auth.W004 cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
